package ui_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/ui"
)

var (
	rowRE  = regexp.MustCompile(`<tr data-id="([^"]+)">`)
	nextRE = regexp.MustCompile(`<a id="next-page" href="([^"]+)">Older »</a>`)
)

// rowIDs returns the execution ids of a list page's rows, in order.
func rowIDs(body string) []string {
	var ids []string
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestExecutionsPaging(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db, schema string) {
		f := newFixture(t, db, schema, ui.Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		defer cancel()
		const n = 55 // more than the 50 of a page
		var exs []*runtime.Execution
		for range n {
			ex, err := f.runner.ExecuteAsync(ctx, "ok", nil)
			if err != nil {
				t.Fatal(err)
			}
			exs = append(exs, ex)
		}
		other := f.execute("broken") // filtered out below
		for _, ex := range exs {
			if _, err := ex.Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}
		all, err := f.runner.ListExecutions(ctx, &runtime.ListOptions{Workflow: "ok", Limit: 100})
		if err != nil || len(all) != n {
			t.Fatalf("listing: %d executions, %v", len(all), err)
		}
		var want []string
		for _, e := range all {
			want = append(want, e.ID)
		}

		code, body := f.get("/ops/executions?workflow=ok")
		if code != http.StatusOK {
			t.Fatalf("first page: %d\n%s", code, body)
		}
		if got := rowIDs(body); !slices.Equal(got, want[:50]) {
			t.Fatalf("first page rows:\n got %v\nwant %v", got, want[:50])
		}
		if strings.Contains(body, "« Newest") {
			t.Fatal("the first page links to the first page")
		}
		m := nextRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no Older link on a full page:\n%s", body)
		}
		next := html.UnescapeString(m[1])
		if u, err := url.Parse(next); err != nil || u.Query().Get("workflow") != "ok" {
			t.Fatalf("the Older link %q drops the filter (%v)", next, err)
		}
		code, body = f.get(next)
		if code != http.StatusOK {
			t.Fatalf("second page: %d\n%s", code, body)
		}
		if got := rowIDs(body); !slices.Equal(got, want[50:]) {
			t.Fatalf("second page rows:\n got %v\nwant %v", got, want[50:])
		}
		if strings.Contains(body, other.ExecutionID) || strings.Contains(body, `id="next-page"`) {
			t.Fatalf("second page has the other workflow or an Older link:\n%s", body)
		}
		mustContain(t, body, `« Newest`)

		code, body = f.get("/ops/executions?cursor=not-a-cursor")
		if code != http.StatusBadRequest || !strings.Contains(body, "cursor &#34;not-a-cursor&#34;") {
			t.Fatalf("bad cursor: %d\n%s", code, body)
		}
	})
}

// taskData returns the cells of a task's row in the Data table.
func taskData(t *testing.T, body, task string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<table class="list" id="task-data">.*?<tr data-task="` + task + `">(.*?)</tr>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no data row for task %s:\n%s", task, body)
	}
	return m[1]
}

func TestTaskInputAndOutput(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db, schema string) {
		noRetry := runtime.NoRetry()
		wf := runtime.NewWorkflow("data").Add(
			&runtime.Task{ID: "write", Retry: &noRetry, Func: func(_ context.Context, c *runtime.Context) error {
				if err := c.Set("html", `<script>alert("x")</script>`); err != nil {
					return err
				}
				return c.Set("large", strings.Repeat("z", 100_000))
			}},
			&runtime.Task{ID: "read", Retry: &noRetry, Dependencies: []string{"write"}, Func: func(context.Context, *runtime.Context) error { return nil }},
		).MustBuild()
		f := newFixture(t, db, schema, ui.Options{}, wf)
		res := f.execute("data")
		if res.Status != runtime.PipelineStatusCompleted {
			t.Fatalf("data: %s %v", res.Status, res.Err)
		}
		_, body := f.get("/ops/executions/" + res.ExecutionID)
		if strings.Contains(body, `<script>alert`) {
			t.Fatalf("a context value rendered unescaped:\n%s", body)
		}
		if strings.Contains(body, "Per-task input and output are not recorded") {
			t.Fatal("the page still says per-task data is not recorded")
		}
		escaped := `&#34;html&#34;: &#34;\u003cscript\u003ealert(\&#34;x\&#34;)\u003c/script\u003e&#34;`
		write := taskData(t, body, "write")
		in, out, _ := strings.Cut(write, `class="data-out"`)
		if strings.Contains(in, "html") {
			t.Fatalf("write's input has its own output:\n%s", in)
		}
		mustContain(t, out, escaped, "Cut at 64 KiB of ", `<details class="data">`)
		if strings.Count(out, "z") > 70_000 {
			t.Fatalf("a 100 kB value is shown whole")
		}
		// read was given what write left.
		read := taskData(t, body, "read")
		in, _, _ = strings.Cut(read, `class="data-out"`)
		mustContain(t, in, escaped)
		mustContain(t, body, `<dd id="origin">direct</dd>`)
	})
}

// Retrying a failed execution from its page: in place it runs the failed
// task again; in full it starts a new execution linked to the original.
func TestRetryOfFinishedExecution(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db, schema string) {
		f := newFixture(t, db, schema, ui.Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		bad := f.execute("broken")
		page := "/ops/executions/" + bad.ExecutionID
		token := f.token(page)

		code, body, path := f.post(page+"/retry", url.Values{"csrf": {token}, "mode": {"failed"}})
		if code != http.StatusOK || path != page {
			t.Fatalf("retry failed: %d at %s\n%s", code, path, body)
		}
		mustContain(t, body, "Retrying the failed tasks.")
		ex, err := f.runner.Execution(ctx, bad.ExecutionID)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ex.Wait(ctx) // the error is boom's
		if again == nil {
			t.Fatalf("waiting on the retried execution: %v", err)
		}
		if again.Status != runtime.PipelineStatusFailed {
			t.Fatalf("after the retry: %s, want Failed again (boom always fails)", again.Status)
		}
		events, err := f.runner.Events(ctx, bad.ExecutionID)
		if err != nil {
			t.Fatal(err)
		}
		started := 0
		for _, ev := range events {
			if ev.Kind == store.EventTaskStarted && ev.TaskID == "boom" {
				started++
			}
		}
		if started != 2 {
			t.Fatalf("boom started %d times, want 2 (once more after the retry)", started)
		}

		code, body, path = f.post(page+"/retry", url.Values{"csrf": {token}, "mode": {"all"}})
		if code != http.StatusOK || path == page || !strings.HasPrefix(path, "/ops/executions/") {
			t.Fatalf("retry all: %d at %s\n%s", code, path, body)
		}
		mustContain(t, body, "Started a new execution with the input of "+bad.ExecutionID+".",
			`retry of <a class="mono" href="`+page+`">`+bad.ExecutionID+`</a>`)
		newID := strings.TrimPrefix(path, "/ops/executions/")
		nx, err := f.runner.Execution(ctx, newID)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := nx.Wait(ctx); res == nil || res.Status != runtime.PipelineStatusFailed {
			t.Fatalf("the new execution: %+v %v", res, err)
		}
		pg, err := f.runner.ListExecutionsPage(ctx, &runtime.PageOptions{Origin: runtime.OriginRetry, OriginName: bad.ExecutionID})
		if err != nil || len(pg.Executions) != 1 || pg.Executions[0].ID != newID {
			t.Fatalf("retries of %s: %+v %v, want %s", bad.ExecutionID, pg, err, newID)
		}
		_, body = f.get(page)
		mustContain(t, body, "<h2>Retried as</h2>", `<tr data-id="`+newID+`">`, "retry: "+bad.ExecutionID)
	})
}

// A workflow this process does not register, recorded by another runner
// on the same database, is listed, drawn and started.
func TestWorkflowRecordedElsewhere(t *testing.T) {
	db := "sqlite://" + t.TempDir() + "/ui.db"
	noRetry := runtime.NoRetry()
	wf := runtime.NewWorkflow("elsewhere").Description("served by another process").Add(
		&runtime.Task{ID: "first", Retry: &noRetry, Func: func(_ context.Context, c *runtime.Context) error { return c.Set("who", "elsewhere") }},
		&runtime.Task{ID: "second", Retry: &noRetry, Dependencies: []string{"first"}, Func: func(context.Context, *runtime.Context) error { return nil }},
	).MustBuild()
	worker := newFixture(t, db, "", ui.Options{}, wf) // records and runs it
	f := newFixture(t, db, "", ui.Options{})          // lacks it

	_, body := f.get("/ops/workflows")
	row := regexp.MustCompile(`(?s)<tr><td><a href="/ops/workflows/elsewhere">elsewhere</a></td>(.*?)</tr>`).FindStringSubmatch(body)
	if row == nil {
		t.Fatalf("recorded workflow not listed:\n%s", body)
	}
	mustContain(t, row[1], wf.Version()[:12], "<td>2</td>", "served by another process", "<td>no</td>")
	if strings.Contains(row[1], "<td>—</td>") {
		t.Fatalf("no Recorded time:\n%s", row[1])
	}

	// The executions filter offers it too, though this process serves it not.
	_, body = f.get("/ops/executions")
	mustContain(t, body, `<option value="elsewhere">`)

	_, body = f.get("/ops/workflows/elsewhere")
	mustContain(t, body, `data-task="first"`, `data-task="second"`, `id="start"`,
		`<td class="mono">`+wf.Version()+`</td><td>2</td><td class="mono">`+worker.runner.ID()+`</td>`)
	if !regexp.MustCompile(`<g class="edges"><path d="M[^"]+"`).MatchString(body) {
		t.Fatalf("the recorded graph has no edge:\n%s", body)
	}
	if strings.Contains(body, "unavailable") {
		t.Fatalf("a notice on the page:\n%s", body)
	}

	token := f.token("/ops/workflows/elsewhere")
	code, body, path := f.post("/ops/workflows/elsewhere/start", url.Values{"csrf": {token}, "input": {`{}`}})
	if code != http.StatusOK || !strings.HasPrefix(path, "/ops/executions/") {
		t.Fatalf("start: %d at %s\n%s", code, path, body)
	}
	mustContain(t, body, "Started elsewhere.")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ex, err := f.runner.Execution(ctx, strings.TrimPrefix(path, "/ops/executions/"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := ex.Wait(ctx)
	if err != nil || res.Status != runtime.PipelineStatusCompleted {
		t.Fatalf("the started execution: %+v %v", res, err)
	}
	_, body = f.get(path)
	mustContain(t, body, `st-completed">Completed`, `&#34;who&#34;: &#34;elsewhere&#34;`)
}
