package runtime_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

// hold is a workflow whose one task blocks until its context ends: it
// counts its attempts, says on started that it runs, and sends what
// ended it on causes.
type hold struct {
	wf       *runtime.Workflow
	started  chan struct{}
	causes   chan error
	attempts atomic.Int32
}

func newHold() *hold {
	h := &hold{started: make(chan struct{}, 1), causes: make(chan error, 1)}
	h.wf = runtime.NewWorkflow("hold").Add(&runtime.Task{ID: "hold", Fingerprint: "hold", Retry: fastRetry(3),
		Func: fn(func(ctx context.Context, _ *runtime.Context) error {
			h.attempts.Add(1)
			select {
			case h.started <- struct{}{}:
			default:
			}
			<-ctx.Done()
			select {
			case h.causes <- context.Cause(ctx):
			default:
			}
			return ctx.Err()
		})}).MustBuild()
	return h
}

// quietRunner is a runner that hears of other processes only through
// notifications: its heartbeat, its recovery of claims and its fallback
// poll are an hour away.
func quietRunner(t *testing.T, url, schema string, wfs ...*runtime.Workflow) *runtime.Runner {
	t.Helper()
	return newRunner(t, &runtime.Config{DatabaseURL: url, Schema: schema, HeartbeatInterval: time.Hour,
		StaleClaimThreshold: 3 * time.Hour, FallbackPollInterval: time.Hour}, wfs...)
}

// TestCancelReachesTaskInAnotherProcess: a cancel made through another
// store (another process) reaches the task running in the worker by a
// notification, not by its next heartbeat: on SQLite through the store's
// watch of the file, on PostgreSQL by NOTIFY.
func TestCancelReachesTaskInAnotherProcess(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		url, schema := testDatabase(t)
		h := newHold()
		quietRunner(t, url, schema, h.wf)
		tool := quietRunner(t, url, schema)
		ex, err := tool.ExecuteAsync(ctx, "hold", nil)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-h.started:
		case <-time.After(30 * time.Second):
			t.Fatal("the task did not start within 30s")
		}
		if err := ex.Cancel(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case cause := <-h.causes:
			if !errors.Is(cause, runtime.ErrExecutionCancelled) {
				t.Fatalf("the task was stopped by %v, want ErrExecutionCancelled", cause)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the cancel did not reach the running task within 30s")
		}
	})
}

// TestWorkflowTimeoutEnforcedByWorker: an execution whose submitter is
// gone times out in the worker running it: the execution ends with
// ErrWorkflowTimeout and its task is not retried past the deadline.
func TestWorkflowTimeoutEnforcedByWorker(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		url, schema := testDatabase(t)
		h := newHold()
		worker := quietRunner(t, url, schema, h.wf)
		submitter := newRunner(t, &runtime.Config{DatabaseURL: url, Schema: schema, WorkflowTimeout: 300 * time.Millisecond})
		ex, err := submitter.ExecuteAsync(ctx, "hold", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := submitter.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		held, err := worker.Execution(ctx, ex.ID())
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		res, err := held.Wait(wctx)
		if !errors.Is(err, runtime.ErrWorkflowTimeout) || res.Status != runtime.PipelineStatusFailed {
			t.Fatalf("Wait = %+v, %v; want failed with ErrWorkflowTimeout", res, err)
		}
		if n := h.attempts.Load(); n != 1 {
			t.Fatalf("the task ran %d times; want once, not retried past the deadline", n)
		}
		if tr := taskStatus(t, res, "hold"); tr.Status != runtime.TaskStatusCancelled || tr.Attempts != 1 {
			t.Fatalf("task = %+v, want cancelled after one attempt", tr)
		}
	})
}
