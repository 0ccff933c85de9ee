package runtime_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

// TestExecuteManyAndConcurrentSubmissions submits executions in bulk and
// from many goroutines at once, and checks that each is stored once and
// runs to completion; and that a bulk submission with one bad entry names
// it and stores nothing.
func TestExecuteManyAndConcurrentSubmissions(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		wf := runtime.NewWorkflow("bulk").Add(&runtime.Task{ID: "only", Retry: fastRetry(1),
			Func: fn(func(context.Context, *runtime.Context) error { return nil })}).MustBuild()
		r := newRunner(t, nil, wf)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()

		_, err := r.ExecuteMany(ctx, []runtime.Submission{{Workflow: "bulk"}, {Workflow: "bulk"}, {Workflow: "blk"}})
		if err == nil || !strings.Contains(err.Error(), "submission 2 of 3") || !strings.Contains(err.Error(), `"blk"`) {
			t.Fatalf("ExecuteMany with an unknown workflow: %v; want an error naming submission 2", err)
		}
		if got, err := r.ListExecutions(ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("after the failed submission: %d executions stored, %v; want none", len(got), err)
		}

		subs := make([]runtime.Submission, 100)
		for i := range subs {
			subs[i] = runtime.Submission{Workflow: "bulk"}
		}
		execs, err := r.ExecuteMany(ctx, subs)
		if err != nil || len(execs) != len(subs) {
			t.Fatalf("ExecuteMany: %d, %v", len(execs), err)
		}
		const goroutines = 32
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i := 0; i < goroutines; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e, err := r.ExecuteAsync(ctx, "bulk", nil)
				if err != nil {
					t.Errorf("ExecuteAsync: %v", err)
					return
				}
				mu.Lock()
				execs = append(execs, e)
				mu.Unlock()
			}()
		}
		wg.Wait()
		ids := map[string]bool{}
		for _, e := range execs {
			if ids[e.ID()] {
				t.Fatalf("execution id %s handed out twice", e.ID())
			}
			ids[e.ID()] = true
			res, err := e.Wait(ctx)
			if err != nil || res.Status != runtime.PipelineStatusCompleted {
				t.Fatalf("execution %s: %+v, %v", e.ID(), res, err)
			}
		}
		got, err := r.ListExecutions(ctx, &runtime.ListOptions{Limit: 1000})
		if err != nil || len(got) != 100+goroutines {
			t.Fatalf("stored %d executions, %v; want %d", len(got), err, 100+goroutines)
		}
	})
}

// TestIdempotencyKeyAcrossRunners submits one idempotency key from 32
// goroutines through two runners with their own connections to one
// database: every handle is on one execution, the only one stored, and a
// later submission with the key returns it too, ended.
func TestIdempotencyKeyAcrossRunners(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		wf := runtime.NewWorkflow("once").Add(&runtime.Task{ID: "only", Retry: fastRetry(1),
			Func: fn(func(context.Context, *runtime.Context) error { return nil })}).MustBuild()
		other := runtime.NewWorkflow("other").Add(&runtime.Task{ID: "only", Retry: fastRetry(1),
			Func: fn(func(context.Context, *runtime.Context) error { return nil })}).MustBuild()
		url, schema := testDatabase(t)
		// A runner hears of an end in another runner's store by a
		// notification: its fallback poll is an hour.
		own := func() *runtime.Config {
			return &runtime.Config{DatabaseURL: url, Schema: schema, FallbackPollInterval: time.Hour}
		}
		runners := []*runtime.Runner{newRunner(t, own(), wf, other), newRunner(t, own(), wf, other)}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		const goroutines = 32
		ids := make([]string, goroutines)
		var wg sync.WaitGroup
		for i := 0; i < goroutines; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e, err := runners[i%2].ExecuteAsync(ctx, "once", nil, runtime.WithIdempotencyKey("order-42"))
				if err != nil {
					t.Errorf("ExecuteAsync: %v", err)
					return
				}
				if res, err := e.Wait(ctx); err != nil || res.Status != runtime.PipelineStatusCompleted {
					t.Errorf("execution %s: %+v, %v", e.ID(), res, err)
				}
				ids[i] = e.ID()
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("one key gave executions %v", ids)
			}
		}
		got, err := runners[0].ListExecutions(ctx, nil)
		if err != nil || len(got) != 1 {
			t.Fatalf("stored %d executions, %v; want 1", len(got), err)
		}
		later, err := runners[1].ExecuteMany(ctx, []runtime.Submission{
			{Workflow: "once", IdempotencyKey: "order-42"}, {Workflow: "once", IdempotencyKey: "order-43"}})
		if err != nil || later[0].ID() != ids[0] || later[1].ID() == ids[0] {
			t.Fatalf("later submissions: %v, %v", later, err)
		}
		select {
		case <-later[0].Done():
		case <-ctx.Done():
			t.Fatal("the handle on an ended execution is not done")
		}
		// Keys are shared by the workflows: the handle says whose it is.
		e, err := runners[0].ExecuteAsync(ctx, "other", nil, runtime.WithIdempotencyKey("order-42"))
		if err != nil {
			t.Fatal(err)
		}
		if e.ID() != ids[0] || e.Workflow() != "once" || later[1].Workflow() != "once" {
			t.Fatalf("the key of a once execution submitted for other: execution %s of %s", e.ID(), e.Workflow())
		}
	})
}
