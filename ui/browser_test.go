package ui_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/ui"
)

// chromiumPath is the browser the tests drive (Debian's chromium package).
const chromiumPath = "/usr/bin/chromium"

// browser starts headless Chromium for one test, or skips the test when
// it is not installed (CLOACINA_REQUIRE_BROWSER=1, as CI sets, makes that a
// failure). Every page it loads carries the X-User header the fixture's
// middleware asks for.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CLOACINA_REQUIRE_BROWSER") != "" {
			t.Fatalf("CLOACINA_REQUIRE_BROWSER is set but %s is missing: install it with apt-get install chromium", chromiumPath)
		}
		t.Skipf("browser tests skipped: %s not found (apt-get install chromium to run them)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1400, 1000),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser() // closes the browser and waits for it
		cancelAlloc()
	})
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"X-User": "browser"}}); err != nil {
		t.Fatalf("setting the X-User header: %v", err)
	}
	return ctx
}

// screenshotDir is where the pages' screenshots go: CLOACINA_UI_SCREENSHOTS
// when set (CI keeps them as artifacts), else the test's temporary directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("CLOACINA_UI_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png := get(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// browserTimeout bounds each step, so a missing element fails the test
// with the page instead of hanging.
const browserTimeout = 30 * time.Second

// do runs browser steps, failing the test with what was being done and
// the page as it stood.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, browserTimeout)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("%s: %v\npage: %s", what, err, page(ctx))
	}
}

// get runs one browser action and returns its result.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, browserTimeout)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		t.Fatalf("%s: %v\npage: %s", what, err, page(ctx))
	}
	return v
}

func page(ctx context.Context) string {
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	body, _ := chromedp.Run(tctx, chromedp.OuterHTML(chromedp.CSS("body")))
	return body
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return get(t, ctx, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// svgText is the text of an SVG element, which has no innerText.
func svgText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return get(t, ctx, "text of "+sel, chromedp.TextContent(chromedp.CSS(sel)))
}

func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	return get(t, ctx, name+" of "+sel, chromedp.AttributeValue(chromedp.CSS(sel), name)).Value
}

func visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}

func TestBrowser(t *testing.T) {
	ctx := browser(t)
	shots := screenshotDir(t)
	f := newFixture(t, "sqlite://"+t.TempDir()+"/ui.db", "", ui.Options{})
	if _, err := f.runner.CreateSchedule(context.Background(), runtime.Schedule{Name: "nightly", Workflow: "ok", Cron: "0 2 * * *"}); err != nil {
		t.Fatal(err)
	}
	good := f.execute("ok")
	bad := f.execute("broken")
	toCancel := f.startBlocked()
	base := f.server.URL + "/ops"

	t.Run("list", func(t *testing.T) {
		do(t, ctx, "open the list", chromedp.Navigate(base+"/executions"), visible("#executions"))
		list := text(t, ctx, "#executions")
		for _, want := range []string{good.ExecutionID, bad.ExecutionID, toCancel.ID(), "Completed", "Failed", "Running", "broken", "blocker"} {
			if !strings.Contains(list, want) {
				t.Errorf("list lacks %q:\n%s", want, list)
			}
		}
		screenshot(t, ctx, shots, "executions")
	})

	t.Run("execution graph", func(t *testing.T) {
		do(t, ctx, "open the failed execution from the list",
			chromedp.Navigate(base+"/executions"),
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/ops/executions/%s"]`, bad.ExecutionID))),
			visible("#graph svg"))
		boom, down := attr(t, ctx, `#graph [data-task="boom"]`, "class"), attr(t, ctx, `#graph [data-task="down"]`, "class")
		if !strings.Contains(boom, "st-failed") || !strings.Contains(down, "st-skipped") {
			t.Fatalf("graph states: boom %q, down %q", boom, down)
		}
		if label := svgText(t, ctx, `#graph [data-task="boom"] .tst`); label != "Failed" {
			t.Fatalf("boom labelled %q", label)
		}
		if e := text(t, ctx, `#tasks [data-task="boom"] .err`); e != xssError {
			t.Fatalf("error shown as %q, want the text %q", e, xssError)
		}
		if n := get(t, ctx, "count scripts", chromedp.Evaluate[int](`document.querySelectorAll("script").length`)); n != 1 {
			t.Fatalf("%d script elements: the task error was injected as markup", n)
		}
		screenshot(t, ctx, shots, "execution")
	})

	t.Run("cancel", func(t *testing.T) {
		do(t, ctx, "cancel the running execution",
			chromedp.Navigate(base+"/executions/"+toCancel.ID()),
			visible(`#graph [data-task="wait"].st-running`),
			chromedp.Click(chromedp.CSS("#cancel")),
			visible("#flash"))
		if msg, status := text(t, ctx, "#flash"), text(t, ctx, "#exec-status"); msg != "Execution cancelled." || status != "Cancelled" {
			t.Fatalf("after cancel: flash %q, status %q", msg, status)
		}
		if st := f.status(toCancel.ID()); st != runtime.PipelineStatusCancelled {
			t.Fatalf("stored status %s, want Cancelled", st)
		}
	})

	t.Run("live events", func(t *testing.T) {
		live := f.startBlocked()
		do(t, ctx, "open the running execution and wait for its stream",
			chromedp.Navigate(base+"/executions/"+live.ID()),
			visible(`#graph [data-task="wait"].st-running`),
			visible(`#execution[data-connected="true"]`),
			chromedp.Evaluate[chromedp.Void](`window.stayedOnPage = true`))
		close(f.release) // the task completes only now
		do(t, ctx, "see the events arrive",
			visible(`#events tr.live-row.ev-task_completed`),
			visible(`#graph [data-task="after"].st-completed`),
			visible(`#events tr.live-row.ev-execution_completed`),
			visible(`#exec-status.st-completed`),
			visible(`#live-note a`)) // the stream's end
		if !get(t, ctx, "check the page stayed", chromedp.Evaluate[bool](`window.stayedOnPage === true`)) {
			t.Fatal("the page reloaded instead of following the events")
		}
		if status, label := text(t, ctx, "#exec-status"), svgText(t, ctx, `#graph [data-task="wait"] .tst`); status != "Completed" || label != "Completed" {
			t.Fatalf("status %q, wait labelled %q", status, label)
		}
		screenshot(t, ctx, shots, "execution-live")
	})

	t.Run("workflow and schedules", func(t *testing.T) {
		do(t, ctx, "open a workflow", chromedp.Navigate(base+"/workflows/broken"), visible(`#graph [data-task="down"]`))
		screenshot(t, ctx, shots, "workflow")
		do(t, ctx, "pause a schedule",
			chromedp.Navigate(base+"/schedules"),
			visible(`#schedules tr[data-name="nightly"]`),
			chromedp.Click(chromedp.CSS(`#schedules tr[data-name="nightly"] .sched-pause`)),
			visible("#sched-state"))
		if state := text(t, ctx, "#sched-state"); state != "paused" {
			t.Fatalf("schedule state %q after pause", state)
		}
		do(t, ctx, "open the schedules", chromedp.Navigate(base+"/schedules"), visible("#schedules"))
		screenshot(t, ctx, shots, "schedules")
	})
}

// A 500-task execution's page loads and lays out in the browser quickly.
func TestBrowserFiveHundredTasks(t *testing.T) {
	ctx := browser(t)
	f := newFixture(t, "sqlite://"+t.TempDir()+"/ui.db", "", ui.Options{}, big(500))
	res := f.execute("big")
	start := time.Now()
	do(t, ctx, "open the 500-task execution",
		chromedp.Navigate(f.server.URL+"/ops/executions/"+res.ExecutionID),
		visible(`#graph [data-task="t499"]`))
	took := time.Since(start)
	n := get(t, ctx, "count nodes", chromedp.Evaluate[int](`document.querySelectorAll("#graph g.node.st-completed").length`))
	t.Logf("500-task execution page loaded in the browser in %v", took)
	if n != 500 {
		t.Fatalf("%d completed nodes drawn, want 500", n)
	}
	if took > 10*time.Second {
		t.Fatalf("page took %v", took)
	}
}
