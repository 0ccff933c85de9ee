package runtime_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

// TestAttemptsAreLogged runs a task that fails once and then succeeds, and
// one that always fails, and checks the records a user reading the log
// would look for: the failed attempt with its retry delay at Warn, the
// final failure at Error, routine progress at Debug, each with the
// execution, workflow, task and attempt.
func TestAttemptsAreLogged(t *testing.T) {
	var calls atomic.Int32
	wf := runtime.NewWorkflow("logged").
		Add(&runtime.Task{ID: "flaky", Retry: fastRetry(2), Func: fn(func(context.Context, *runtime.Context) error {
			if calls.Add(1) == 1 {
				return errors.New("first try fails")
			}
			return nil
		})}).
		Add(&runtime.Task{ID: "broken", Retry: fastRetry(1), Func: fn(func(context.Context, *runtime.Context) error {
			return errors.New("always fails")
		})}).MustBuild()
	logs := &recordingHandler{}
	r := newRunner(t, &runtime.Config{Logger: slog.New(logs)}, wf)
	res, _ := r.Execute(context.Background(), "logged", nil)
	if res == nil || res.Status != runtime.PipelineStatusFailed {
		t.Fatalf("result %+v", res)
	}
	id := res.ExecutionID

	find := func(msg, task string, attempt int64) map[string]slog.Value {
		t.Helper()
		logs.mu.Lock()
		defer logs.mu.Unlock()
		for _, rec := range logs.records {
			if rec.Message != msg {
				continue
			}
			attrs := map[string]slog.Value{"level": slog.StringValue(rec.Level.String())}
			rec.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value; return true })
			if attrs["task"].String() == task && attrs["attempt"].Int64() == attempt {
				return attrs
			}
		}
		var seen []string
		for _, rec := range logs.records {
			seen = append(seen, rec.Level.String()+" "+rec.Message)
		}
		t.Fatalf("no %q record for task %s attempt %d; logged: %q", msg, task, attempt, seen)
		return nil
	}
	check := func(attrs map[string]slog.Value, level string, keys ...string) {
		t.Helper()
		if attrs["level"].String() != level || attrs["execution_id"].String() != id || attrs["workflow"].String() != "logged" {
			t.Fatalf("record %v: want level %s, execution_id %s, workflow logged", attrs, level, id)
		}
		for _, k := range keys {
			if _, ok := attrs[k]; !ok {
				t.Fatalf("record %v lacks %q", attrs, k)
			}
		}
	}
	retry := find("task attempt failed; retrying", "flaky", 1)
	check(retry, "WARN", "error", "retry_in", "duration")
	if !strings.Contains(retry["error"].String(), "first try fails") || retry["retry_in"].Duration() != time.Millisecond {
		t.Fatalf("retry record %v", retry)
	}
	check(find("task attempt started", "flaky", 2), "DEBUG")
	check(find("task attempt succeeded", "flaky", 2), "DEBUG", "duration")
	failed := find("task failed", "broken", 1)
	check(failed, "ERROR", "error", "duration")
	if !strings.Contains(failed["error"].String(), "always fails") {
		t.Fatalf("failure record %v", failed)
	}
}
