package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

// flakyWorkflow is prep -> flip -> after. flip fails (once, no retry)
// while fail reports true; count is told of each task's runs.
func flakyWorkflow(fail func() bool, count func(id string)) *runtime.Workflow {
	return runtime.NewWorkflow("flaky").
		Add(&runtime.Task{ID: "prep", Fingerprint: "prep", Func: fn(func(_ context.Context, c *runtime.Context) error {
			count("prep")
			return c.Set("prepared", strings.Repeat("p", 2000)) // kept out of line
		})}).
		Add(&runtime.Task{ID: "flip", Dependencies: []string{"prep"}, Fingerprint: "flip", Retry: fastRetry(1),
			Func: fn(func(_ context.Context, c *runtime.Context) error {
				count("flip")
				if fail() {
					return errors.New("flip is broken")
				}
				return c.Set("flipped", true)
			})}).
		Add(&runtime.Task{ID: "after", Dependencies: []string{"flip"}, Fingerprint: "after", Func: fn(func(_ context.Context, c *runtime.Context) error {
			count("after")
			return c.Set("after", 1)
		})}).
		MustBuild()
}

// counter counts runs by task id in runs.
func counter(runs *sync.Map) func(id string) {
	return func(id string) {
		n, _ := runs.LoadOrStore(id, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
	}
}

func runsOf(runs *sync.Map, id string) int32 {
	n, ok := runs.Load(id)
	if !ok {
		return 0
	}
	return n.(*atomic.Int32).Load()
}

func waitFor(t *testing.T, e *runtime.Execution) (*runtime.PipelineResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := e.Wait(ctx)
	if res == nil {
		t.Fatalf("Wait: %v", err)
	}
	return res, err
}

func TestRetryFailedInPlace(t *testing.T) { forEachBackend(t, testRetryFailedInPlace) }

func testRetryFailedInPlace(t *testing.T) {
	ctx := context.Background()
	var broken atomic.Bool
	broken.Store(true)
	var runs sync.Map
	r := newRunner(t, nil, flakyWorkflow(broken.Load, counter(&runs)))
	res := execute(t, r, "flaky", runtime.NewContext())
	if res.Status != runtime.PipelineStatusFailed || taskStatus(t, res, "after").Status != runtime.TaskStatusSkipped {
		t.Fatalf("first run: %s, after %s", res.Status, taskStatus(t, res, "after").Status)
	}
	if _, err := r.Retry(ctx, res.ExecutionID, "sometimes"); err == nil || !strings.Contains(err.Error(), `"failed" or "all"`) {
		t.Fatalf("Retry with a bad mode: %v", err)
	}
	broken.Store(false)
	e, err := r.Retry(ctx, res.ExecutionID, runtime.RetryModeFailed)
	if err != nil {
		t.Fatal(err)
	}
	if e.ID() != res.ExecutionID {
		t.Fatalf("retry in place returned execution %s, want %s", e.ID(), res.ExecutionID)
	}
	again, err := waitFor(t, e)
	if err != nil || again.Status != runtime.PipelineStatusCompleted {
		t.Fatalf("after the retry: %s, %v", again.Status, err)
	}
	if p, f, a := runsOf(&runs, "prep"), runsOf(&runs, "flip"), runsOf(&runs, "after"); p != 1 || f != 2 || a != 1 {
		t.Fatalf("runs: prep %d, flip %d, after %d; want 1, 2, 1 (completed tasks do not run again)", p, f, a)
	}
	flip := taskStatus(t, again, "flip")
	if flip.Attempts != 1 || flip.Err != nil {
		t.Fatalf("flip after the retry: %+v", flip)
	}
	// Per-task contexts: what flip saw and what it wrote, out-of-line
	// values included.
	if v, err := runtime.Get[string](flip.Input, "prepared"); err != nil || len(v) != 2000 || flip.Input.Has("flipped") {
		t.Fatalf("flip's input: %d chars, %v, has flipped %v", len(v), err, flip.Input.Has("flipped"))
	}
	if ok, err := runtime.Get[bool](flip.Output, "flipped"); err != nil || !ok {
		t.Fatalf("flip's output flipped = %v, %v", ok, err)
	}
	if _, err := runtime.Get[int](again.Context, "after"); err != nil {
		t.Fatalf("final context: %v", err)
	}
	events, err := r.Events(ctx, res.ExecutionID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range events {
		if ev.TaskID == "" {
			kinds = append(kinds, ev.Kind+": "+ev.Message)
		}
	}
	joined := strings.Join(kinds, "\n")
	if !strings.Contains(joined, "execution_retried: running 2 task(s) again: flip, after") || !strings.HasSuffix(kinds[len(kinds)-1], "execution_completed: ") {
		t.Fatalf("execution events:\n%s", joined)
	}
	// A completed execution cannot be retried in place; a new run can be
	// started from it.
	if _, err := r.Retry(ctx, res.ExecutionID, runtime.RetryModeFailed); !errors.Is(err, runtime.ErrNotRetryable) || !strings.Contains(err.Error(), "completed") {
		t.Fatalf("retry in place of a completed execution: %v", err)
	}
	if _, err := r.Retry(ctx, "no-such-execution", runtime.RetryModeFailed); !errors.Is(err, runtime.ErrExecutionNotFound) {
		t.Fatalf("retry of an unknown execution: %v", err)
	}
}

func TestRetryAllAndRunningRefused(t *testing.T) { forEachBackend(t, testRetryAllAndRunningRefused) }

func testRetryAllAndRunningRefused(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	slow := runtime.NewWorkflow("slow").Add(&runtime.Task{ID: "wait", Fingerprint: "wait", Func: fn(func(ctx context.Context, c *runtime.Context) error {
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		n, _ := runtime.Get[int](c, "n")
		return c.Set("doubled", 2*n)
	})}).MustBuild()
	r := newRunner(t, nil, slow)
	in := runtime.NewContext()
	if err := in.Set("n", 21); err != nil {
		t.Fatal(err)
	}
	if err := in.Set("big", strings.Repeat("b", 3000)); err != nil {
		t.Fatal(err)
	}
	orig, err := r.ExecuteAsync(ctx, "slow", in)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	for _, mode := range []runtime.RetryMode{runtime.RetryModeFailed, runtime.RetryModeAll} {
		_, err := r.Retry(ctx, orig.ID(), mode)
		if !errors.Is(err, runtime.ErrNotRetryable) || !strings.Contains(err.Error(), "is running") || !strings.Contains(err.Error(), "cancel it first") {
			t.Fatalf("retry (%s) of a running execution: %v", mode, err)
		}
	}
	close(release)
	if res, err := waitFor(t, orig); err != nil || res.Status != runtime.PipelineStatusCompleted {
		t.Fatalf("original: %v", err)
	}
	e, err := r.Retry(ctx, orig.ID(), runtime.RetryModeAll)
	if err != nil {
		t.Fatal(err)
	}
	if e.ID() == orig.ID() {
		t.Fatal("retry all returned the original execution")
	}
	res, err := waitFor(t, e)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := runtime.Get[int](res.Context, "doubled"); err != nil || d != 42 {
		t.Fatalf("new execution's doubled = %d, %v", d, err)
	}
	if big, err := runtime.Get[string](taskStatus(t, res, "wait").Input, "big"); err != nil || len(big) != 3000 {
		t.Fatalf("the new execution's input lost its large value: %d, %v", len(big), err)
	}
	page, err := r.ListExecutionsPage(ctx, &runtime.PageOptions{Origin: runtime.OriginRetry})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Executions) != 1 || page.Executions[0].ID != e.ID() || page.Executions[0].OriginName != orig.ID() {
		t.Fatalf("executions started by a retry: %+v", page.Executions)
	}
	events, err := r.Events(ctx, orig.ID())
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Kind != "execution_retried" || last.Message != "retried as execution "+e.ID() {
		t.Fatalf("the original's last event: %s %q", last.Kind, last.Message)
	}
}

func TestRecordedDefinitionStartsWorkflow(t *testing.T) {
	forEachBackend(t, testRecordedDefinitionStartsWorkflow)
}

func testRecordedDefinitionStartsWorkflow(t *testing.T) {
	ctx := context.Background()
	url, schema := testDatabase(t)
	var gateRuns atomic.Int32
	wf := runtime.NewWorkflow("gated").Description("Runs when asked to").Author("ops").
		Add(&runtime.Task{ID: "gate", Fingerprint: "gate", Trigger: runtime.ContextValue("mode", runtime.OpEquals, "full"),
			Func: fn(func(_ context.Context, c *runtime.Context) error { gateRuns.Add(1); return c.Set("gated", true) })}).
		Add(&runtime.Task{ID: "work", Dependencies: []string{"gate"}, Fingerprint: "work", Timeout: time.Minute, Retry: fastRetry(2),
			Func: fn(func(_ context.Context, c *runtime.Context) error { return c.Set("worked", true) })}).
		Schedule(runtime.Schedule{Cron: "@daily", Paused: true}).
		MustBuild()
	// The runner with the code learns of work the tool stored from a
	// notification: its fallback poll is an hour.
	newRunner(t, &runtime.Config{DatabaseURL: url, Schema: schema, RunnerID: "worker", FallbackPollInterval: time.Hour}, wf)
	tool := newRunner(t, &runtime.Config{DatabaseURL: url, Schema: schema, RunnerID: "tool", FallbackPollInterval: time.Hour})

	defs, err := tool.ListWorkflows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) != 1 {
		t.Fatalf("ListWorkflows = %+v", defs)
	}
	d := defs[0]
	if d.Name != "gated" || d.Version != wf.Version() || d.Description != "Runs when asked to" || d.Author != "ops" || d.RecordedBy != "worker" {
		t.Fatalf("definition = %+v", d)
	}
	if len(d.Tasks) != 2 || d.Tasks[0].ID != "gate" || d.Tasks[0].Trigger != `context_value(mode, equals, "full")` ||
		d.Tasks[1].ID != "work" || strings.Join(d.Tasks[1].Dependencies, ",") != "gate" || d.Tasks[1].Timeout != time.Minute ||
		d.Tasks[1].Retry.MaxAttempts != 2 {
		t.Fatalf("tasks = %+v", d.Tasks)
	}
	if len(d.Schedules) != 1 || d.Schedules[0].Cron != "@daily" {
		t.Fatalf("schedules = %+v", d.Schedules)
	}
	versions, err := tool.DescribeWorkflow(ctx, "gated")
	if err != nil || len(versions) != 1 || versions[0].Version != wf.Version() {
		t.Fatalf("DescribeWorkflow = %+v, %v", versions, err)
	}
	if _, err := tool.DescribeWorkflow(ctx, "nope"); !errors.Is(err, runtime.ErrWorkflowNotFound) {
		t.Fatalf("DescribeWorkflow(nope): %v", err)
	}

	// The tool starts executions of a workflow it has not registered; the
	// worker runs them. The root's trigger rule is decided by the tool,
	// from the recorded rule.
	full := runtime.NewContext()
	_ = full.Set("mode", "full")
	quick := runtime.NewContext()
	_ = quick.Set("mode", "quick")
	execs, err := tool.ExecuteMany(ctx, []runtime.Submission{{Workflow: "gated", Input: full}, {Workflow: "gated", Input: quick}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := waitFor(t, execs[0])
	if err != nil || res.Status != runtime.PipelineStatusCompleted || res.WorkflowVersion != wf.Version() {
		t.Fatalf("full run: %+v, %v", res, err)
	}
	if worked, _ := runtime.Get[bool](res.Context, "worked"); !worked {
		t.Fatal("the worker did not run work")
	}
	res, _ = waitFor(t, execs[1])
	if g := taskStatus(t, res, "gate"); g.Status != runtime.TaskStatusSkipped || !strings.Contains(g.SkipReason, "mode") {
		t.Fatalf("quick run's gate: %+v", g)
	}
	if n := gateRuns.Load(); n != 1 {
		t.Fatalf("gate ran %d times, want 1", n)
	}
	if _, err := tool.ExecuteAsync(ctx, "unknown", nil); !errors.Is(err, runtime.ErrWorkflowNotFound) {
		t.Fatalf("ExecuteAsync of a workflow nobody recorded: %v", err)
	}
	// No name is no workflow, not the first one recorded.
	if ex, err := tool.ExecuteAsync(ctx, "", nil); !errors.Is(err, runtime.ErrWorkflowNotFound) {
		t.Fatalf("ExecuteAsync without a workflow name = %v, %v; want ErrWorkflowNotFound", ex, err)
	}
}

func TestListExecutionsPageStable(t *testing.T) { forEachBackend(t, testListExecutionsPageStable) }

func testListExecutionsPageStable(t *testing.T) {
	ctx := context.Background()
	noop := runtime.NewWorkflow("noop").Add(&runtime.Task{ID: "a", Fingerprint: "a", Func: fn(func(context.Context, *runtime.Context) error { return nil })}).MustBuild()
	other := runtime.NewWorkflow("other").Add(&runtime.Task{ID: "a", Fingerprint: "a", Func: fn(func(context.Context, *runtime.Context) error { return nil })}).MustBuild()
	r := newRunner(t, nil, noop, other)
	submit := func(n int, wf string) []string {
		t.Helper()
		subs := make([]runtime.Submission, n)
		for i := range subs {
			subs[i] = runtime.Submission{Workflow: wf}
		}
		es, err := r.ExecuteMany(ctx, subs)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, n)
		for i, e := range es {
			ids[i] = e.ID()
		}
		return ids
	}
	var want []string
	for range 5 { // separate commits, separate creation times
		want = append(want, submit(5, "noop")...)
	}
	submit(3, "other")
	var got []string
	opts := &runtime.PageOptions{ListOptions: runtime.ListOptions{Workflow: "noop", Limit: 4}}
	pages := 0
	for {
		page, err := r.ListExecutionsPage(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, e := range page.Executions {
			got = append(got, e.ID)
		}
		// Executions added while paging are newer than every cursor: they
		// are not seen, and nothing shifts.
		submit(2, "noop")
		if page.Next == "" {
			break
		}
		opts.Cursor = page.Next
	}
	if strings.Join(got, ",") != strings.Join(sortedNewestFirst(t, r, want), ",") || pages != 7 {
		t.Fatalf("paged %d pages: %d ids, want %d:\n got %v\nwant %v", pages, len(got), len(want), got, want)
	}
	if _, err := r.ListExecutionsPage(ctx, &runtime.PageOptions{Cursor: "not-a-cursor"}); err == nil || !strings.Contains(err.Error(), "ExecutionPage.Next") {
		t.Fatalf("bad cursor: %v", err)
	}
	if _, err := r.ListExecutionsPage(ctx, &runtime.PageOptions{Origin: "cron"}); err == nil || !strings.Contains(err.Error(), `Origin "cron"`) {
		t.Fatalf("bad origin: %v", err)
	}
	direct, err := r.ListExecutionsPage(ctx, &runtime.PageOptions{Origin: "direct", ListOptions: runtime.ListOptions{Workflow: "other"}})
	if err != nil || len(direct.Executions) != 3 || direct.Next != "" {
		t.Fatalf("direct executions of other: %+v, %v", direct, err)
	}
	first := direct.Executions[len(direct.Executions)-1]
	window, err := r.ListExecutionsPage(ctx, &runtime.PageOptions{ListOptions: runtime.ListOptions{Workflow: "other"},
		CreatedAfter: first.CreatedAt.Add(-time.Microsecond), CreatedBefore: first.CreatedAt.Add(time.Microsecond)})
	if err != nil || len(window.Executions) != 3 {
		t.Fatalf("executions of other created around %s: %+v, %v", first.CreatedAt, window, err)
	}
}

// sortedNewestFirst orders ids as an unpaged listing does: by creation
// time, then id, newest first.
func sortedNewestFirst(t *testing.T, r *runtime.Runner, ids []string) []string {
	t.Helper()
	all, err := r.ListExecutions(context.Background(), &runtime.ListOptions{Workflow: "noop", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for _, id := range ids {
		keep[id] = true
	}
	var out []string
	for _, e := range all {
		if keep[e.ID] {
			out = append(out, e.ID)
		}
	}
	if len(out) != len(ids) {
		t.Fatalf("%d of %d executions listed", len(out), len(ids))
	}
	return out
}

func TestPurgeWithConcurrentRuns(t *testing.T) { forEachBackend(t, testPurgeWithConcurrentRuns) }

func testPurgeWithConcurrentRuns(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	started := make(chan struct{}, 64)
	block := runtime.NewWorkflow("block").Add(&runtime.Task{ID: "wait", Fingerprint: "wait", Func: fn(func(ctx context.Context, c *runtime.Context) error {
		started <- struct{}{}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})}).MustBuild()
	quick := runtime.NewWorkflow("quick").
		Add(&runtime.Task{ID: "a", Fingerprint: "a", Func: fn(func(_ context.Context, c *runtime.Context) error { return c.Set("big", strings.Repeat("x", 5000)) })}).
		Add(&runtime.Task{ID: "b", Dependencies: []string{"a"}, Fingerprint: "b", Func: fn(func(context.Context, *runtime.Context) error { return nil })}).
		MustBuild()
	r := newRunner(t, nil, block, quick)
	var blocked []*runtime.Execution
	for range 3 {
		e, err := r.ExecuteAsync(ctx, "block", nil)
		if err != nil {
			t.Fatal(err)
		}
		blocked = append(blocked, e)
		<-started
	}
	var done []string
	for range 7 {
		res := execute(t, r, "quick", nil)
		done = append(done, res.ExecutionID)
	}
	if _, err := r.Purge(ctx, runtime.PurgeOptions{}); err == nil || !strings.Contains(err.Error(), "OlderThan") {
		t.Fatalf("Purge without OlderThan: %v", err)
	}
	if _, err := r.Purge(ctx, runtime.PurgeOptions{OlderThan: time.Hour, Statuses: []runtime.PipelineStatus{runtime.PipelineStatusRunning}}); err == nil || !strings.Contains(err.Error(), "not terminal") {
		t.Fatalf("Purge of running executions: %v", err)
	}
	if n, err := r.Purge(ctx, runtime.PurgeOptions{OlderThan: time.Hour}); err != nil || n != 0 {
		t.Fatalf("Purge of executions older than an hour = %d, %v; want none", n, err)
	}
	if n, err := r.Purge(ctx, runtime.PurgeOptions{OlderThan: time.Nanosecond, Statuses: []runtime.PipelineStatus{runtime.PipelineStatusFailed}}); err != nil || n != 0 {
		t.Fatalf("Purge of failed executions = %d, %v; want none", n, err)
	}
	// Meanwhile more executions run and finish: pruning never waits for
	// them and never touches one that is not finished.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var concurrent atomic.Int32
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := r.ExecuteAsync(ctx, "quick", nil); err != nil {
				t.Errorf("ExecuteAsync during the purge: %v", err)
				return
			}
			concurrent.Add(1)
		}
	}()
	n, err := r.Purge(ctx, runtime.PurgeOptions{OlderThan: time.Nanosecond, BatchSize: 3})
	close(stop)
	wg.Wait()
	if err != nil || n < len(done) {
		t.Fatalf("Purge = %d, %v; want at least the %d finished before it", n, err, len(done))
	}
	for _, id := range done {
		if _, err := r.Execution(ctx, id); !errors.Is(err, runtime.ErrExecutionNotFound) {
			t.Fatalf("execution %s after the purge: %v", id, err)
		}
	}
	close(release)
	for _, e := range blocked {
		res, err := waitFor(t, e)
		if err != nil || res.Status != runtime.PipelineStatusCompleted {
			t.Fatalf("blocked execution %s after the purge: %v", e.ID(), err)
		}
		events, err := r.Events(ctx, e.ID())
		if err != nil || events[0].Kind != "execution_created" {
			t.Fatalf("events of %s: %v", e.ID(), err)
		}
	}
	t.Logf("purged %d executions while %d more were submitted", n, concurrent.Load())
}

func TestPrunerDeletesOldExecutions(t *testing.T) {
	ctx := context.Background()
	clock := newManualClock(time.Now())
	pruned := make(chan int, 16)
	log := slog.New(&pruneLogHandler{ch: pruned})
	wf := runtime.NewWorkflow("noop").Add(&runtime.Task{ID: "a", Fingerprint: "a", Func: fn(func(context.Context, *runtime.Context) error { return nil })}).MustBuild()
	r := newRunner(t, &runtime.Config{Clock: clock, Logger: log, Retention: &runtime.Retention{Completed: time.Hour, Interval: time.Minute}}, wf)
	if n := <-pruned; n != 0 { // the pass at start
		t.Fatalf("the first pass deleted %d", n)
	}
	res := execute(t, r, "noop", nil)
	clock.Advance(time.Minute)
	if n := <-pruned; n != 0 {
		t.Fatalf("a pass a minute later deleted %d; the execution is younger than an hour", n)
	}
	clock.Advance(2 * time.Hour)
	if n := <-pruned; n != 1 {
		t.Fatalf("a pass two hours later deleted %d, want 1", n)
	}
	if _, err := r.Execution(ctx, res.ExecutionID); !errors.Is(err, runtime.ErrExecutionNotFound) {
		t.Fatalf("the pruned execution: %v", err)
	}
	if _, err := runtime.NewRunner(ctx, &runtime.Config{DatabaseURL: "sqlite://:memory:", Retention: &runtime.Retention{Failed: -time.Hour}}); err == nil ||
		!strings.Contains(err.Error(), "Retention.Failed must not be negative") {
		t.Fatalf("negative retention: %v", err)
	}
}

// pruneLogHandler sends the count of every "pruned old executions" record.
// TestRecordedDefinitionSubmissionIsLogged: a runner that submits a
// workflow it does not register (a program that forgot to import the
// workflow's package) says so in its log, once, naming the workflow, so a
// wait for a runner that registers it is not silent.
func TestRecordedDefinitionSubmissionIsLogged(t *testing.T) {
	ctx := context.Background()
	url, _ := testDatabase(t)
	noop := runtime.NewWorkflow("noop").Add(&runtime.Task{ID: "a", Fingerprint: "a", Func: fn(func(context.Context, *runtime.Context) error { return nil })}).MustBuild()
	worker := newRunner(t, &runtime.Config{DatabaseURL: url, RunnerID: "worker"}, noop)
	if err := worker.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	logs := &recordingHandler{}
	tool := newRunner(t, &runtime.Config{DatabaseURL: url, RunnerID: "tool", Logger: slog.New(logs)})
	for range 2 {
		if _, err := tool.ExecuteAsync(ctx, "noop", nil); err != nil {
			t.Fatal(err)
		}
	}
	logs.mu.Lock()
	recs := append([]slog.Record(nil), logs.records...)
	logs.mu.Unlock()
	var said []string
	for _, rec := range recs {
		if strings.Contains(rec.Message, "does not register the workflow") {
			attrs := map[string]string{}
			rec.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
			said = append(said, fmt.Sprintf("%s %s %s %s", rec.Level, attrs["workflow"], attrs["version"], attrs["recorded_by"]))
		}
	}
	if want := []string{"INFO noop " + noop.Version() + " worker"}; !reflect.DeepEqual(said, want) {
		t.Fatalf("log lines about the unregistered workflow = %q, want %q", said, want)
	}
}

type pruneLogHandler struct{ ch chan int }

func (h *pruneLogHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *pruneLogHandler) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message == "pruned old executions" {
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "deleted" {
				h.ch <- int(a.Value.Int64())
			}
			return true
		})
	}
	return nil
}
func (h *pruneLogHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *pruneLogHandler) WithGroup(string) slog.Handler      { return h }

func TestExecutionByPrefix(t *testing.T) { forEachBackend(t, testExecutionByPrefix) }

func testExecutionByPrefix(t *testing.T) {
	ctx := context.Background()
	noop := runtime.NewWorkflow("noop").Add(&runtime.Task{ID: "a", Fingerprint: "a", Func: fn(func(context.Context, *runtime.Context) error { return nil })}).MustBuild()
	r := newRunner(t, nil, noop)
	subs := make([]runtime.Submission, 7)
	for i := range subs {
		subs[i] = runtime.Submission{Workflow: "noop"}
	}
	execs, err := r.ExecuteMany(ctx, subs)
	if err != nil {
		t.Fatal(err)
	}
	id := execs[3].ID()
	for _, p := range []string{id, id[:len(id)-1]} {
		ex, err := r.ExecutionByPrefix(ctx, p)
		if err != nil || ex.ID() != id {
			t.Fatalf("ExecutionByPrefix(%q) = %v, %v; want %s", p, ex, err, id)
		}
	}
	// The seven ids begin with the same creation time.
	var amb *runtime.AmbiguousIDError
	if _, err := r.ExecutionByPrefix(ctx, id[:8]); !errors.As(err, &amb) || len(amb.IDs) != 5 || !amb.More ||
		!strings.Contains(err.Error(), "and more; give more of the id") {
		t.Fatalf("ExecutionByPrefix(%q) = %v; want an AmbiguousIDError listing 5 and more", id[:8], err)
	}
	for _, p := range []string{"zz", "", id + "0"} {
		if _, err := r.ExecutionByPrefix(ctx, p); !errors.Is(err, runtime.ErrExecutionNotFound) {
			t.Fatalf("ExecutionByPrefix(%q) = %v; want ErrExecutionNotFound", p, err)
		}
	}
}
