package cloacinatest_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/cloacinatest"
	"github.com/cloacina-go/cloacina/runtime"
)

// busy is a workflow with every kind of wait: a flaky root retried after
// an hour, a branch sleeping on the clock, a branch that hangs until its
// timeout and is retried, a task that runs only if that branch failed,
// and a join.
func busy() *runtime.Workflow {
	exp := runtime.DefaultRetryPolicy()
	exp.MaxAttempts, exp.InitialDelay, exp.MaxDelay, exp.Jitter = 4, 20*time.Minute, 2*time.Hour, false
	two := *hourly(2)
	return runtime.NewWorkflow("busy").
		Add(&runtime.Task{ID: "root", Retry: &exp, Func: func(_ context.Context, c *runtime.Context) error { return c.Insert("root", 1) }}).
		Add(&runtime.Task{ID: "nap", Dependencies: []string{"root"}, Timeout: 4 * time.Hour, Func: noop}).
		Add(&runtime.Task{ID: "hang", Dependencies: []string{"root"}, Retry: &two, Timeout: 45 * time.Minute, Func: cloacinatest.Hang}).
		Add(&runtime.Task{ID: "fallback", Dependencies: []string{"hang"}, Trigger: runtime.TaskFailed("hang"),
			Func: func(_ context.Context, c *runtime.Context) error { return c.Insert("fallback", true) }}).
		Add(&runtime.Task{ID: "join", Dependencies: []string{"nap", "fallback"},
			Trigger: runtime.All(runtime.TaskSuccess("nap"), runtime.TaskSuccess("fallback")), Func: noop}).
		MustBuild()
}

// timeline describes what a result says happened and when, relative to
// start: the same on every run if the clock is deterministic.
func timeline(start time.Time, res *runtime.PipelineResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s at %s;", res.Status, res.CompletedAt.Sub(start))
	for _, tr := range res.Tasks {
		fmt.Fprintf(&b, " %s %s x%d %s-%s;", tr.TaskID, tr.Status, tr.Attempts, tr.StartedAt.Sub(start), tr.CompletedAt.Sub(start))
	}
	return b.String()
}

func runBusy(t *testing.T) string {
	h := cloacinatest.New(t, busy())
	h.FailTimes("root", 3, nil)
	h.Replace("nap", func(ctx context.Context, c *runtime.Context) error {
		if err := h.Clock().Sleep(ctx, 3*time.Hour); err != nil {
			return err
		}
		return c.Insert("napped", true)
	})
	start := h.Clock().Now()
	res := h.Run("busy", nil)
	// hang failing fails the execution, though fallback made up for it.
	cloacinatest.RequireFailed(t, res, "hang")
	cloacinatest.RequireAttempts(t, res, "root", 4)
	cloacinatest.RequireTaskStatus(t, res, "join", runtime.TaskStatusCompleted)
	cloacinatest.RequireValue(t, res, "fallback", true)
	cloacinatest.RequireValue(t, res, "napped", true)
	return timeline(start, res)
}

// TestSameTimelineEveryRun runs a workflow with every kind of wait in many
// harnesses at once and checks that each tells the same story, to the
// microsecond of fake time: the clock never jumps while something is
// about to happen, however the goroutines are scheduled.
func TestSameTimelineEveryRun(t *testing.T) {
	t.Parallel()
	// root fails at 0, 20m, 1h; runs at 2h20m. hang times out at 3h05m,
	// again at 4h50m; fallback runs then. nap ends at 5h20m, join too.
	want := "Failed at 5h20m0s; root Completed x4 0s-2h20m0s; nap Completed x1 2h20m0s-5h20m0s; " +
		"hang Failed x2 2h20m0s-4h50m0s; fallback Completed x1 4h50m0s-4h50m0s; join Completed x1 5h20m0s-5h20m0s;"
	var mu sync.Mutex
	seen := map[string]int{}
	t.Run("runs", func(t *testing.T) {
		for i := range 16 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				got := runBusy(t)
				mu.Lock()
				seen[got]++
				mu.Unlock()
			})
		}
	})
	if len(seen) != 1 || seen[want] != 16 {
		t.Fatalf("timelines seen (with counts): %v\nwant only\n%s", seen, want)
	}
}

// TestConcurrentRunsShareOneHarness runs executions from many goroutines
// at once on one harness: each waits for its own while the others go on.
func TestConcurrentRunsShareOneHarness(t *testing.T) {
	t.Parallel()
	h := cloacinatest.New(t, chain())
	h.FailTimes("parse", 2, nil)
	var wg sync.WaitGroup
	results := make([]*runtime.PipelineResult, 8)
	for i := range results {
		wg.Go(func() { results[i] = h.Run("chain", cloacinatest.Input(t, "n", i)) })
	}
	wg.Wait()
	for _, res := range results {
		cloacinatest.RequireCompleted(t, res)
		cloacinatest.RequireAttempts(t, res, "parse", 3)
	}
}
