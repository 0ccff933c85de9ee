package runtime_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/cloacinatest"
	"github.com/cloacina-go/cloacina/runtime"
)

func TestRunnerRunsOnItsClock(t *testing.T) { forEachBackend(t, testRunnerRunsOnItsClock) }

// testRunnerRunsOnItsClock runs retry delays and attempt timeouts of hours
// on a fake clock, and checks that every stored time is the clock's and
// that a task's context ends at its deadline on that clock, as a deadline
// context does.
func testRunnerRunsOnItsClock(t *testing.T) {
	start := time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)
	clock := cloacinatest.NewFakeClock(start)
	hour := runtime.RetryPolicy{MaxAttempts: 2, Backoff: runtime.BackoffFixed, InitialDelay: time.Hour, MaxDelay: time.Hour}
	var mu sync.Mutex
	type seen struct {
		began, deadline time.Time
		err             error
	}
	var waits []seen
	wf := runtime.NewWorkflow("clocked").
		Add(&runtime.Task{ID: "a", Retry: &hour, Func: fn(func(ctx context.Context, c *runtime.Context) error {
			if m, _ := runtime.MetaFrom(ctx); m.Attempt == 1 {
				return errors.New("first attempt fails")
			}
			return nil
		})}).
		Add(&runtime.Task{ID: "b", Dependencies: []string{"a"}, Retry: &hour, Timeout: 10 * time.Minute, Func: fn(func(ctx context.Context, c *runtime.Context) error {
			began := clock.Now()
			err := cloacinatest.Block(ctx)
			d, _ := ctx.Deadline()
			mu.Lock()
			waits = append(waits, seen{began: began, deadline: d, err: ctx.Err()})
			mu.Unlock()
			return err
		})}).MustBuild()
	r := newRunner(t, &runtime.Config{Clock: clock}, wf)
	exec, err := r.ExecuteAsync(context.Background(), "clocked", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The clock moves by itself only while the test waits: turned on
	// before the submission, it would run ahead through the runner's
	// periodic timers before the execution exists.
	stop := clock.AutoAdvance()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, _ := exec.Wait(ctx)
	stop()
	if res == nil {
		t.Fatal("no result")
	}

	if res.Status != runtime.PipelineStatusFailed {
		t.Fatalf("status %s, want Failed: %+v", res.Status, res)
	}
	at := func(d time.Duration) time.Time { return start.Add(d) }
	// a: fails at start, runs again an hour later. b: times out after 10
	// minutes, twice, an hour apart.
	a, b := taskStatus(t, res, "a"), taskStatus(t, res, "b")
	var te *runtime.TimeoutError
	switch {
	case a.Status != runtime.TaskStatusCompleted || a.Attempts != 2 || !a.CompletedAt.Equal(at(time.Hour)):
		t.Errorf("a: %s after %d attempts at %s, want Completed after 2 at %s", a.Status, a.Attempts, a.CompletedAt, at(time.Hour))
	case b.Status != runtime.TaskStatusFailed || b.Attempts != 2 || !errors.As(b.Err, &te):
		t.Errorf("b: %s after %d attempts (%v), want Failed after 2 timeouts", b.Status, b.Attempts, b.Err)
	case !b.CompletedAt.Equal(at(2*time.Hour + 20*time.Minute)):
		t.Errorf("b ended at %s, want %s", b.CompletedAt, at(2*time.Hour+20*time.Minute))
	case !res.StartedAt.Equal(start) || !res.CompletedAt.Equal(b.CompletedAt):
		t.Errorf("execution ran %s to %s, want %s to %s", res.StartedAt, res.CompletedAt, start, b.CompletedAt)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, w := range waits {
		began := at(time.Hour + time.Duration(i)*70*time.Minute)
		if !w.began.Equal(began) || !w.deadline.Equal(began.Add(10*time.Minute)) || !errors.Is(w.err, context.DeadlineExceeded) {
			t.Errorf("attempt %d of b began %s with deadline %s and ended with %v; want %s, %s and a deadline exceeded",
				i+1, w.began, w.deadline, w.err, began, began.Add(10*time.Minute))
		}
	}
	events, err := r.Events(ctx, res.ExecutionID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.At.Before(start) || e.At.After(res.CompletedAt) {
			t.Errorf("event %s %s at %s, outside the fake clock's %s to %s", e.Kind, e.TaskID, e.At, start, res.CompletedAt)
		}
	}
	if len(events) == 0 || !events[len(events)-1].At.Equal(res.CompletedAt) {
		t.Errorf("events %+v: the last should be the execution's end", events)
	}
}
