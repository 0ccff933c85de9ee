package cloacinatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"text/tabwriter"

	"github.com/cloacina-go/cloacina/runtime"
)

// TB is the part of testing.TB the harness uses; *testing.T, *testing.B
// and *testing.F have it. Fatalf must stop the calling goroutine, as
// testing's does (by runtime.Goexit).
type TB interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// RequireCompleted fails the test unless the execution Completed.
func RequireCompleted(t TB, res *runtime.PipelineResult) {
	t.Helper()
	requireStatus(t, res, runtime.PipelineStatusCompleted)
}

// RequireFailed fails the test unless the execution Failed and each of
// tasks, if any are named, Failed.
func RequireFailed(t TB, res *runtime.PipelineResult, tasks ...string) {
	t.Helper()
	requireStatus(t, res, runtime.PipelineStatusFailed)
	for _, id := range tasks {
		RequireTaskStatus(t, res, id, runtime.TaskStatusFailed)
	}
}

// RequireCancelled fails the test unless the execution was Cancelled.
func RequireCancelled(t TB, res *runtime.PipelineResult) {
	t.Helper()
	requireStatus(t, res, runtime.PipelineStatusCancelled)
}

// RequireSkipped fails the test unless each of tasks was Skipped.
func RequireSkipped(t TB, res *runtime.PipelineResult, tasks ...string) {
	t.Helper()
	for _, id := range tasks {
		RequireTaskStatus(t, res, id, runtime.TaskStatusSkipped)
	}
}

// RequireTaskStatus fails the test unless task ended in state want.
func RequireTaskStatus(t TB, res *runtime.PipelineResult, task string, want runtime.TaskStatus) {
	t.Helper()
	tr := requireTask(t, res, task)
	if tr.Status != want {
		t.Fatalf("task %q is %s, want %s\n%s", task, tr.Status, want, Table(res))
	}
}

// RequireAttempts fails the test unless task was attempted n times.
func RequireAttempts(t TB, res *runtime.PipelineResult, task string, n int) {
	t.Helper()
	tr := requireTask(t, res, task)
	if tr.Attempts != n {
		made := fmt.Sprintf("%d attempts", tr.Attempts)
		if tr.Attempts == 1 {
			made = "1 attempt"
		}
		t.Fatalf("task %q made %s, want %d\n%s", task, made, n, Table(res))
	}
}

// RequireError fails the test unless task ended with an error whose
// message contains substr.
func RequireError(t TB, res *runtime.PipelineResult, task, substr string) {
	t.Helper()
	tr := requireTask(t, res, task)
	switch {
	case tr.Err == nil:
		t.Fatalf("task %q has no error, want one containing %q\n%s", task, substr, Table(res))
	case !strings.Contains(tr.Err.Error(), substr):
		t.Fatalf("task %q error %q does not contain %q\n%s", task, tr.Err, substr, Table(res))
	}
}

// RequireValue fails the test unless the execution's final context holds
// key with a value equal to want once both are JSON: 3 equals 3.0, and a
// struct equals the map of its JSON fields.
func RequireValue(t TB, res *runtime.PipelineResult, key string, want any) {
	t.Helper()
	got := requireRaw(t, res, key)
	wantJSON, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("RequireValue(%q): encode the wanted value: %v", key, err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("RequireValue(%q): decode the stored value %s: %v", key, got, err)
	}
	if err := json.Unmarshal(wantJSON, &w); err != nil {
		t.Fatalf("RequireValue(%q): decode the wanted value %s: %v", key, wantJSON, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("final context %q is %s, want %s\n%s", key, compact(got), compact(wantJSON), Table(res))
	}
}

// Value returns the value of key in the execution's final context,
// decoded as a T, and fails the test when it is missing or is not one.
func Value[T any](t TB, res *runtime.PipelineResult, key string) T {
	t.Helper()
	raw := requireRaw(t, res, key)
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("final context %q is %s, which does not decode as %T: %v", key, compact(raw), v, err)
	}
	return v
}

// Input returns a context holding the given key and value pairs, such as
// Input(t, "mode", "full", "limit", 10), and fails the test when they do
// not pair up or a value cannot be stored.
func Input(t TB, pairs ...any) *runtime.Context {
	t.Helper()
	if len(pairs)%2 != 0 {
		t.Fatalf("cloacinatest: Input takes key and value pairs, got %d arguments", len(pairs))
	}
	c := runtime.NewContext()
	for i := 0; i < len(pairs); i += 2 {
		key, ok := pairs[i].(string)
		if !ok {
			t.Fatalf("cloacinatest: Input argument %d is a %T, want a string key", i+1, pairs[i])
		}
		if err := c.Set(key, pairs[i+1]); err != nil {
			t.Fatalf("cloacinatest: Input %q: %v", key, err)
		}
	}
	return c
}

// Table describes an execution for a failure message: its workflow, id,
// status and error, then one row per task with its status, attempts, and
// error or skip reason.
func Table(res *runtime.PipelineResult) string {
	if res == nil {
		return "(no result)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "workflow %s, execution %s: %s", res.WorkflowName, res.ExecutionID, res.Status)
	if res.Err != nil {
		fmt.Fprintf(&b, ": %v", res.Err)
	}
	b.WriteString("\n")
	w := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  TASK\tSTATUS\tATTEMPTS\tERROR OR SKIP REASON")
	for _, tr := range res.Tasks {
		note := tr.SkipReason
		if tr.Err != nil {
			note = tr.Err.Error()
		}
		fmt.Fprintf(w, "  %s\t%s\t%d\t%s\n", tr.TaskID, tr.Status, tr.Attempts, oneLine(note))
	}
	w.Flush()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

func requireStatus(t TB, res *runtime.PipelineResult, want runtime.PipelineStatus) {
	t.Helper()
	if res == nil {
		t.Fatalf("the result is nil, want an execution that is %s", want)
	}
	if res.Status != want {
		t.Fatalf("execution is %s, want %s\n%s", res.Status, want, Table(res))
	}
}

func requireTask(t TB, res *runtime.PipelineResult, task string) runtime.TaskResult {
	t.Helper()
	if res == nil {
		t.Fatalf("the result is nil, want one with task %q", task)
	}
	tr, ok := res.Task(task)
	if !ok {
		ids := make([]string, len(res.Tasks))
		for i, tr := range res.Tasks {
			ids[i] = tr.TaskID
		}
		t.Fatalf("the execution has no task %q (it has %s)\n%s", task, strings.Join(ids, ", "), Table(res))
	}
	return tr
}

func requireRaw(t TB, res *runtime.PipelineResult, key string) json.RawMessage {
	t.Helper()
	if res == nil {
		t.Fatalf("the result is nil, want one with %q in its final context", key)
	}
	if res.Context == nil {
		t.Fatalf("the final context is nil, want one with %q\n%s", key, Table(res))
	}
	raw, ok := res.Context.Raw(key)
	if !ok {
		t.Fatalf("final context has no %q (keys: %s)\n%s", key, strings.Join(res.Context.Keys(), ", "), Table(res))
	}
	return raw
}

func compact(raw []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
