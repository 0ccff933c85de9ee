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
	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/sqlite"
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

// find returns the records with message msg, as attribute maps with
// their level under "level".
func (h *recordingHandler) find(msg string) []map[string]slog.Value {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]slog.Value
	for _, rec := range h.records {
		if rec.Message != msg {
			continue
		}
		attrs := map[string]slog.Value{"level": slog.StringValue(rec.Level.String())}
		rec.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value; return true })
		out = append(out, attrs)
	}
	return out
}

// one returns the only record with message msg whose attribute key is
// value, failing the test with what was logged if there is none.
func (h *recordingHandler) one(t *testing.T, msg, key, value string) map[string]slog.Value {
	t.Helper()
	for _, attrs := range h.find(msg) {
		if attrs[key].String() == value {
			return attrs
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var seen []string
	for _, rec := range h.records {
		seen = append(seen, rec.Level.String()+" "+rec.Message)
	}
	t.Fatalf("no %q record with %s=%s; logged: %q", msg, key, value, seen)
	return nil
}

// TestSkipsEndsCancelsAndRecoveriesAreLogged checks the records of the
// rest of an execution's story: a task skipped with its reason, the
// execution's end with its status and duration, a cancellation, and a
// task recovered from a runner that died.
func TestSkipsEndsCancelsAndRecoveriesAreLogged(t *testing.T) {
	started := make(chan struct{})
	wf := runtime.NewWorkflow("story").
		Add(&runtime.Task{ID: "broken", Retry: fastRetry(1), Func: fn(func(context.Context, *runtime.Context) error {
			return errors.New("no data")
		})}).
		Add(&runtime.Task{ID: "archive", Dependencies: []string{"broken"}, Func: fn(func(context.Context, *runtime.Context) error { return nil })}).
		MustBuild()
	slow := runtime.NewWorkflow("slow").Add(&runtime.Task{ID: "wait", Func: fn(func(ctx context.Context, _ *runtime.Context) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})}).MustBuild()
	logs := &recordingHandler{}
	dir := t.TempDir()
	r := newRunner(t, &runtime.Config{Logger: slog.New(logs), DatabaseURL: "sqlite://" + dir + "/story.db"}, wf, slow)
	ctx := context.Background()
	res, _ := r.Execute(ctx, "story", nil)
	if res == nil || res.Status != runtime.PipelineStatusFailed {
		t.Fatalf("result %+v", res)
	}
	skipped := logs.one(t, "task skipped", "task", "archive")
	if skipped["level"].String() != "DEBUG" || skipped["execution_id"].String() != res.ExecutionID ||
		skipped["workflow"].String() != "story" || !strings.Contains(skipped["reason"].String(), "broken") {
		t.Fatalf("skip record %v: want DEBUG, the execution, workflow story, a reason naming broken", skipped)
	}
	ended := logs.one(t, "execution ended", "execution_id", res.ExecutionID)
	if ended["level"].String() != "INFO" || ended["workflow"].String() != "story" || ended["status"].String() != "failed" ||
		ended["duration"].Kind() != slog.KindDuration {
		t.Fatalf("end record %v: want INFO, workflow story, status failed, a duration", ended)
	}

	exec, err := r.ExecuteAsync(ctx, "slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	if _, err := r.Cancel(ctx, exec.ID()); err != nil {
		t.Fatal(err)
	}
	if cancelled := logs.one(t, "execution cancelled", "execution_id", exec.ID()); cancelled["level"].String() != "INFO" {
		t.Fatalf("cancel record %v: want INFO", cancelled)
	}
}

// TestRecoveryIsLogged leaves a claim of a runner that died in the store
// and starts a runner that takes the task back.
func TestRecoveryIsLogged(t *testing.T) {
	ctx := context.Background()
	wf := runtime.NewWorkflow("orphan").Add(&runtime.Task{ID: "t", Func: fn(func(context.Context, *runtime.Context) error { return nil })}).MustBuild()
	path := t.TempDir() + "/orphan.db"
	st, err := sqlite.OpenPath(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	if _, err := st.CreateExecutions(ctx, &store.CreateExecutionsParams{RunnerID: "ghost", Now: past, Executions: []*store.NewExecution{{
		ID: "orphaned", WorkflowName: "orphan", WorkflowVersion: wf.Version(), Tasks: []store.TaskSpec{{TaskID: "t", MaxAttempts: 3}},
	}}, Decide: func(*store.DecideInput) (*store.Decision, error) {
		return &store.Decision{Run: true, Input: store.EmptyDoc}, nil
	}}); err != nil {
		t.Fatal(err)
	}
	if c, err := st.ClaimTasks(ctx, &store.ClaimTasksParams{RunnerID: "ghost", Now: past, Limit: 1}); err != nil || len(c.Tasks) != 1 {
		t.Fatalf("claim as the dead runner: %+v, %v", c, err)
	}
	st.Close()

	logs := &recordingHandler{}
	r := newRunner(t, &runtime.Config{Logger: slog.New(logs), DatabaseURL: "sqlite://" + path}, wf)
	exec, err := r.Execution(ctx, "orphaned")
	if err != nil {
		t.Fatal(err)
	}
	if res, err := exec.Wait(ctx); err != nil || res.Status != runtime.PipelineStatusCompleted {
		t.Fatalf("recovered execution: %+v, %v", res, err)
	}
	rec := logs.one(t, "recovered a task from a runner that stopped heartbeating", "execution_id", "orphaned")
	if rec["level"].String() != "WARN" || rec["task"].String() != "t" || rec["attempt"].Int64() != 1 {
		t.Fatalf("recovery record %v: want WARN, task t, attempt 1", rec)
	}
}
