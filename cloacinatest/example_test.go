package cloacinatest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/cloacinatest"
	"github.com/cloacina-go/cloacina/runtime"
)

// exampleT stands in for the *testing.T of a test, so the example runs.
type exampleT struct{ cleanups []func() }

func (t *exampleT) Helper()                           {}
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Errorf(format string, args ...any) { fmt.Printf(format+"\n", args...) }
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *exampleT) Logf(string, ...any)               {}
func (t *exampleT) end() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// A task retried an hour after each failure, and a report that runs only
// on full runs: the execution ends at once, two hours later on the fake
// clock.
func Example() {
	t := &exampleT{} // in a test: t *testing.T
	defer t.end()

	hourly := runtime.RetryPolicy{MaxAttempts: 3, Backoff: runtime.BackoffFixed, InitialDelay: time.Hour, MaxDelay: time.Hour}
	wf := runtime.NewWorkflow("sync").
		Add(&runtime.Task{ID: "fetch", Retry: &hourly, Func: func(ctx context.Context, c *runtime.Context) error {
			return c.Insert("rows", 42)
		}}).
		Add(&runtime.Task{ID: "report", Dependencies: []string{"fetch"},
			Trigger: runtime.ContextValue("mode", runtime.OpEquals, "full"),
			Func:    func(ctx context.Context, c *runtime.Context) error { return nil }}).
		MustBuild()

	h := cloacinatest.New(t, wf)
	h.FailTimes("fetch", 2, errors.New("upstream unavailable"))
	start := h.Clock().Now()
	res := h.Run("sync", cloacinatest.Input(t, "mode", "incremental"))

	cloacinatest.RequireCompleted(t, res)
	cloacinatest.RequireAttempts(t, res, "fetch", 3)
	cloacinatest.RequireSkipped(t, res, "report")
	cloacinatest.RequireValue(t, res, "rows", 42)
	fmt.Println("took", res.CompletedAt.Sub(start), "on the fake clock")
	_, tasks, _ := strings.Cut(cloacinatest.Table(res), "\n") // after the line with the execution id
	fmt.Println(tasks)
	// Output:
	// took 2h0m0s on the fake clock
	//   TASK    STATUS     ATTEMPTS  ERROR OR SKIP REASON
	//   fetch   Completed  3
	//   report  Skipped    0         trigger rule: context_value(mode, equals, "full") does not hold
}

// Testing a timeout: the replaced task hangs until its 10-minute timeout,
// which passes at once.
func ExampleHang() {
	t := &exampleT{}
	defer t.end()
	wf := runtime.NewWorkflow("upload").
		Add(&runtime.Task{ID: "put", Timeout: 10 * time.Minute, Retry: &runtime.RetryPolicy{MaxAttempts: 1},
			Func: func(ctx context.Context, c *runtime.Context) error { return nil }}).
		MustBuild()
	h := cloacinatest.New(t, wf)
	h.Replace("put", cloacinatest.Hang)
	res := h.Run("upload", nil)
	cloacinatest.RequireFailed(t, res, "put")
	put, _ := res.Task("put")
	var te *runtime.TimeoutError
	fmt.Println(errors.As(put.Err, &te), te.After)
	// Output: true 10m0s
}

// A FakeClock alone: its time moves when told, firing the timers due.
func ExampleFakeClock() {
	clock := cloacinatest.NewFakeClock(time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC))
	timer := clock.NewTimer(90 * time.Minute)
	clock.Advance(time.Hour)
	fmt.Println("after an hour:", clock.Now().Format(time.Kitchen))
	clock.Advance(time.Hour)
	fmt.Println("fired at", (<-timer.C()).Format(time.Kitchen), "; now", clock.Now().Format(time.Kitchen))
	// Output:
	// after an hour: 1:00AM
	// fired at 1:30AM ; now 2:00AM
}
