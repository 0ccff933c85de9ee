package ui_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/ui"
)

func TestListAndDetail(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db, schema string) {
		f := newFixture(t, db, schema, ui.Options{})
		good := f.execute("ok")
		bad := f.execute("broken")

		code, body := f.get("/ops/executions")
		if code != http.StatusOK {
			t.Fatalf("list: %d\n%s", code, body)
		}
		mustContain(t, body, good.ExecutionID, bad.ExecutionID,
			`st-completed">Completed`, `st-failed">Failed`, good.WorkflowVersion[:12], ">direct<")

		_, body = f.get("/ops/executions?status=Failed")
		if strings.Contains(body, good.ExecutionID) || !strings.Contains(body, bad.ExecutionID) {
			t.Fatalf("status filter: want only %s\n%s", bad.ExecutionID, body)
		}
		_, body = f.get("/ops/executions?workflow=ok")
		if !strings.Contains(body, good.ExecutionID) || strings.Contains(body, bad.ExecutionID) {
			t.Fatalf("workflow filter: want only %s\n%s", good.ExecutionID, body)
		}
		if code, body := f.get("/ops/executions?status=Nope"); code != http.StatusBadRequest || !strings.Contains(body, "status &#34;Nope&#34;") {
			t.Fatalf("bad status filter: %d\n%s", code, body)
		}

		code, body = f.get("/ops/executions/" + bad.ExecutionID)
		if code != http.StatusOK {
			t.Fatalf("detail: %d\n%s", code, body)
		}
		// The task error is shown, escaped, wherever it appears.
		if strings.Contains(body, "<script>alert") {
			t.Fatalf("task error rendered unescaped:\n%s", body)
		}
		mustContain(t, body,
			`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more`,
			`class="node st-failed" data-task="boom"`, `class="node st-skipped" data-task="down"`,
			`<text class="tst" x="8" y="32">Failed</text>`,
			`id="gantt"`, `gbar st-failed`, // the timeline has boom's attempt
			"task_failed", "task_skipped", "execution_failed", // the event log
			`data-live="false"`, `id="retry-failed"`, `id="retry-all"`)
		if strings.Contains(body, `id="cancel"`) {
			t.Fatal("a finished execution offers Cancel")
		}
		// The graph has its edge boom → down.
		if !regexp.MustCompile(`<g class="edges"><path d="M[^"]+"`).MatchString(body) {
			t.Fatalf("no edge drawn:\n%s", body)
		}

		_, body = f.get("/ops/executions/" + good.ExecutionID)
		mustContain(t, body, `class="node st-completed" data-task="a"`, `class="node st-completed" data-task="b"`, `&#34;a&#34;: 1`)

		code, body = f.get("/ops/executions/no-such-id")
		if code != http.StatusNotFound || !strings.Contains(body, "no execution with id &#34;no-such-id&#34;") {
			t.Fatalf("unknown execution: %d\n%s", code, body)
		}
		// The start of an id leads to the execution's page, as on the
		// command line.
		short := good.ExecutionID[:len(good.ExecutionID)-1]
		if code, page, to := f.getFollowing("/ops/executions/" + short); code != http.StatusOK || to != "/ops/executions/"+good.ExecutionID ||
			!strings.Contains(page, `data-task="a"`) {
			t.Fatalf("execution by a prefix of its id: %d at %s\n%s", code, to, page)
		}
	})
}

func TestCancelNeedsCSRFAndEndsCancelled(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db, schema string) {
		f := newFixture(t, db, schema, ui.Options{})
		ex := f.startBlocked()
		page := "/ops/executions/" + ex.ID()
		token := f.token(page)

		code, body, _ := f.post(page+"/cancel", nil)
		if code != http.StatusForbidden || !strings.Contains(body, "CSRF token missing or wrong") {
			t.Fatalf("cancel without token: %d\n%s", code, body)
		}
		code, body, _ = f.post(page+"/cancel", url.Values{"csrf": {token + "x"}})
		if code != http.StatusForbidden {
			t.Fatalf("cancel with a wrong token: %d\n%s", code, body)
		}
		if st := f.status(ex.ID()); st != runtime.PipelineStatusRunning {
			t.Fatalf("refused cancel changed the execution: %s", st)
		}

		code, body, path := f.post(page+"/cancel", url.Values{"csrf": {token}})
		if code != http.StatusOK || path != page {
			t.Fatalf("cancel: %d at %s\n%s", code, path, body)
		}
		mustContain(t, body, "Execution cancelled.", `id="exec-status" class="badge st-cancelled">Cancelled`)
		if st := f.status(ex.ID()); st != runtime.PipelineStatusCancelled {
			t.Fatalf("stored status %s, want Cancelled", st)
		}
		// The flash is shown once.
		_, body = f.get(page)
		if strings.Contains(body, "Execution cancelled.") {
			t.Fatal("flash shown twice")
		}
		_, body, _ = f.post(page+"/cancel", url.Values{"csrf": {token}})
		mustContain(t, body, "Cannot cancel: the execution is Cancelled; only a pending, running or paused execution can be cancelled.")
	})
}

func TestActionsRefusedWithReasons(t *testing.T) {
	f := newFixture(t, "sqlite://"+t.TempDir()+"/ui.db", "", ui.Options{})
	running := f.startBlocked()
	done := f.execute("ok")
	rp := "/ops/executions/" + running.ID()
	dp := "/ops/executions/" + done.ExecutionID
	token := f.token(rp)
	for _, c := range []struct {
		path string
		form url.Values
		want string
	}{
		{rp + "/retry", url.Values{"mode": {"failed"}}, "Cannot retry: the execution is Running; only a finished execution can be retried"},
		{rp + "/retry", url.Values{"mode": {"all"}}, "Cannot retry: the execution is Running"},
		{rp + "/resume", nil, "Cannot resume: the execution is Running; only a paused execution can be resumed."},
		{dp + "/pause", nil, "Cannot pause: the execution is Completed; only a pending or running execution can be paused."},
		{dp + "/retry", url.Values{"mode": {"failed"}}, "Cannot retry failed tasks: the execution Completed, nothing failed."},
		{dp + "/retry", url.Values{"mode": {"sideways"}}, "retry mode &#34;sideways&#34;"},
		{dp + "/explode", nil, "unknown action &#34;explode&#34;"},
	} {
		form := url.Values{"csrf": {token}}
		for k, v := range c.form {
			form[k] = v
		}
		_, body, _ := f.post(c.path, form)
		if !strings.Contains(body, c.want) {
			t.Errorf("POST %s %v: page lacks %q\n%s", c.path, c.form, c.want, body)
		}
	}
	if st := f.status(running.ID()); st != runtime.PipelineStatusRunning {
		t.Fatalf("refused actions changed the execution: %s", st)
	}

	// Pause and resume a running execution.
	_, body, _ := f.post(rp+"/pause", url.Values{"csrf": {token}})
	mustContain(t, body, "Execution paused", `id="resume"`)
	if st := f.status(running.ID()); st != runtime.PipelineStatusPaused {
		t.Fatalf("after pause: %s", st)
	}
	_, body, _ = f.post(rp+"/resume", url.Values{"csrf": {token}})
	mustContain(t, body, "Execution resumed.")
	if st := f.status(running.ID()); st != runtime.PipelineStatusRunning {
		t.Fatalf("after resume: %s", st)
	}
}

func TestReadOnly(t *testing.T) {
	f := newFixture(t, "sqlite://"+t.TempDir()+"/ui.db", "", ui.Options{ReadOnly: true})
	ex := f.startBlocked()
	page := "/ops/executions/" + ex.ID()
	_, body := f.get(page)
	mustContain(t, body, "read-only")
	if strings.Contains(body, `<form method="post"`) {
		t.Fatal("read-only page shows action forms")
	}
	_, body = f.get("/ops/workflows/ok")
	if strings.Contains(body, `id="start"`) {
		t.Fatal("read-only page shows the start form")
	}
	code, body, _ := f.post(page+"/cancel", url.Values{"csrf": {"anything"}})
	if code != http.StatusForbidden || !strings.Contains(body, "this UI is read-only") {
		t.Fatalf("read-only cancel: %d\n%s", code, body)
	}
	if st := f.status(ex.ID()); st != runtime.PipelineStatusRunning {
		t.Fatalf("read-only cancel changed the execution: %s", st)
	}
}

func TestStartWorkflowWithInput(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db, schema string) {
		f := newFixture(t, db, schema, ui.Options{})
		token := f.token("/ops/workflows/ok")
		code, body, path := f.post("/ops/workflows/ok/start", url.Values{"csrf": {token}, "input": {`{"who": "<b>me</b>"}`}})
		if code != http.StatusOK || !strings.HasPrefix(path, "/ops/executions/") {
			t.Fatalf("start: %d at %s\n%s", code, path, body)
		}
		mustContain(t, body, "Started ok.")
		id := strings.TrimPrefix(path, "/ops/executions/")
		ex, err := f.runner.Execution(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := ex.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var who string
		if err := res.Context.Get("who", &who); err != nil || who != "<b>me</b>" {
			t.Fatalf("input not passed: %q %v", who, err)
		}
		_, body = f.get(path)
		mustContain(t, body, `&#34;who&#34;: &#34;\u003cb\u003eme\u003c/b\u003e&#34;`)

		_, body, path = f.post("/ops/workflows/ok/start", url.Values{"csrf": {token}, "input": {`[1, 2`}})
		if path != "/ops/workflows/ok" {
			t.Fatalf("bad input went to %s", path)
		}
		mustContain(t, body, "Input is not valid JSON: unexpected end of JSON input")
		_, body, _ = f.post("/ops/workflows/ok/start", url.Values{"csrf": {token}, "input": {`[1, 2]`}})
		mustContain(t, body, "Input is not a JSON object")
		_, body, _ = f.post("/ops/workflows/nope/start", url.Values{"csrf": {token}, "input": {`{}`}})
		mustContain(t, body, "Cannot start nope")
	})
}

func TestWorkflowPages(t *testing.T) {
	f := newFixture(t, "sqlite://"+t.TempDir()+"/ui.db", "", ui.Options{})
	res := f.execute("broken")
	_, body := f.get("/ops/workflows")
	mustContain(t, body, `href="/ops/workflows/blocker"`, `href="/ops/workflows/broken"`, `href="/ops/workflows/ok"`)
	_, body = f.get("/ops/workflows/broken")
	mustContain(t, body, `data-task="boom"`, `data-task="down"`, res.ExecutionID, res.WorkflowVersion[:12], `id="start"`)
	if code, body := f.get("/ops/workflows/nope"); code != http.StatusNotFound || !strings.Contains(body, "no workflow named &#34;nope&#34;") {
		t.Fatalf("unknown workflow: %d\n%s", code, body)
	}
}

func TestSchedules(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db, schema string) {
		f := newFixture(t, db, schema, ui.Options{})
		ctx := context.Background()
		if _, err := f.runner.CreateSchedule(ctx, runtime.Schedule{Name: "nightly-ok", Workflow: "ok", Cron: "@daily"}); err != nil {
			t.Fatal(err)
		}
		_, body := f.get("/ops/schedules")
		mustContain(t, body, "nightly-ok", "@daily", ">active<", `href="/ops/schedules/nightly-ok"`)
		page := "/ops/schedules/" + url.PathEscape("nightly-ok")
		code, body := f.get(page)
		if code != http.StatusOK {
			t.Fatalf("schedule page: %d\n%s", code, body)
		}
		mustContain(t, body, `id="next-fires"`, "No fires yet.")
		token := f.token(page)

		_, body, _ = f.post(page+"/pause", url.Values{"csrf": {token}})
		mustContain(t, body, "Schedule paused", `id="sched-state">paused`)
		_, body, _ = f.post(page+"/pause", url.Values{"csrf": {token}})
		mustContain(t, body, "Schedule nightly-ok is already paused.")
		_, body, _ = f.post(page+"/resume", url.Values{"csrf": {token}})
		mustContain(t, body, "Schedule resumed", `id="sched-state">active`)

		_, body, path := f.post(page+"/trigger", url.Values{"csrf": {token}})
		if !strings.HasPrefix(path, "/ops/executions/") {
			t.Fatalf("trigger went to %s\n%s", path, body)
		}
		mustContain(t, body, "Schedule nightly-ok triggered.")
		_, body = f.get(page)
		mustContain(t, body, ">manual<", strings.TrimPrefix(path, "/ops/executions/"))

		if code, _ := f.get("/ops/schedules/nope"); code != http.StatusNotFound {
			t.Fatalf("unknown schedule: %d", code)
		}
		_, body, _ = f.post("/ops/schedules/nope/pause", url.Values{"csrf": {token}})
		mustContain(t, body, "no schedule named &#34;nope&#34;")
	})
}

func TestEventStreamFollowsLive(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db, schema string) {
		f := newFixture(t, db, schema, ui.Options{})
		ex := f.startBlocked()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", f.server.URL+"/ops/executions/"+ex.ID()+"/events", nil)
		resp, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("content type %q", ct)
		}
		lines := bufio.NewScanner(resp.Body)
		until := func(want string) []string {
			t.Helper()
			var seen []string
			for lines.Scan() {
				seen = append(seen, lines.Text())
				if strings.Contains(lines.Text(), want) {
					return seen
				}
			}
			t.Fatalf("stream ended before %q: %v\n%s", want, lines.Err(), strings.Join(seen, "\n"))
			return nil
		}
		until(`"kind":"execution_created"`)
		until(`"kind":"task_started","task":"wait","attempt":1`)
		close(f.release) // the task finishes only now: what follows is live
		until(`"kind":"task_completed","task":"wait","attempt":1`)
		seen := until(`"kind":"execution_completed"`)
		if !strings.Contains(strings.Join(seen, "\n"), `"state":"completed","label":"Completed"`) {
			t.Fatalf("no task state in the events:\n%s", strings.Join(seen, "\n"))
		}
		until("event: end")

		// Resuming from an event id returns only what follows it.
		events, err := f.runner.Events(ctx, ex.ID())
		if err != nil {
			t.Fatal(err)
		}
		last := events[len(events)-2]
		req, _ = http.NewRequestWithContext(ctx, "GET", f.server.URL+"/ops/executions/"+ex.ID()+"/events", nil)
		req.Header.Set("Last-Event-ID", last.Cursor.String())
		resp2, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp2.Body.Close()
		lines = bufio.NewScanner(resp2.Body)
		seen = until("event: end")
		var data []string
		for _, l := range seen {
			if strings.HasPrefix(l, "data: {\"kind") {
				data = append(data, l)
			}
		}
		if len(data) != 1 || !strings.Contains(data[0], events[len(events)-1].Kind) {
			t.Fatalf("resumed stream: %v", data)
		}

		// From its last event, a finished execution's stream ends at once.
		req, _ = http.NewRequestWithContext(ctx, "GET", f.server.URL+"/ops/executions/"+ex.ID()+"/events?from="+url.QueryEscape(events[len(events)-1].Cursor.String()), nil)
		resp3, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp3.Body.Close()
		lines = bufio.NewScanner(resp3.Body)
		if seen := until("event: end"); strings.Contains(strings.Join(seen, "\n"), `"kind"`) {
			t.Fatalf("events after the last one: %v", seen)
		}
	})
}

// TestEventStreamFromUnknownCursor: a running execution's stream from a
// cursor no event of the database has reached is refused with 400,
// naming the cursor, instead of a stream that stays silent.
func TestEventStreamFromUnknownCursor(t *testing.T) {
	f := newFixture(t, "sqlite://"+t.TempDir()+"/ui.db", "", ui.Options{})
	ex := f.startBlocked()
	defer close(f.release)
	code, body := f.get("/ops/executions/" + ex.ID() + "/events?from=999999999999-0")
	if code != http.StatusBadRequest || !strings.Contains(body, `cursor "999999999999-0": no event of this database has reached it`) {
		t.Fatalf("stream from an unknown cursor: %d %s", code, body)
	}
}

func TestPrefixAndMiddleware(t *testing.T) {
	f := newFixture(t, "sqlite://"+t.TempDir()+"/ui.db", "", ui.Options{})
	resp, err := http.Get(f.server.URL + "/ops/executions") // without the header
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the user's middleware was bypassed: %d", resp.StatusCode)
	}
	code, body, path := f.post("/ops/", nil) // POST to a page: not an action
	_ = path
	if code != http.StatusMethodNotAllowed && code != http.StatusNotFound {
		t.Fatalf("POST /ops/: %d\n%s", code, body)
	}
	code, body = f.get("/ops/")
	if code != http.StatusOK || !strings.Contains(body, "<h1>Executions</h1>") {
		t.Fatalf("/ops/ does not lead to the executions: %d", code)
	}
	mustContain(t, body, `href="/ops/static/app.css"`, `href="/ops/workflows"`)
	if code, _ := f.get("/ops/static/app.js"); code != http.StatusOK {
		t.Fatalf("static file: %d", code)
	}
	resp, err = f.client.Get(f.server.URL + "/ops/executions")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("CSP %q", csp)
	}
	// A cross-site POST is refused even with the right token.
	token := f.token("/ops/workflows/ok")
	req, _ := http.NewRequest("POST", f.server.URL+"/ops/workflows/ok/start", strings.NewReader(url.Values{"csrf": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", resp.StatusCode)
	}
}

// big is a workflow of n tasks in stages of 50, each depending on up to
// three tasks of the stage before.
func big(n int) *runtime.Workflow {
	b := runtime.NewWorkflow("big")
	p := runtime.NoRetry()
	for i := range n {
		t := &runtime.Task{ID: fmt.Sprintf("t%03d", i), Retry: &p, Func: func(context.Context, *runtime.Context) error { return nil }}
		if s := i / 50; s > 0 {
			for k := range 1 + i%3 {
				t.Dependencies = append(t.Dependencies, fmt.Sprintf("t%03d", (s-1)*50+(i*7+k*13)%50))
			}
		}
		b.Add(t)
	}
	return b.MustBuild()
}

func TestFiveHundredTaskPages(t *testing.T) {
	f := newFixture(t, "sqlite://"+t.TempDir()+"/ui.db", "", ui.Options{}, big(500))
	res := f.execute("big")
	if res.Status != runtime.PipelineStatusCompleted {
		t.Fatalf("big: %s", res.Status)
	}
	for _, path := range []string{"/ops/workflows/big", "/ops/executions/" + res.ExecutionID} {
		start := time.Now()
		code, body := f.get(path)
		took := time.Since(start)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", path, code)
		}
		nodes := strings.Count(body, `<g class="node `)
		t.Logf("%s: %d nodes, %d KiB, %v", path, nodes, len(body)/1024, took)
		if nodes != 500 {
			t.Fatalf("%s: %d nodes drawn, want 500", path, nodes)
		}
		if took > 5*time.Second {
			t.Fatalf("%s took %v", path, took)
		}
	}
}

// The page follows executions by server-sent events only: its script has
// no timer to poll with.
func TestScriptDoesNotPoll(t *testing.T) {
	f := newFixture(t, "sqlite://"+t.TempDir()+"/ui.db", "", ui.Options{})
	code, js := f.get("/ops/static/app.js")
	if code != http.StatusOK {
		t.Fatalf("app.js: %d", code)
	}
	for _, bad := range []string{"setInterval", "setTimeout", "fetch(", "XMLHttpRequest", "innerHTML ="} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
	if !strings.Contains(js, "new EventSource(") {
		t.Error("app.js does not use EventSource")
	}
}
