package runtime_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

// The crash test runs this test binary a second time as a child process
// that starts a workflow and is killed with SIGKILL in the middle of a task.
const (
	crashChildEnv = "CLOACINA_CRASH_CHILD_DB"
	crashDirEnv   = "CLOACINA_CRASH_DIR"
)

// crashWorkflow is extract -> slow -> load. Each run of a task appends its
// id to runs.log in dir; in the child, slow blocks after announcing itself,
// waiting to be killed.
func crashWorkflow(dir string, child bool) *runtime.Workflow {
	record := func(id string) error {
		f, err := os.OpenFile(filepath.Join(dir, "runs.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = fmt.Fprintln(f, id)
		return err
	}
	task := func(id string, deps ...string) *runtime.Task {
		return &runtime.Task{ID: id, Dependencies: deps, Fingerprint: "crash-" + id, Func: func(ctx context.Context, c *runtime.Context) error {
			if err := record(id); err != nil {
				return err
			}
			if id == "slow" && child {
				if err := os.WriteFile(filepath.Join(dir, "slow-started"), nil, 0o644); err != nil {
					return err
				}
				<-ctx.Done() // the parent kills the process before this returns
				return ctx.Err()
			}
			return c.Set(id, true)
		}}
	}
	return runtime.NewWorkflow("crash").Add(task("extract"), task("slow", "extract"), task("load", "slow")).MustBuild()
}

// crashChild is the child's main: start the workflow and wait to be killed.
func crashChild() int {
	dir := os.Getenv(crashDirEnv)
	reg := runtime.NewRegistry()
	reg.MustRegister(crashWorkflow(dir, true))
	r, err := runtime.NewRunner(context.Background(), &runtime.Config{
		DatabaseURL: "sqlite://" + os.Getenv(crashChildEnv), Registry: reg, RunnerID: "child",
		HeartbeatInterval: 50 * time.Millisecond, StaleClaimThreshold: time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	exec, err := r.ExecuteAsync(context.Background(), "crash", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := os.WriteFile(filepath.Join(dir, "execution-id"), []byte(exec.ID()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	select {} // killed by the parent
}

func TestCrashRecoveryAfterSIGKILL(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dbPath, crashDirEnv+"="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the child to be inside the slow task. Polling a file is the
	// only channel from the child; this is a test, not the runtime.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "slow-started")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the child never started the slow task; stderr: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	id, err := os.ReadFile(filepath.Join(dir, "execution-id"))
	if err != nil {
		t.Fatal(err)
	}

	// A fresh runner on the same file finishes the killed process's execution.
	r := newRunner(t, &runtime.Config{
		DatabaseURL: "sqlite://" + dbPath, RunnerID: "parent",
		HeartbeatInterval: 50 * time.Millisecond, StaleClaimThreshold: time.Second,
	}, crashWorkflow(dir, false))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := r.Execution(ctx, string(id))
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if res.Status != runtime.PipelineStatusCompleted || res.Context.String() != `{"extract":true,"load":true,"slow":true}` {
		t.Fatalf("result %s context %s", res.Status, res.Context)
	}
	// extract completed before the kill and is not run again; slow was cut
	// off and ran again (at least once); load ran once.
	runs, err := os.ReadFile(filepath.Join(dir, "runs.log"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(runs)); strings.Join(got, " ") != "extract slow slow load" {
		t.Fatalf("runs = %v, want extract slow slow load", got)
	}
	if tr, _ := res.Task("slow"); tr.Attempts != 2 {
		t.Fatalf("slow attempts = %d, want 2 (the recovered one counts)", tr.Attempts)
	}
	events, err := r.Events(ctx, string(id))
	if err != nil {
		t.Fatal(err)
	}
	completed := map[string]int{}
	var recovered []string
	for _, e := range events {
		switch e.Kind {
		case "task_completed":
			completed[e.TaskID]++
		case "task_recovered":
			recovered = append(recovered, e.TaskID+" by "+e.RunnerID)
		}
	}
	if completed["extract"] != 1 || completed["slow"] != 1 || completed["load"] != 1 {
		t.Fatalf("completions recorded = %v, want exactly one per task", completed)
	}
	if len(recovered) != 1 || recovered[0] != "slow by parent" {
		t.Fatalf("recoveries = %v", recovered)
	}
}
