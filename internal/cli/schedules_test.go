package cli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/internal/cli"
	"github.com/cloacina-go/cloacina/runtime"
)

// scheduled is etl's shape with a nightly schedule and an inbox trigger
// that never fires.
func scheduled() *runtime.Workflow {
	return runtime.NewWorkflow("report").Add(
		&runtime.Task{ID: "build", Fingerprint: "b1", Retry: noRetry(), Func: func(context.Context, *runtime.Context) error { return nil }},
	).Schedule(runtime.Schedule{Name: "nightly", Cron: "0 3 * * *", Timezone: "Europe/Paris"}).
		Trigger(runtime.Trigger{Name: "inbox", Poll: time.Hour, Func: func(context.Context) (*runtime.Context, error) { return nil, nil }}).
		MustBuild()
}

func TestSchedulesGolden(t *testing.T) {
	url := sqliteURL(t)
	r := worker(t, url, "", scheduled())
	// A manual fire, started by the worker (it has the workflow), so that
	// describe has a recent fire to show.
	ex, err := r.TriggerSchedule(context.Background(), "nightly")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ex.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{ex.ID(): "fired"}
	steps := []struct {
		name string
		args []string
	}{
		{"schedules_list", []string{"schedules", "list"}},
		{"schedules_describe", []string{"schedules", "describe", "nightly", "--fires", "2"}},
		{"schedules_pause", []string{"schedules", "pause", "nightly"}},
		{"schedules_pause_again", []string{"schedules", "pause", "nightly"}},
		{"schedules_list_paused_json", []string{"schedules", "list", "--json"}},
		{"schedules_resume", []string{"schedules", "resume", "nightly"}},
		{"triggers_list", []string{"triggers", "list"}},
	}
	for _, s := range steps {
		res := mustRun(t, cli.ExitOK, url, s.args...)
		golden(t, s.name, normalize(res.stdout, ids))
	}
	res := mustRun(t, cli.ExitUsage, url, "schedules", "describe", "nighlty")
	if want := "cloacina schedules describe: no schedule \"nighlty\"; did you mean \"nightly\"?\n  hint: 'cloacina schedules list' shows them\n"; res.stderr != want {
		t.Fatalf("stderr:\n%s\nwant:\n%s", res.stderr, want)
	}
}

// TestScheduleTrigger starts a schedule's execution now from the command
// and waits for it (executed by the command's own registry here).
func TestScheduleTrigger(t *testing.T) {
	url := createdSQLite(t)
	env := withRegistry(scheduled())
	res := run(t, env, "--db", url, "schedules", "trigger", "nightly", "--wait")
	if res.code != cli.ExitOK || !strings.Contains(res.stdout, "[1/1] execution_completed\nexecution ") {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	list := run(t, env, "--db", url, "executions", "list")
	if !strings.Contains(list.stdout, "schedule:nightly") {
		t.Fatalf("list does not show the origin:\n%s", list.stdout)
	}
}
