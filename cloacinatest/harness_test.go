package cloacinatest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/cloacinatest"
	"github.com/cloacina-go/cloacina/runtime"
)

func hourly(attempts int) *runtime.RetryPolicy {
	p := runtime.DefaultRetryPolicy()
	p.MaxAttempts, p.Backoff, p.InitialDelay, p.MaxDelay, p.Jitter = attempts, runtime.BackoffFixed, time.Hour, time.Hour, false
	return &p
}

func noop(context.Context, *runtime.Context) error { return nil }

// TestRetryDelayOfAnHourEndsAtOnce checks that a task failing twice with
// an hour between attempts completes, on the fake clock two hours later.
func TestRetryDelayOfAnHourEndsAtOnce(t *testing.T) {
	t.Parallel()
	wf := runtime.NewWorkflow("hourly").
		Add(&runtime.Task{ID: "flaky", Retry: hourly(3), Func: func(ctx context.Context, c *runtime.Context) error {
			return c.Set("done", true)
		}}).MustBuild()
	h := cloacinatest.New(t, wf)
	h.FailTimes("flaky", 2, nil)
	start := h.Clock().Now()
	res := h.Run("hourly", nil)
	cloacinatest.RequireCompleted(t, res)
	cloacinatest.RequireAttempts(t, res, "flaky", 3)
	cloacinatest.RequireValue(t, res, "done", true)
	if got := res.CompletedAt.Sub(start); got != 2*time.Hour {
		t.Fatalf("completed %s after the start on the fake clock, want 2h\n%s", got, cloacinatest.Table(res))
	}
}

// TestHangTimesOut checks that a task blocked until its context ends
// times out at once on the fake clock, and is retried.
func TestHangTimesOut(t *testing.T) {
	t.Parallel()
	wf := runtime.NewWorkflow("slow").
		Add(&runtime.Task{ID: "stuck", Retry: hourly(2), Timeout: 30 * time.Minute, Func: noop}).MustBuild()
	h := cloacinatest.New(t, wf)
	h.Replace("stuck", cloacinatest.Hang)
	start := h.Clock().Now()
	res := h.Run("slow", nil)
	cloacinatest.RequireFailed(t, res, "stuck")
	cloacinatest.RequireAttempts(t, res, "stuck", 2)
	tr, _ := res.Task("stuck")
	var te *runtime.TimeoutError
	if !errors.As(tr.Err, &te) || te.After != 30*time.Minute {
		t.Fatalf("error %v, want a *runtime.TimeoutError after 30m", tr.Err)
	}
	// 30m, an hour's delay, 30m.
	if got := res.CompletedAt.Sub(start); got != 2*time.Hour {
		t.Fatalf("failed %s after the start on the fake clock, want 2h\n%s", got, cloacinatest.Table(res))
	}
}
