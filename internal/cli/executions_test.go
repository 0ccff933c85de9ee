package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/internal/cli"
	"github.com/cloacina-go/cloacina/runtime"
)

// history is a SQLite database holding a completed, a failed and a
// cancelled execution, made by a worker runner; ids names them for
// normalize.
type history struct {
	url                   string
	r                     *runtime.Runner
	ok, failed, cancelled string
	ids                   map[string]string
}

func newHistory(t *testing.T) *history {
	t.Helper()
	h := &history{url: sqliteURL(t)}
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	h.r = worker(t, h.url, "", etl(), gated("slow", release))
	h.ok = execute(t, h.r, "etl", nil)
	h.failed = execute(t, h.r, "etl", input(t, "fail", true))
	ex, err := h.r.ExecuteAsync(context.Background(), "slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	h.cancelled = ex.ID()
	waitEvent(t, h.r, h.cancelled, "task_started")
	// Cancelled through the command, as an operator would.
	if res := mustRun(t, cli.ExitOK, h.url, "executions", "cancel", h.cancelled); res.stdout != "cancelled "+h.cancelled+"\n" {
		t.Fatalf("cancel printed %q", res.stdout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := ex.Wait(ctx); err == nil {
		t.Fatal("cancelled execution: Wait returned no error")
	}
	h.ids = map[string]string{h.ok: "ok", h.failed: "failed", h.cancelled: "cancelled"}
	return h
}

func TestExecutionsGolden(t *testing.T) {
	h := newHistory(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"executions_list", []string{"executions", "list"}, cli.ExitOK},
		{"executions_list_failed_json", []string{"executions", "list", "--status", "failed", "--json"}, cli.ExitOK},
		{"executions_list_workflow", []string{"executions", "list", "--workflow", "slow"}, cli.ExitOK},
		{"executions_show_failed", []string{"executions", "show", h.failed}, cli.ExitOK},
		{"executions_show_ok_json", []string{"--json", "executions", "show", h.ok}, cli.ExitOK},
		{"executions_show_cancelled", []string{"executions", "show", h.cancelled}, cli.ExitOK},
		{"executions_show_task", []string{"executions", "show", h.failed, "--task", "load"}, cli.ExitOK},
		{"executions_events_failed", []string{"executions", "events", h.failed}, cli.ExitOK},
		{"executions_wait_failed", []string{"executions", "wait", h.failed}, cli.ExitFailed},
		{"executions_wait_ok", []string{"executions", "wait", h.ok}, cli.ExitOK},
		{"executions_cancel_again", []string{"executions", "cancel", h.cancelled}, cli.ExitOK},
		{"executions_pause_finished", []string{"executions", "pause", h.ok, "--json"}, cli.ExitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustRun(t, tc.code, h.url, tc.args...)
			golden(t, tc.name, normalize(res.stdout, h.ids))
		})
	}
}

// TestShowUnknownTask names the execution's tasks.
func TestShowUnknownTask(t *testing.T) {
	h := newHistory(t)
	res := mustRun(t, cli.ExitUsage, h.url, "executions", "show", h.ok, "--task", "laod")
	want := "cloacina executions show: execution " + h.ok + " has no task \"laod\"; did you mean \"load\"? (tasks: extract, transform, load)\n"
	if res.stderr != want {
		t.Fatalf("stderr:\n%s\nwant:\n%s", res.stderr, want)
	}
}

// TestExecutionsShowPrefix: an id may be abbreviated to a unique prefix.
func TestExecutionsShowPrefix(t *testing.T) {
	h := newHistory(t)
	full := mustRun(t, cli.ExitOK, h.url, "executions", "show", h.failed)
	short := mustRun(t, cli.ExitOK, h.url, "executions", "show", h.failed[:24])
	if full.stdout != short.stdout {
		t.Fatalf("show by prefix differs:\n%s\nvs\n%s", short.stdout, full.stdout)
	}
}

// TestUnknownExecution: a mistyped id names the closest ids and how to
// list them, and exits 2.
func TestUnknownExecution(t *testing.T) {
	h := newHistory(t)
	typo := h.failed[:30] + "zzzzzz" // the last characters mistyped
	res := mustRun(t, cli.ExitUsage, h.url, "executions", "show", typo)
	want := `cloacina executions show: no execution "` + typo + `" in this database; the closest ids are ` + h.failed
	if !strings.HasPrefix(res.stderr, want) || !strings.Contains(res.stderr, "cloacina executions list") {
		t.Fatalf("stderr:\n%s\nwant it to start with:\n%s", res.stderr, want)
	}
	if res.stdout != "" {
		t.Fatalf("stdout: %q", res.stdout)
	}
}

// TestJSONIsParseable: --json output decodes into the documented fields.
func TestJSONIsParseable(t *testing.T) {
	h := newHistory(t)
	res := mustRun(t, cli.ExitOK, h.url, "executions", "list", "--json")
	var rows []struct {
		ID, Workflow, Status, Origin string
		Error                        string
		DurationMS                   *float64 `json:"duration_ms"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &rows); err != nil {
		t.Fatalf("decode: %v\n%s", err, res.stdout)
	}
	if len(rows) != 3 || rows[2].ID != h.ok || rows[2].Status != "Completed" || rows[1].Status != "Failed" || rows[0].Status != "Cancelled" {
		t.Fatalf("rows: %+v", rows)
	}
	if rows[2].DurationMS == nil || *rows[2].DurationMS < 0 {
		t.Fatalf("duration_ms of a finished execution: %v", rows[2].DurationMS)
	}
}

// TestEventsFollow follows an execution live: the command prints its
// events as they are stored and ends with the execution.
func TestEventsFollow(t *testing.T) {
	url := sqliteURL(t)
	release := make(chan struct{})
	r := worker(t, url, "", gated("slow", release))
	ex, err := r.ExecuteAsync(context.Background(), "slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := newSyncBuffer()
	done := make(chan int)
	go func() {
		done <- cli.Run(context.Background(), &cli.Env{Stdout: out, Stderr: out, Getenv: func(string) string { return "" }},
			[]string{"--db", url, "executions", "events", "--follow", ex.ID()})
	}()
	out.waitFor(t, "task_started         wait (attempt 1)")
	if strings.Contains(out.String(), "execution_completed") {
		t.Fatal("completed before it was released")
	}
	close(release)
	if code := <-done; code != cli.ExitOK {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	got := normalize(out.String(), map[string]string{ex.ID(): "id"})
	golden(t, "executions_events_follow", got)
}

// TestEventsFollowAll follows every execution of a workflow from a saved
// cursor, then is interrupted.
func TestEventsFollowAll(t *testing.T) {
	url := sqliteURL(t)
	r := worker(t, url, "", etl())
	first := execute(t, r, "etl", nil)
	evs, err := r.Events(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	from := evs[len(evs)-1].Cursor.String()
	var second string
	got := followUntilCompleted(t, func() { second = execute(t, r, "etl", nil) },
		"--db", url, "executions", "events", "--follow", "--workflow", "etl", "--from", from, "--json")
	checkFollowed(t, got, second)
}

// TestEventsFollowAllFromStart follows every execution from the start of
// the log (--from 0-0): the events stored before the follow began are
// printed too, in order, where a follow without --from starts from now.
func TestEventsFollowAllFromStart(t *testing.T) {
	url := sqliteURL(t)
	r := worker(t, url, "", etl())
	first := execute(t, r, "etl", nil)
	got := followUntilCompleted(t, func() {}, "--db", url, "executions", "events", "--follow", "--from", "0-0", "--json")
	checkFollowed(t, got, first)
}

// TestEventsFollowFromUnknownCursor: a --from cursor no event of the
// database has reached exits 2 at once, naming it and where cursors come
// from, instead of following forever.
func TestEventsFollowFromUnknownCursor(t *testing.T) {
	url := sqliteURL(t)
	execute(t, worker(t, url, "", etl()), "etl", nil)
	res := run(t, cli.Env{}, "--db", url, "executions", "events", "--follow", "--from", "999999999999-0")
	if res.code != cli.ExitUsage {
		t.Fatalf("exit %d, want 2\n%s", res.code, res.stderr)
	}
	if want := "--from 999999999999-0: no event of this database has reached it; take a cursor from the --json output"; !strings.Contains(res.stderr, want) {
		t.Fatalf("stderr lacks %q:\n%s", want, res.stderr)
	}
}

// followedEvent is a line of executions events --follow --json.
type followedEvent struct {
	ExecutionID string `json:"execution_id"`
	Kind        string
	Cursor      string
}

// followUntilCompleted runs the command args, calls during once it has
// started, interrupts it after it printed an execution_completed event,
// and returns the events it printed.
func followUntilCompleted(t *testing.T, during func(), args ...string) []followedEvent {
	t.Helper()
	out := newSyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int)
	go func() {
		done <- cli.Run(ctx, &cli.Env{Stdout: out, Stderr: out, Getenv: func(string) string { return "" }}, args)
	}()
	during()
	out.waitFor(t, `"kind":"execution_completed"`)
	cancel()
	if code := <-done; code != cli.ExitOK {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	var evs []followedEvent
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var ev followedEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// checkFollowed checks that evs are the events of one run of etl, all of
// execution id and each with its cursor.
func checkFollowed(t *testing.T, evs []followedEvent, id string) {
	t.Helper()
	var kinds []string
	for _, ev := range evs {
		if ev.ExecutionID != id || ev.Cursor == "" {
			t.Fatalf("event of %s (want only %s) or without cursor: %+v", ev.ExecutionID, id, ev)
		}
		kinds = append(kinds, ev.Kind)
	}
	want := "execution_created task_started task_completed task_started task_completed task_started task_completed execution_completed"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("kinds:\n%s\nwant\n%s", got, want)
	}
}

// TestPauseResume pauses and resumes a running execution.
func TestPauseResume(t *testing.T) {
	url := sqliteURL(t)
	release := make(chan struct{})
	r := worker(t, url, "", gated("slow", release))
	ex, err := r.ExecuteAsync(context.Background(), "slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, r, ex.ID(), "task_started")
	if res := mustRun(t, cli.ExitOK, url, "executions", "pause", ex.ID()); res.stdout != "paused "+ex.ID()+"\n" {
		t.Fatalf("pause: %q", res.stdout)
	}
	if res := mustRun(t, cli.ExitOK, url, "executions", "pause", ex.ID()); res.stdout != "not paused: execution "+ex.ID()+" is Paused\n" {
		t.Fatalf("pause again: %q", res.stdout)
	}
	if res := mustRun(t, cli.ExitOK, url, "executions", "resume", ex.ID()); res.stdout != "resumed "+ex.ID()+"\n" {
		t.Fatalf("resume: %q", res.stdout)
	}
	close(release)
	res := mustRun(t, cli.ExitOK, url, "executions", "wait", ex.ID())
	if !strings.Contains(res.stdout, "execution "+ex.ID()+" Completed in ") {
		t.Fatalf("wait: %s", res.stdout)
	}
}
