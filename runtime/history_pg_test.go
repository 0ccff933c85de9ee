package runtime_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

// retryWorkerMode is the worker mode (pgWorkerConfig.Mode) that registers
// the flaky workflow: its flip task fails until the file "fixed" exists in
// the worker's directory, and every task run appends a line to
// <task>.runs there.
const retryWorkerMode = "retry"

func retryWorkerWorkflow(cfg pgWorkerConfig) *runtime.Workflow {
	fail := func() bool {
		_, err := os.Stat(filepath.Join(cfg.Dir, "fixed"))
		return err != nil
	}
	count := func(id string) {
		f, err := os.OpenFile(filepath.Join(cfg.Dir, id+".runs"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err == nil {
			_, _ = f.WriteString(cfg.ID + "\n")
			f.Close()
		}
	}
	return flakyWorkflow(fail, count)
}

func fileRuns(t *testing.T, dir, task string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, task+".runs"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// TestRetryAcrossProcessesPostgres starts the flaky workflow from a
// runner that does not have it (from the definition the worker processes
// recorded), lets it fail in a worker, and retries it in place and as a
// new execution: the workers run what the retries made ready, and the
// runner that asked is woken by their notifications.
func TestRetryAcrossProcessesPostgres(t *testing.T) {
	url := postgresURL(t)
	schema := freshSchema(t)
	dir := t.TempDir()
	startPGWorkers(t, 2, pgWorkerConfig{DatabaseURL: url, Schema: schema, Dir: dir, Mode: retryWorkerMode,
		Heartbeat: time.Second, Stale: 5 * time.Second})
	ctx := context.Background()
	tool := newRunner(t, &runtime.Config{DatabaseURL: url, Schema: schema, RunnerID: "tool"})
	e, err := tool.ExecuteAsync(ctx, "flaky", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := waitFor(t, e)
	if res.Status != runtime.PipelineStatusFailed {
		t.Fatalf("first run: %s", res.Status)
	}
	if err := os.WriteFile(filepath.Join(dir, "fixed"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e, err = tool.Retry(ctx, res.ExecutionID, runtime.RetryModeFailed)
	if err != nil {
		t.Fatal(err)
	}
	if res, err = waitFor(t, e); err != nil || res.Status != runtime.PipelineStatusCompleted {
		t.Fatalf("after the retry in place: %v", err)
	}
	if p, f, a := fileRuns(t, dir, "prep"), fileRuns(t, dir, "flip"), fileRuns(t, dir, "after"); p != 1 || f != 2 || a != 1 {
		t.Fatalf("runs: prep %d, flip %d, after %d; want 1, 2, 1", p, f, a)
	}
	e, err = tool.Retry(ctx, res.ExecutionID, runtime.RetryModeAll)
	if err != nil {
		t.Fatal(err)
	}
	again, err := waitFor(t, e)
	if err != nil || again.Status != runtime.PipelineStatusCompleted || again.ExecutionID == res.ExecutionID {
		t.Fatalf("retry all: %+v, %v", again, err)
	}
	if p := fileRuns(t, dir, "prep"); p != 2 {
		t.Fatalf("prep ran %d times, want 2", p)
	}
	list, err := tool.ListExecutionsPage(ctx, &runtime.PageOptions{Origin: runtime.OriginRetry, OriginName: res.ExecutionID})
	if err != nil || len(list.Executions) != 1 || list.Executions[0].ID != again.ExecutionID {
		t.Fatalf("executions retrying %s: %+v, %v", res.ExecutionID, list, err)
	}
}
