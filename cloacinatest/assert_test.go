package cloacinatest_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/cloacinatest"
	"github.com/cloacina-go/cloacina/runtime"
)

// pipeline is extract -> load -> notify, and archive after extract when
// the input asks for it.
func pipeline() *runtime.Workflow {
	once := func() *runtime.RetryPolicy { p := runtime.NoRetry(); return &p }
	return runtime.NewWorkflow("pipeline").
		Add(&runtime.Task{ID: "extract", Retry: once(), Func: func(_ context.Context, c *runtime.Context) error {
			return c.Insert("rows", []int{1, 2, 3})
		}}).
		Add(&runtime.Task{ID: "load", Dependencies: []string{"extract"}, Retry: once(), Func: func(_ context.Context, c *runtime.Context) error {
			rows, err := runtime.Get[[]int](c, "rows")
			if err != nil {
				return err
			}
			return c.Insert("loaded", len(rows))
		}}).
		Add(&runtime.Task{ID: "archive", Dependencies: []string{"extract"}, Retry: once(),
			Trigger: runtime.ContextValue("archive", runtime.OpEquals, true),
			Func:    func(_ context.Context, c *runtime.Context) error { return c.Insert("archived", true) }}).
		Add(&runtime.Task{ID: "notify", Dependencies: []string{"load"}, Retry: once(), Func: noop}).
		MustBuild()
}

var execID = regexp.MustCompile(`execution [0-9a-f-]{36}`)

// scrub hides the execution id of a failure message.
func scrub(msg string) string { return execID.ReplaceAllString(msg, "execution ID") }

// TestFailureMessagesShowTheTaskTable checks the message of each
// assertion that fails, down to the task table, and that the same
// assertions pass quietly on a result that meets them.
func TestFailureMessagesShowTheTaskTable(t *testing.T) {
	t.Parallel()
	h := cloacinatest.New(t, pipeline())
	h.Replace("load", func(context.Context, *runtime.Context) error { return errors.New("disk full") })
	failed := h.Run("pipeline", nil)

	table := `workflow pipeline, execution ID: Failed: task "load" attempt 1: disk full
  TASK     STATUS     ATTEMPTS  ERROR OR SKIP REASON
  extract  Completed  1
  load     Failed     1         task "load" attempt 1: disk full
  archive  Skipped    0         trigger rule: context_value(archive, equals, true) does not hold
  notify   Skipped    0         dependency "load" failed`
	tb := newFakeTB(t)
	for _, c := range []struct {
		name string
		fn   func(cloacinatest.TB)
		want string
	}{
		{"RequireCompleted", func(tb cloacinatest.TB) { cloacinatest.RequireCompleted(tb, failed) },
			"execution is Failed, want Completed\n" + table},
		{"RequireSkipped", func(tb cloacinatest.TB) { cloacinatest.RequireSkipped(tb, failed, "archive", "extract") },
			`task "extract" is Completed, want Skipped` + "\n" + table},
		{"RequireAttempts", func(tb cloacinatest.TB) { cloacinatest.RequireAttempts(tb, failed, "load", 3) },
			`task "load" made 1 attempt, want 3` + "\n" + table},
		{"RequireFailed task", func(tb cloacinatest.TB) { cloacinatest.RequireFailed(tb, failed, "notify") },
			`task "notify" is Skipped, want Failed` + "\n" + table},
		{"RequireCancelled", func(tb cloacinatest.TB) { cloacinatest.RequireCancelled(tb, failed) },
			"execution is Failed, want Cancelled\n" + table},
		{"RequireError", func(tb cloacinatest.TB) { cloacinatest.RequireError(tb, failed, "load", "timeout") },
			`task "load" error "task \"load\" attempt 1: disk full" does not contain "timeout"` + "\n" + table},
		{"RequireError none", func(tb cloacinatest.TB) { cloacinatest.RequireError(tb, failed, "extract", "x") },
			`task "extract" has no error, want one containing "x"` + "\n" + table},
		{"unknown task", func(tb cloacinatest.TB) { cloacinatest.RequireAttempts(tb, failed, "lod", 1) },
			`the execution has no task "lod" (it has extract, load, archive, notify)` + "\n" + table},
		{"RequireValue missing", func(tb cloacinatest.TB) { cloacinatest.RequireValue(tb, failed, "loaded", 3) },
			`final context has no "loaded" (keys: rows)` + "\n" + table},
		{"Value of the wrong type", func(tb cloacinatest.TB) { cloacinatest.Value[string](tb, failed, "rows") },
			`final context "rows" is [1,2,3], which does not decode as string: json: cannot unmarshal array into Go value of type string`},
		{"nil result", func(tb cloacinatest.TB) { cloacinatest.RequireCompleted(tb, nil) },
			"the result is nil, want an execution that is Completed"},
	} {
		if got := scrub(tb.run(c.fn)); got != c.want {
			t.Errorf("%s: message\n%s\nwant\n%s", c.name, got, c.want)
		}
	}

	ok := h.Run("pipeline", cloacinatest.Input(t, "archive", true))
	if ok.Status != runtime.PipelineStatusFailed {
		t.Fatalf("load is replaced for the whole test, so this run fails too:\n%s", cloacinatest.Table(ok))
	}
	for name, fn := range map[string]func(cloacinatest.TB){
		"RequireFailed":  func(tb cloacinatest.TB) { cloacinatest.RequireFailed(tb, ok, "load") },
		"RequireSkipped": func(tb cloacinatest.TB) { cloacinatest.RequireSkipped(tb, ok, "notify") },
		"RequireTaskStatus": func(tb cloacinatest.TB) {
			cloacinatest.RequireTaskStatus(tb, ok, "archive", runtime.TaskStatusCompleted)
		},
		"RequireAttempts":   func(tb cloacinatest.TB) { cloacinatest.RequireAttempts(tb, ok, "extract", 1) },
		"RequireError":      func(tb cloacinatest.TB) { cloacinatest.RequireError(tb, ok, "load", "disk full") },
		"RequireValue":      func(tb cloacinatest.TB) { cloacinatest.RequireValue(tb, ok, "archived", true) },
		"RequireValue JSON": func(tb cloacinatest.TB) { cloacinatest.RequireValue(tb, ok, "rows", []float64{1, 2, 3}) },
	} {
		if msg := tb.run(fn); msg != "" {
			t.Errorf("%s failed on a result that meets it: %s", name, msg)
		}
	}
	if got := cloacinatest.Value[[]int](t, ok, "rows"); len(got) != 3 || got[2] != 3 {
		t.Fatalf("Value rows = %v", got)
	}
}

// TestRequireValueComparesJSON checks RequireValue's mismatch message.
func TestRequireValueComparesJSON(t *testing.T) {
	t.Parallel()
	h := cloacinatest.New(t, pipeline())
	res := h.Run("pipeline", nil)
	cloacinatest.RequireCompleted(t, res)
	msg := newFakeTB(t).run(func(tb cloacinatest.TB) { cloacinatest.RequireValue(tb, res, "loaded", 4) })
	if !strings.HasPrefix(msg, `final context "loaded" is 3, want 4`+"\n") || !strings.Contains(msg, "  notify   Completed  1") {
		t.Fatalf("message:\n%s", msg)
	}
}

// TestInputReportsBadPairs checks Input's messages.
func TestInputReportsBadPairs(t *testing.T) {
	t.Parallel()
	tb := newFakeTB(t)
	if msg := tb.run(func(tb cloacinatest.TB) { cloacinatest.Input(tb, "mode") }); msg != "cloacinatest: Input takes key and value pairs, got 1 arguments" {
		t.Errorf("odd pairs: %q", msg)
	}
	if msg := tb.run(func(tb cloacinatest.TB) { cloacinatest.Input(tb, 3, "x") }); msg != "cloacinatest: Input argument 1 is a int, want a string key" {
		t.Errorf("non-string key: %q", msg)
	}
	if msg := tb.run(func(tb cloacinatest.TB) { cloacinatest.Input(tb, "f", func() {}) }); !strings.HasPrefix(msg, `cloacinatest: Input "f": `) {
		t.Errorf("unencodable value: %q", msg)
	}
	c := cloacinatest.Input(t, "mode", "full", "n", 2)
	if n, err := runtime.Get[int](c, "n"); err != nil || n != 2 || !c.Has("mode") {
		t.Fatalf("Input gave %s", c)
	}
}
