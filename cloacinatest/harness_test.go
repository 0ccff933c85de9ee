package cloacinatest_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
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

// chain is fetch -> parse -> store, each writing what it saw.
func chain() *runtime.Workflow {
	return runtime.NewWorkflow("chain").
		Add(&runtime.Task{ID: "fetch", Func: func(_ context.Context, c *runtime.Context) error { return c.Insert("body", "a,b,c") }}).
		Add(&runtime.Task{ID: "parse", Dependencies: []string{"fetch"}, Retry: hourly(3), Func: func(_ context.Context, c *runtime.Context) error {
			body, err := runtime.Get[string](c, "body")
			if err != nil {
				return err
			}
			return c.Insert("fields", strings.Split(body, ","))
		}}).
		Add(&runtime.Task{ID: "store", Dependencies: []string{"parse"}, Func: func(_ context.Context, c *runtime.Context) error {
			fields, err := runtime.Get[[]string](c, "fields")
			if err != nil {
				return err
			}
			return c.Insert("stored", len(fields))
		}}).MustBuild()
}

// TestReplaceAndFailTimes checks that a replaced function runs instead of
// the task's own, that FailTimes fails the first attempts of each
// execution and then runs the function, and that task names are checked.
func TestReplaceAndFailTimes(t *testing.T) {
	t.Parallel()
	h := cloacinatest.New(t, chain())
	h.Replace("chain/fetch", func(_ context.Context, c *runtime.Context) error { return c.Insert("body", "x,y") })
	h.FailTimes("parse", 2, runtime.Transient(errors.New("parser busy")))
	for range 2 { // per execution: each one fails twice
		res := h.Run("chain", nil)
		cloacinatest.RequireCompleted(t, res)
		cloacinatest.RequireAttempts(t, res, "parse", 3)
		cloacinatest.RequireValue(t, res, "stored", 2)
	}

	h.FailTimes("store", 1, nil) // store has the default 3 attempts
	res := h.Run("chain", nil)
	cloacinatest.RequireCompleted(t, res)
	cloacinatest.RequireAttempts(t, res, "store", 2)

	h.FailTimes("parse", 3, nil) // now more failures than attempts
	res = h.Run("chain", nil)
	cloacinatest.RequireFailed(t, res, "parse")
	cloacinatest.RequireSkipped(t, res, "store")
	cloacinatest.RequireError(t, res, "parse", "cloacinatest: injected failure 3 of 3")

	tb := newFakeTB(t)
	hb := cloacinatest.New(tb, chain()) // reports to tb
	for spec, want := range map[string]string{
		"prase":       `cloacinatest: Replace("prase"): no workflow of the harness has a task "prase" (tasks: chain: fetch, parse, store)`,
		"chain/prase": `cloacinatest: Replace("chain/prase"): workflow "chain" has no task "prase" (it has fetch, parse, store)`,
		"chian/parse": `cloacinatest: Replace("chian/parse"): no workflow "chian" in the harness (it has chain)`,
	} {
		if msg := tb.run(func(cloacinatest.TB) { hb.Replace(spec, noop) }); msg != want {
			t.Errorf("Replace(%q): %q, want %q", spec, msg, want)
		}
	}
	if msg := tb.run(func(cloacinatest.TB) { hb.FailTimes("parse", 0, nil) }); !strings.Contains(msg, "n must be at least 1") {
		t.Errorf("FailTimes 0: %q", msg)
	}
}

// TestRunTaskAlone checks that one task runs alone on the given input,
// keeping its retry policy and replacement.
func TestRunTaskAlone(t *testing.T) {
	t.Parallel()
	h := cloacinatest.New(t, chain())
	h.FailTimes("parse", 1, nil)
	res := h.RunTask("chain", "parse", cloacinatest.Input(t, "body", "1,2,3,4"))
	cloacinatest.RequireCompleted(t, res)
	cloacinatest.RequireAttempts(t, res, "parse", 2)
	cloacinatest.RequireValue(t, res, "fields", []string{"1", "2", "3", "4"})
	if len(res.Tasks) != 1 || res.WorkflowName != "cloacinatest-chain-parse" {
		t.Fatalf("ran more than the task:\n%s", cloacinatest.Table(res))
	}
	res = h.RunTask("chain", "parse", nil) // no body in the input
	cloacinatest.RequireFailed(t, res, "parse")
	cloacinatest.RequireError(t, res, "parse", `"body"`)

	tb := newFakeTB(t)
	hb := cloacinatest.New(tb, chain())
	if msg := tb.run(func(cloacinatest.TB) { hb.RunTask("chain", "load", nil) }); msg != `cloacinatest: run task alone: workflow "chain" has no task "load" (it has fetch, parse, store)` {
		t.Errorf("unknown task: %q", msg)
	}
}

// TestSleepAndWorkflowTimeout checks that a task sleeping on the clock
// sleeps at once, and that the workflow's deadline ends an execution
// whose task sleeps past it, at the deadline on the clock.
func TestSleepAndWorkflowTimeout(t *testing.T) {
	t.Parallel()
	wf := runtime.NewWorkflow("nap").Add(&runtime.Task{ID: "sleep", Func: noop}).MustBuild()
	h := cloacinatest.NewWith(t, cloacinatest.Options{Workflows: []*runtime.Workflow{wf},
		Config: &runtime.Config{WorkflowTimeout: 8 * time.Hour, DefaultTaskTimeout: -1}})
	var slept atomic.Int64
	h.Replace("sleep", func(ctx context.Context, c *runtime.Context) error {
		d := time.Duration(slept.Add(1)) * 5 * time.Hour // 5h, then 10h
		return h.Clock().Sleep(ctx, d)
	})
	start := h.Clock().Now()
	res := h.Run("nap", nil)
	cloacinatest.RequireCompleted(t, res)
	if got := res.CompletedAt.Sub(start); got != 5*time.Hour {
		t.Fatalf("a 5h sleep ended %s after the start", got)
	}

	start = h.Clock().Now()
	res = h.Run("nap", nil)
	cloacinatest.RequireFailed(t, res)
	if !errors.Is(res.Err, runtime.ErrWorkflowTimeout) || res.CompletedAt.Sub(start) != 8*time.Hour {
		t.Fatalf("want a workflow timeout after 8h, got %v after %s\n%s", res.Err, res.CompletedAt.Sub(start), cloacinatest.Table(res))
	}
}

// TestCancelWakesABlockedTask checks that cancelling an execution ends a
// task blocked on its context, with the clock where the cancel came.
func TestCancelWakesABlockedTask(t *testing.T) {
	t.Parallel()
	wf := runtime.NewWorkflow("watch").
		Add(&runtime.Task{ID: "wait", Func: noop}).
		Add(&runtime.Task{ID: "cancel", Func: noop}).MustBuild()
	h := cloacinatest.NewWith(t, cloacinatest.Options{Workflows: []*runtime.Workflow{wf}, Config: &runtime.Config{DefaultTaskTimeout: -1}})
	h.Replace("wait", cloacinatest.Hang)
	h.Replace("cancel", func(ctx context.Context, _ *runtime.Context) error {
		if err := h.Clock().Sleep(ctx, 90*time.Minute); err != nil {
			return err
		}
		m, _ := runtime.MetaFrom(ctx)
		_, err := h.Runner().Cancel(ctx, m.ExecutionID)
		return err
	})
	start := h.Clock().Now()
	res := h.Run("watch", nil)
	cloacinatest.RequireCancelled(t, res)
	cloacinatest.RequireTaskStatus(t, res, "wait", runtime.TaskStatusCancelled)
	if got := res.CompletedAt.Sub(start); got != 90*time.Minute {
		t.Fatalf("cancelled %s after the start, want 1h30m\n%s", got, cloacinatest.Table(res))
	}
}

// TestHorizonFailsAStuckExecution checks that an execution nothing can
// end fails the wait, with its task table, instead of hanging the test.
func TestHorizonFailsAStuckExecution(t *testing.T) {
	t.Parallel()
	wf := runtime.NewWorkflow("stuck").Add(&runtime.Task{ID: "forever", Func: noop}).MustBuild()
	tb := newFakeTB(t)
	h := cloacinatest.NewWith(tb, cloacinatest.Options{Workflows: []*runtime.Workflow{wf},
		Config: &runtime.Config{DefaultTaskTimeout: -1}, Horizon: 48 * time.Hour})
	h.Replace("forever", cloacinatest.Hang)
	msg := scrub(tb.run(func(cloacinatest.TB) { h.Run("stuck", nil) }))
	want := `cloacinatest: execution ID did not end within 48h0m0s on the fake clock (Options.Horizon): nothing it waits for ends it
workflow stuck, execution ID: Running
  TASK     STATUS   ATTEMPTS  ERROR OR SKIP REASON
  forever  Running  1`
	if msg != scrub(want) {
		t.Fatalf("message\n%s\nwant\n%s", msg, want)
	}
}

// TestOptionsAreChecked checks the harness's messages about its options.
func TestOptionsAreChecked(t *testing.T) {
	t.Parallel()
	tb := newFakeTB(t)
	for want, opts := range map[string]cloacinatest.Options{
		"cloacinatest: Options.Config.Registry must be nil: the harness keeps a registry of its own; pass the workflows in Options.Workflows": {
			Config: &runtime.Config{Registry: runtime.NewRegistry()}},
		"cloacinatest: Options.Config.Clock must be nil or a *FakeClock, got runtime.SystemClock": {
			Config: &runtime.Config{Clock: runtime.SystemClock{}}},
		`cloacinatest: workflow "chain" is given twice`:        {Workflows: []*runtime.Workflow{chain(), chain()}},
		"cloacinatest: a workflow given to the harness is nil": {Workflows: []*runtime.Workflow{nil}},
	} {
		if msg := tb.run(func(tb cloacinatest.TB) { cloacinatest.NewWith(tb, opts) }); msg != want {
			t.Errorf("message %q, want %q", msg, want)
		}
	}
	if msg := tb.run(func(tb cloacinatest.TB) { cloacinatest.New(tb, chain()).Start("chian", nil) }); !strings.HasPrefix(msg,
		`cloacinatest: start workflow "chian": workflow not found: "chian" (registered: chain)`) {
		t.Errorf("unknown workflow: %q", msg)
	}
}

// TestHarnessKeepsDeclaredInputs: the harness runs a copy of the
// workflow, which refuses the inputs the workflow refuses.
func TestHarnessKeepsDeclaredInputs(t *testing.T) {
	wf := runtime.NewWorkflow("greet").Inputs(runtime.Input{Name: "name", Type: "string"}).
		Add(&runtime.Task{ID: "hello", Func: noop}).MustBuild()
	h := cloacinatest.New(t, wf)
	_, err := h.Runner().ExecuteAsync(context.Background(), "greet", cloacinatest.Input(t, "nmae", "ann"))
	if !errors.Is(err, runtime.ErrInvalidInput) || !strings.Contains(err.Error(), `did you mean "name"?`) {
		t.Fatalf("a misspelt input key in the harness: %v", err)
	}
	cloacinatest.RequireCompleted(t, h.Run("greet", cloacinatest.Input(t, "name", "ann")))
}
