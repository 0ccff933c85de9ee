package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/internal/cli"
	"github.com/cloacina-go/cloacina/runtime"
)

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// withRegistry is an environment whose command executes wfs itself, as a
// program embedding the command with its own registry does.
func withRegistry(wfs ...*runtime.Workflow) cli.Env {
	reg := runtime.NewRegistry()
	for _, wf := range wfs {
		reg.MustRegister(wf)
	}
	return cli.Env{Registry: reg}
}

// TestRunWaitPiped runs a workflow with --wait, piped: one line per event,
// then the outcome; the exit code says whether it completed.
func TestRunWaitPiped(t *testing.T) {
	url := createdSQLite(t)
	env := withRegistry(etl())
	ok := run(t, env, "--db", url, "run", "etl", "--wait")
	if ok.code != cli.ExitOK {
		t.Fatalf("exit %d\n%s%s", ok.code, ok.stdout, ok.stderr)
	}
	golden(t, "run_wait_ok", normalize(uuidRE.ReplaceAllString(ok.stdout, "<id>"), nil))

	failed := run(t, env, "--db", url, "run", "etl", "--input", `{"fail": true}`, "--wait")
	if failed.code != cli.ExitFailed {
		t.Fatalf("exit %d, want 1\n%s%s", failed.code, failed.stdout, failed.stderr)
	}
	golden(t, "run_wait_failed", normalize(uuidRE.ReplaceAllString(failed.stdout, "<id>"), nil))
}

// TestRunWaitTerminal: on a terminal one line is redrawn with the tasks
// done of the total and the running ones.
func TestRunWaitTerminal(t *testing.T) {
	url := createdSQLite(t)
	release := make(chan struct{})
	env := withRegistry(gated("slow", release))
	out := newSyncBuffer()
	env.Stdout, env.Stderr, env.Terminal = out, out, true
	env.Getenv = func(string) string { return "" }
	done := make(chan int)
	go func() { done <- cli.Run(context.Background(), &env, []string{"--db", url, "run", "slow", "--wait"}) }()
	out.waitFor(t, "0/1 tasks done  running: wait")
	close(release)
	if code := <-done; code != cli.ExitOK {
		t.Fatalf("exit %d\n%q", code, out.String())
	}
	got := out.String()
	id := uuidRE.FindString(got)
	redraw := "\r\x1b[Kslow " + id + "  0/1 tasks done  running: wait"
	if !strings.Contains(got, redraw) {
		t.Fatalf("no redrawn progress line %q in %q", redraw, got)
	}
	final := "\r\x1b[Kexecution " + id + " Completed in "
	if !strings.Contains(got, final) || strings.Contains(got, "[0/1]") {
		t.Fatalf("want the line cleared before %q and no plain event lines; got %q", final, got)
	}
}

// TestRunPrintsID: without --wait the command prints the new id and
// returns; the execution is stored.
func TestRunPrintsID(t *testing.T) {
	url := createdSQLite(t)
	env := withRegistry(etl())
	res := run(t, env, "--db", url, "run", "etl", "--input", `{"day": "2026-01-31"}`, "--header", "team=data", "--json")
	if res.code != cli.ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	var got struct{ ID string }
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil || !uuidRE.MatchString(got.ID) {
		t.Fatalf("stdout %q: %v", res.stdout, err)
	}
	r := worker(t, url, "", etl())
	ex, err := r.Execution(context.Background(), got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := ex.Wait(context.Background()); err != nil || res.Context.String() != `{"day":"2026-01-31","loaded":true,"rows":[1,2,3],"sum":6}` {
		t.Fatalf("result %v %v", res.Context, err)
	}
	rows, err := r.ListExecutions(context.Background(), nil)
	if err != nil || len(rows) != 1 || rows[0].Headers["team"] != "data" {
		t.Fatalf("headers: %+v %v", rows, err)
	}
}

// TestRunInput reads --input from a file and from stdin, and refuses what
// is not a JSON object, saying where.
func TestRunInput(t *testing.T) {
	url := createdSQLite(t)
	file := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(file, []byte(`{"fail": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := withRegistry(etl())
	if res := run(t, env, "--db", url, "run", "etl", "--input", "@"+file, "--wait"); res.code != cli.ExitFailed {
		t.Fatalf("@file: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	env.Stdin = strings.NewReader(`{"fail": true}`)
	if res := run(t, env, "--db", url, "run", "etl", "--input", "@-", "--wait"); res.code != cli.ExitFailed {
		t.Fatalf("@-: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, tc := range []struct{ input, want string }{
		{`[1, 2]`, "cloacina run: --input must be a JSON object (keys to values), not an array\nusage: cloacina run [flags] <workflow>\n"},
		{`{"a": `, "cloacina run: --input is not valid JSON: unexpected end of JSON input"},
		{"@" + filepath.Join(t.TempDir(), "missing.json"), "cloacina run: --input file "},
	} {
		res := run(t, env, "--db", url, "run", "etl", "--input", tc.input)
		if res.code != cli.ExitUsage || !strings.HasPrefix(res.stderr, tc.want) {
			t.Errorf("--input %s: exit %d, stderr:\n%s\nwant prefix:\n%s", tc.input, res.code, res.stderr, tc.want)
		}
	}
}

// TestRunUnknownWorkflow names the workflow and how to list the known
// ones.
func TestRunUnknownWorkflow(t *testing.T) {
	url := sqliteURL(t)
	worker(t, url, "", etl())
	res := mustRun(t, cli.ExitUsage, url, "run", "elt")
	if !strings.HasPrefix(res.stderr, `cloacina run: no workflow "elt" is known to this database`) ||
		!strings.Contains(res.stderr, "cloacina workflows list") {
		t.Fatalf("stderr:\n%s", res.stderr)
	}
}

// TestRunWaitPostgres runs `run --wait` on PostgreSQL, in its own schema:
// executed by a separate worker while the command, which has not
// registered the workflow, starts it from its recorded definition and
// claims nothing; and executed by the command's own registry.
func TestRunWaitPostgres(t *testing.T) {
	url := postgresURL(t)
	t.Run("own registry", func(t *testing.T) {
		schema := createdSchema(t, url)
		env := withRegistry(etl())
		ok := run(t, env, "--db", url, "--schema", schema, "run", "etl", "--wait")
		if ok.code != cli.ExitOK || strings.Contains(ok.stderr, "runs no tasks") {
			t.Fatalf("exit %d\n%s%s", ok.code, ok.stdout, ok.stderr)
		}
		golden(t, "run_wait_ok", normalize(uuidRE.ReplaceAllString(ok.stdout, "<id>"), nil))
		failed := run(t, env, "--db", url, "--schema", schema, "run", "etl", "--wait", "--input", `{"fail": true}`)
		if failed.code != cli.ExitFailed {
			t.Fatalf("exit %d\n%s%s", failed.code, failed.stdout, failed.stderr)
		}
		golden(t, "run_wait_failed", normalize(uuidRE.ReplaceAllString(failed.stdout, "<id>"), nil))
	})
	t.Run("worker", func(t *testing.T) {
		schema := freshSchema(t)
		worker(t, url, schema, etl())
		res := mustRun(t, cli.ExitOK, url, "--schema", schema, "run", "etl", "--wait")
		golden(t, "run_wait_ok", normalize(uuidRE.ReplaceAllString(res.stdout, "<id>"), nil))
		// The command does not execute etl itself, and says so.
		if want := "waiting for a runner that registers etl to execute it: this command runs no tasks (interrupt"; !strings.Contains(res.stderr, want) {
			t.Fatalf("stderr lacks %q:\n%s", want, res.stderr)
		}
		mustRun(t, cli.ExitFailed, url, "--schema", schema, "run", "etl", "--wait", "--input", `{"fail": true}`)
	})
}

// TestRunWaitSQLiteWorker: on SQLite, `run --wait` of a workflow only
// another process's runner registers says that it waits for that runner,
// which sees the execution at once (its fallback poll is an hour), and
// follows it to its end.
func TestRunWaitSQLiteWorker(t *testing.T) {
	url := sqliteURL(t)
	worker(t, url, "", etl())
	res := mustRun(t, cli.ExitOK, url, "run", "etl", "--wait")
	want := "waiting for a runner that registers etl to execute it: this command runs no tasks (interrupt"
	if !strings.Contains(res.stderr, want) {
		t.Fatalf("stderr lacks %q:\n%s", want, res.stderr)
	}
}

// TestRunChecksDeclaredInputs: a workflow that declares its inputs refuses
// an --input key it does not declare, before anything is stored, and
// `workflows show` lists what it declares.
func TestRunChecksDeclaredInputs(t *testing.T) {
	url := sqliteURL(t)
	wf := runtime.NewWorkflow("words").Inputs(runtime.Input{Name: "text", Type: "string"}, runtime.Input{Name: "date"}).
		Add(&runtime.Task{ID: "split", Fingerprint: "split", Func: func(context.Context, *runtime.Context) error { return nil }}).
		MustBuild()
	worker(t, url, "", wf)
	res := mustRun(t, cli.ExitUsage, url, "run", "words", "--input", `{"txt": "oops"}`)
	want := "cloacina run: --input: input key \"txt\" is not an input of workflow \"words\" (inputs: text, date); did you mean \"text\"?\n" +
		"  hint: 'cloacina workflows show words' lists the inputs it declares\n"
	if res.stderr != want {
		t.Fatalf("stderr:\n%s\nwant:\n%s", res.stderr, want)
	}
	if list := mustRun(t, cli.ExitOK, url, "executions", "list"); strings.Contains(list.stdout, "words") {
		t.Fatalf("the refused run was stored:\n%s", list.stdout)
	}
	show := mustRun(t, cli.ExitOK, url, "workflows", "show", "words")
	if !regexp.MustCompile(`(?m)^Inputs +text:string, date$`).MatchString(show.stdout) {
		t.Fatalf("workflows show:\n%s", show.stdout)
	}
	var def struct{ Inputs []string }
	if err := json.Unmarshal([]byte(mustRun(t, cli.ExitOK, url, "workflows", "show", "words", "--json").stdout), &def); err != nil ||
		strings.Join(def.Inputs, ",") != "text:string,date" {
		t.Fatalf("workflows show --json inputs = %v, %v", def.Inputs, err)
	}
}
