package cli_test

// Tests of the commands built on the runtime's history API: recorded
// workflow definitions, retry, paged listing and purge.

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cloacina-go/cloacina/internal/cli"
	"github.com/cloacina-go/cloacina/runtime"
)

func TestWorkflowsGolden(t *testing.T) {
	url := sqliteURL(t)
	worker(t, url, "", etl()) // records etl's definition as it starts
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"workflows_list", []string{"workflows", "list"}},
		{"workflows_show", []string{"workflows", "show", "etl"}},
		{"workflows_show_mermaid", []string{"workflows", "show", "etl", "--format", "mermaid"}},
		{"workflows_show_dot", []string{"workflows", "show", "etl", "--format", "dot"}},
	} {
		res := mustRun(t, cli.ExitOK, url, tc.args...)
		golden(t, tc.name, normalize(res.stdout, nil))
	}
	res := mustRun(t, cli.ExitUsage, url, "workflows", "show", "elt")
	if !strings.HasPrefix(res.stderr, `cloacina workflows show: no workflow "elt" is known to this database; did you mean "etl"? (known: etl)`) {
		t.Fatalf("stderr:\n%s", res.stderr)
	}
}

// flaky is etl whose load fails on its first run only.
func flaky() *runtime.Workflow {
	var runs atomic.Int32
	return runtime.NewWorkflow("flaky").Add(
		&runtime.Task{ID: "extract", Fingerprint: "e1", Retry: noRetry(), Func: func(context.Context, *runtime.Context) error { return nil }},
		&runtime.Task{ID: "load", Fingerprint: "l1", Dependencies: []string{"extract"}, Retry: noRetry(),
			Func: func(context.Context, *runtime.Context) error {
				if runs.Add(1) == 1 {
					return runtime.Permanent(errString("first run fails"))
				}
				return nil
			}},
	).MustBuild()
}

type errString string

func (e errString) Error() string { return string(e) }

func TestRetryFailed(t *testing.T) {
	url := sqliteURL(t)
	r := worker(t, url, "", flaky())
	id := execute(t, r, "flaky", nil)
	res := mustRun(t, cli.ExitOK, url, "executions", "retry", id, "--wait")
	if !strings.Contains(res.stdout, "execution "+id+" Completed in ") || strings.Contains(res.stdout, "task_started extract") {
		t.Fatalf("retry in place should re-run load only:\n%s", res.stdout)
	}
	again := mustRun(t, cli.ExitUsage, url, "executions", "retry", id)
	if !strings.Contains(again.stderr, "execution "+id+" is Completed: it completed: nothing failed to re-run; use --mode all") {
		t.Fatalf("retry of a completed execution:\n%s", again.stderr)
	}
	all := mustRun(t, cli.ExitOK, url, "executions", "retry", id, "--mode", "all", "--json")
	var started struct{ ID string }
	if err := json.Unmarshal([]byte(all.stdout), &started); err != nil || started.ID == "" || started.ID == id {
		t.Fatalf("mode all should print a new id: %q %v", all.stdout, err)
	}
	list := mustRun(t, cli.ExitOK, url, "executions", "list", "--origin", "retry:"+id)
	if !strings.Contains(list.stdout, started.ID) || !strings.Contains(list.stdout, "retry:"+id) {
		t.Fatalf("list --origin:\n%s", list.stdout)
	}
}

func TestRetryRunning(t *testing.T) {
	url := sqliteURL(t)
	release := make(chan struct{})
	defer close(release)
	r := worker(t, url, "", gated("slow", release))
	ex, err := r.ExecuteAsync(context.Background(), "slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, r, ex.ID(), "task_started")
	res := mustRun(t, cli.ExitUsage, url, "executions", "retry", ex.ID())
	if !strings.Contains(res.stderr, "execution "+ex.ID()+" is Running: only a finished execution can be retried") {
		t.Fatalf("stderr:\n%s", res.stderr)
	}
	if _, err := r.Cancel(context.Background(), ex.ID()); err != nil {
		t.Fatal(err)
	}
}

// TestListPaged pages through the history with --cursor: every execution
// once, newest first.
func TestListPaged(t *testing.T) {
	url := sqliteURL(t)
	r := worker(t, url, "", etl())
	var want []string
	for range 5 {
		want = append([]string{execute(t, r, "etl", nil)}, want...)
	}
	var got []string
	cursor := ""
	for page := 0; page < 5; page++ {
		args := []string{"executions", "list", "--limit", "2", "--origin", "direct", "--json"}
		if cursor != "" {
			args = append(args, "--cursor", cursor)
		}
		res := mustRun(t, cli.ExitOK, url, args...)
		var p struct {
			Executions []struct{ ID string }
			Next       string
		}
		if err := json.Unmarshal([]byte(res.stdout), &p); err != nil {
			t.Fatalf("%v\n%s", err, res.stdout)
		}
		for _, e := range p.Executions {
			got = append(got, e.ID)
		}
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("paged ids:\n%v\nwant\n%v", got, want)
	}
	table := mustRun(t, cli.ExitOK, url, "executions", "list", "--limit", "2", "--origin", "direct")
	if !strings.HasPrefix(table.stderr, "next page: --cursor ") {
		t.Fatalf("table listing should print the next cursor on stderr: %q", table.stderr)
	}
}

// TestPurge deletes finished executions and keeps the running one.
func TestPurge(t *testing.T) {
	url := sqliteURL(t)
	release := make(chan struct{})
	defer close(release)
	r := worker(t, url, "", etl(), gated("slow", release))
	execute(t, r, "etl", nil)
	execute(t, r, "etl", input(t, "fail", true))
	ex, err := r.ExecuteAsync(context.Background(), "slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, r, ex.ID(), "task_started")
	// 1ns: everything that has finished by now.
	res := mustRun(t, cli.ExitOK, url, "purge", "--older-than", "1ns", "--status", "failed", "--json")
	if strings.TrimSpace(res.stdout) != `{
  "deleted": 1
}` {
		t.Fatalf("purge failed: %s", res.stdout)
	}
	res = mustRun(t, cli.ExitOK, url, "purge", "--older-than", "1ns")
	if !strings.HasPrefix(res.stdout, "deleted 1 executions that finished before ") {
		t.Fatalf("purge: %s", res.stdout)
	}
	list := mustRun(t, cli.ExitOK, url, "executions", "list", "--json")
	var rows []struct{ ID string }
	if err := json.Unmarshal([]byte(list.stdout), &rows); err != nil || len(rows) != 1 || rows[0].ID != ex.ID() {
		t.Fatalf("left after purge: %s %v", list.stdout, err)
	}
}
