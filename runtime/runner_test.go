package runtime_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/runtime/store/sqlite"
)

// newRunner starts a runner on a fresh SQLite file with its own registry
// holding wfs, and shuts it down when the test ends.
func newRunner(t testing.TB, cfg *runtime.Config, wfs ...*runtime.Workflow) *runtime.Runner {
	t.Helper()
	if cfg == nil {
		cfg = &runtime.Config{}
	}
	if cfg.DatabaseURL == "" && cfg.Store == nil && cfg.Pool == nil {
		cfg.DatabaseURL, cfg.Schema = testDatabase(t)
	}
	if cfg.Registry == nil {
		cfg.Registry = runtime.NewRegistry()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for _, wf := range wfs {
		if err := cfg.Registry.Register(wf); err != nil {
			t.Fatal(err)
		}
	}
	r, err := runtime.NewRunner(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil && !errors.Is(err, runtime.ErrRunnerClosed) {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return r
}

// testDatabase returns a fresh database for a test of the backend it runs
// on (see forEachBackend): a new SQLite file, or a new PostgreSQL schema
// dropped when the test ends.
func testDatabase(t testing.TB) (url, schema string) {
	t.Helper()
	if onPostgres(t) {
		return postgresURL(t), freshSchema(t)
	}
	return "sqlite://" + filepath.Join(t.TempDir(), "test.db"), ""
}

func fn(f func(ctx context.Context, c *runtime.Context) error) runtime.TaskFunc { return f }

// sqliteStore opens a store on a fresh SQLite file, for a test that wraps
// it, and closes it when the test ends (after the runners on it).
func sqliteStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.OpenPath(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// requireCompleted waits for each execution and fails the test unless it
// completed.
func requireCompleted(t *testing.T, execs ...*runtime.Execution) {
	t.Helper()
	for _, e := range execs {
		if res, err := waitFor(t, e); res.Status != runtime.PipelineStatusCompleted {
			t.Fatalf("execution %s ended %s: %v", e.ID(), res.Status, err)
		}
	}
}

func fastRetry(attempts int) *runtime.RetryPolicy {
	p := runtime.DefaultRetryPolicy()
	p.MaxAttempts = attempts
	p.InitialDelay = time.Millisecond
	p.MaxDelay = 10 * time.Millisecond
	p.Jitter = false
	return &p
}

func execute(t testing.TB, r *runtime.Runner, name string, input *runtime.Context) *runtime.PipelineResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := r.Execute(ctx, name, input)
	if res == nil {
		t.Fatalf("Execute: %v", err)
	}
	return res
}

func taskStatus(t *testing.T, res *runtime.PipelineResult, id string) runtime.TaskResult {
	t.Helper()
	tr, ok := res.Task(id)
	if !ok {
		t.Fatalf("no result for task %s", id)
	}
	return tr
}

func TestExecuteDiamondMergesContexts(t *testing.T) {
	forEachBackend(t, testExecuteDiamondMergesContexts)
}

func testExecuteDiamondMergesContexts(t *testing.T) {
	wf := runtime.NewWorkflow("diamond").Add(
		&runtime.Task{ID: "extract", Func: fn(func(_ context.Context, c *runtime.Context) error {
			return c.Insert("rows", []int{1, 2})
		})},
		&runtime.Task{ID: "left", Dependencies: []string{"extract"}, Func: fn(func(_ context.Context, c *runtime.Context) error {
			_ = c.Set("rows", []int{2, 3})
			return c.Set("meta", map[string]any{"left": true, "who": "left"})
		})},
		&runtime.Task{ID: "right", Dependencies: []string{"extract"}, Func: fn(func(_ context.Context, c *runtime.Context) error {
			_ = c.Set("rows", []int{4})
			return c.Set("meta", map[string]any{"right": true, "who": "right"})
		})},
		&runtime.Task{ID: "load", Dependencies: []string{"left", "right"}, Func: fn(func(_ context.Context, c *runtime.Context) error {
			rows, err := runtime.Get[[]int](c, "rows")
			if err != nil {
				return err
			}
			return c.Set("count", len(rows))
		})},
	).MustBuild()
	r := newRunner(t, nil, wf)
	input := runtime.NewContext()
	_ = input.Set("mode", "full")
	res := execute(t, r, "diamond", input)
	if res.Status != runtime.PipelineStatusCompleted || res.Err != nil {
		t.Fatalf("status %s err %v", res.Status, res.Err)
	}
	want := `{"count":3,"meta":{"left":true,"right":true,"who":"right"},"mode":"full","rows":[2,3,4]}`
	// left's rows [2,3] merged with right's [4] in deps order: [2,3,4]; meta merged, right wins "who".
	if got := res.Context.String(); got != want {
		t.Fatalf("final context = %s\nwant %s", got, want)
	}
	if res.WorkflowName != "diamond" || res.WorkflowVersion != wf.Version() || res.ExecutionID == "" {
		t.Fatalf("result metadata: %+v", res)
	}
	for _, id := range []string{"extract", "left", "right", "load"} {
		tr := taskStatus(t, res, id)
		if tr.Status != runtime.TaskStatusCompleted || tr.Attempts != 1 || tr.StartedAt.IsZero() || tr.CompletedAt.Before(tr.StartedAt) {
			t.Fatalf("%s: %+v", id, tr)
		}
	}
	if res.Tasks[0].TaskID != "extract" || res.Tasks[3].TaskID != "load" {
		t.Fatalf("results not in topological order: %v", res.Tasks)
	}
}

func TestRetryThenSucceed(t *testing.T) { forEachBackend(t, testRetryThenSucceed) }

func testRetryThenSucceed(t *testing.T) {
	var calls atomic.Int32
	var infos []runtime.AttemptInfo
	var mu sync.Mutex
	record := func(_ context.Context, info *runtime.AttemptInfo) {
		mu.Lock()
		infos = append(infos, *info)
		mu.Unlock()
	}
	wf := runtime.NewWorkflow("flaky").Add(&runtime.Task{
		ID: "flaky", Retry: fastRetry(3), OnSuccess: record, OnFailure: record,
		Func: fn(func(_ context.Context, c *runtime.Context) error {
			if calls.Add(1) < 3 {
				return errors.New("temporary glitch")
			}
			return c.Set("ok", true)
		}),
	}).MustBuild()
	r := newRunner(t, nil, wf)
	res := execute(t, r, "flaky", nil)
	tr := taskStatus(t, res, "flaky")
	if res.Status != runtime.PipelineStatusCompleted || tr.Status != runtime.TaskStatusCompleted || tr.Attempts != 3 {
		t.Fatalf("status %s task %+v", res.Status, tr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(infos) != 3 || infos[0].Err == nil || !infos[0].WillRetry || infos[1].Attempt != 2 || infos[2].Err != nil || infos[2].WillRetry {
		t.Fatalf("callbacks saw %+v", infos)
	}
	events, err := r.Events(context.Background(), res.ExecutionID)
	if err != nil {
		t.Fatal(err)
	}
	var retries, completions int
	for _, e := range events {
		switch e.Kind {
		case "task_retrying":
			retries++
			if !strings.Contains(e.Message, "temporary glitch") {
				t.Fatalf("retry event message %q", e.Message)
			}
		case "task_completed":
			completions++
		}
	}
	if retries != 2 || completions != 1 {
		t.Fatalf("events: %d retries, %d completions", retries, completions)
	}
}

func TestFailureSkipsDependentsAndTriggerRulesRun(t *testing.T) {
	forEachBackend(t, testFailureSkipsDependentsAndTriggerRulesRun)
}

func testFailureSkipsDependentsAndTriggerRulesRun(t *testing.T) {
	var cleanupRan atomic.Bool
	wf := runtime.NewWorkflow("failing").Add(
		&runtime.Task{ID: "extract", Func: fn(func(_ context.Context, c *runtime.Context) error { return c.Set("n", 5) })},
		&runtime.Task{ID: "load", Dependencies: []string{"extract"}, Retry: fastRetry(2),
			Func: fn(func(context.Context, *runtime.Context) error { return errors.New("warehouse unreachable") })},
		&runtime.Task{ID: "report", Dependencies: []string{"load"}, Func: fn(func(context.Context, *runtime.Context) error { return nil })},
		&runtime.Task{ID: "cleanup", Dependencies: []string{"load"}, Trigger: runtime.TaskFailed("load"),
			Func: fn(func(context.Context, *runtime.Context) error { cleanupRan.Store(true); return nil })},
		&runtime.Task{ID: "big", Dependencies: []string{"extract"},
			Trigger: runtime.ContextValue("n", runtime.OpGreaterThan, 10),
			Func:    fn(func(context.Context, *runtime.Context) error { return nil })},
	).MustBuild()
	r := newRunner(t, nil, wf)
	ctx := context.Background()
	res, err := r.Execute(ctx, "failing", nil)
	if res == nil || res.Status != runtime.PipelineStatusFailed {
		t.Fatalf("result %+v err %v", res, err)
	}
	var te *runtime.TaskError
	if !errors.As(err, &te) || te.TaskID != "load" || te.Attempt != 2 || !strings.Contains(err.Error(), "warehouse unreachable") {
		t.Fatalf("Execute error = %v", err)
	}
	if l := taskStatus(t, res, "load"); l.Status != runtime.TaskStatusFailed || l.Attempts != 2 || l.Err == nil {
		t.Fatalf("load %+v", l)
	}
	if rep := taskStatus(t, res, "report"); rep.Status != runtime.TaskStatusSkipped || rep.SkipReason != `dependency "load" failed` {
		t.Fatalf("report %+v", rep)
	}
	if c := taskStatus(t, res, "cleanup"); c.Status != runtime.TaskStatusCompleted || !cleanupRan.Load() {
		t.Fatalf("cleanup %+v", c)
	}
	if b := taskStatus(t, res, "big"); b.Status != runtime.TaskStatusSkipped || b.SkipReason != "trigger rule: context_value(n, greater_than, 10) does not hold" {
		t.Fatalf("big %+v", b)
	}
}

func TestPanicFailsAttemptAndRunnerKeepsGoing(t *testing.T) {
	forEachBackend(t, testPanicFailsAttemptAndRunnerKeepsGoing)
}

func testPanicFailsAttemptAndRunnerKeepsGoing(t *testing.T) {
	wf := runtime.NewWorkflow("panics").Add(
		&runtime.Task{ID: "boom", Retry: fastRetry(1), Func: fn(func(context.Context, *runtime.Context) error { panic("kaboom") })},
	).MustBuild()
	ok := runtime.NewWorkflow("fine").Add(&runtime.Task{ID: "ok", Func: fn(func(context.Context, *runtime.Context) error { return nil })}).MustBuild()
	r := newRunner(t, nil, wf, ok)
	res, err := r.Execute(context.Background(), "panics", nil)
	if res == nil || res.Status != runtime.PipelineStatusFailed {
		t.Fatalf("result %v, %v", res, err)
	}
	taskErr := taskStatus(t, res, "boom").Err
	var pe *runtime.PanicError
	if !errors.As(taskErr, &pe) || taskErr.Error() != `task "boom" attempt 1: panic: kaboom` ||
		!strings.Contains(pe.Stack, "goroutine") || !strings.Contains(pe.Stack, "runner_test.go") {
		t.Fatalf("panic error: %q with stack %v; want the value on one line and the stack in PanicError.Stack", taskErr, pe)
	}
	if res := execute(t, r, "fine", nil); res.Status != runtime.PipelineStatusCompleted {
		t.Fatalf("the runner stopped working after a panic: %s", res.Status)
	}
}

func TestTaskTimeout(t *testing.T) { forEachBackend(t, testTaskTimeout) }

func testTaskTimeout(t *testing.T) {
	var attempts atomic.Int32
	p := fastRetry(2)
	p.Condition = runtime.RetryCondition{Kind: runtime.RetryTransient}
	wf := runtime.NewWorkflow("slow").Add(&runtime.Task{
		ID: "slow", Timeout: 50 * time.Millisecond, Retry: p,
		Func: fn(func(ctx context.Context, _ *runtime.Context) error {
			attempts.Add(1)
			<-ctx.Done()
			return ctx.Err()
		}),
	}).MustBuild()
	r := newRunner(t, nil, wf)
	res, err := r.Execute(context.Background(), "slow", nil)
	if res == nil || res.Status != runtime.PipelineStatusFailed || attempts.Load() != 2 {
		t.Fatalf("result %v err %v attempts %d (a timeout is transient, so it is retried once)", res, err, attempts.Load())
	}
	if !strings.Contains(err.Error(), "deadline exceeded") {
		t.Fatalf("error %v does not say it timed out", err)
	}
}

func TestLateSuccessAfterTimeoutIsATimeout(t *testing.T) {
	wf := runtime.NewWorkflow("ignores-ctx").Add(&runtime.Task{
		ID: "stubborn", Timeout: 20 * time.Millisecond, Retry: fastRetry(1),
		Func: fn(func(context.Context, *runtime.Context) error { time.Sleep(60 * time.Millisecond); return nil }),
	}).MustBuild()
	r := newRunner(t, nil, wf)
	res, err := r.Execute(context.Background(), "ignores-ctx", nil)
	var te *runtime.TimeoutError
	if res == nil || res.Status != runtime.PipelineStatusFailed || !strings.Contains(err.Error(), "returned after its deadline: task timed out after 20ms") ||
		!errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &te) || te.After != 20*time.Millisecond || !runtime.IsTransient(err) {
		t.Fatalf("result %v err %v", res, err)
	}
}

func TestPermanentErrorIsNotRetried(t *testing.T) { forEachBackend(t, testPermanentErrorIsNotRetried) }

func testPermanentErrorIsNotRetried(t *testing.T) {
	var calls atomic.Int32
	wf := runtime.NewWorkflow("perm").Add(&runtime.Task{ID: "p", Retry: fastRetry(5),
		Func: fn(func(context.Context, *runtime.Context) error {
			calls.Add(1)
			return runtime.Permanent(errors.New("bad input"))
		})}).MustBuild()
	r := newRunner(t, nil, wf)
	res, _ := r.Execute(context.Background(), "perm", nil)
	if res.Status != runtime.PipelineStatusFailed || calls.Load() != 1 || taskStatus(t, res, "p").Attempts != 1 {
		t.Fatalf("status %s calls %d", res.Status, calls.Load())
	}
}

func TestUnknownWorkflow(t *testing.T) { forEachBackend(t, testUnknownWorkflow) }

func testUnknownWorkflow(t *testing.T) {
	r := newRunner(t, nil, runtime.NewWorkflow("etl").Add(&runtime.Task{ID: "a", Func: fn(func(context.Context, *runtime.Context) error { return nil })}).MustBuild())
	_, err := r.Execute(context.Background(), "elt", nil)
	if !errors.Is(err, runtime.ErrWorkflowNotFound) || !strings.Contains(err.Error(), `did you mean "etl"`) {
		t.Fatalf("err = %v", err)
	}
	if list, _ := r.ListExecutions(context.Background(), nil); len(list) != 0 {
		t.Fatalf("an execution was stored: %v", list)
	}
}

func TestCancelAndPause(t *testing.T) { forEachBackend(t, testCancelAndPause) }

func testCancelAndPause(t *testing.T) {
	started := make(chan struct{}, 1)
	var sawCause atomic.Value
	wf := runtime.NewWorkflow("long").Add(
		&runtime.Task{ID: "wait", Func: fn(func(ctx context.Context, _ *runtime.Context) error {
			started <- struct{}{}
			<-ctx.Done()
			sawCause.Store(context.Cause(ctx))
			return ctx.Err()
		})},
		&runtime.Task{ID: "after", Dependencies: []string{"wait"}, Func: fn(func(context.Context, *runtime.Context) error { return nil })},
	).MustBuild()
	r := newRunner(t, nil, wf)
	ctx := context.Background()
	exec, err := r.ExecuteAsync(ctx, "long", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	if st, _ := exec.Status(ctx); st != runtime.PipelineStatusRunning {
		t.Fatalf("status while running = %s", st)
	}
	if err := exec.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := exec.Wait(ctx)
	if !errors.Is(err, runtime.ErrExecutionCancelled) || res.Status != runtime.PipelineStatusCancelled {
		t.Fatalf("Wait after cancel = %v, %v", res, err)
	}
	// The running task is Cancelled, keeping its attempt; the one that never
	// started is Skipped.
	if tr := taskStatus(t, res, "wait"); tr.Status != runtime.TaskStatusCancelled || tr.Attempts != 1 || tr.SkipReason != "execution cancelled" || tr.StartedAt.IsZero() {
		t.Fatalf("wait = %+v", tr)
	}
	if tr := taskStatus(t, res, "after"); tr.Status != runtime.TaskStatusSkipped || tr.SkipReason != "execution cancelled" {
		t.Fatalf("after = %+v", tr)
	}
	deadline := time.Now().Add(5 * time.Second)
	for sawCause.Load() == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // the task goroutine records the cause just after ctx ends
	}
	if cause, _ := sawCause.Load().(error); !errors.Is(cause, runtime.ErrExecutionCancelled) {
		t.Fatalf("the running task saw cause %v", cause)
	}

	// Pause before anything is claimed: nothing runs until Resume.
	paused, err := r.ExecuteAsync(ctx, "long", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Pause(ctx, paused.ID()); err != nil {
		t.Fatal(err)
	}
	// The first task may already have been claimed; either way, the second must wait.
	select {
	case <-started:
	case <-time.After(200 * time.Millisecond):
	}
	if st, _ := paused.Status(ctx); st != runtime.PipelineStatusPaused {
		t.Fatalf("status = %s, want Paused", st)
	}
	if _, err := r.Resume(ctx, paused.ID()); err != nil {
		t.Fatal(err)
	}
	_ = paused.Cancel(ctx)
	if _, err := paused.Wait(ctx); !errors.Is(err, runtime.ErrExecutionCancelled) {
		t.Fatalf("Wait = %v", err)
	}
	if _, err := r.Pause(ctx, "no-such-id"); !errors.Is(err, runtime.ErrExecutionNotFound) {
		t.Fatalf("Pause unknown = %v", err)
	}
}

func TestWorkflowTimeout(t *testing.T) { forEachBackend(t, testWorkflowTimeout) }

func testWorkflowTimeout(t *testing.T) {
	wf := runtime.NewWorkflow("stuck").Add(&runtime.Task{ID: "stuck", Func: fn(func(ctx context.Context, _ *runtime.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})}).MustBuild()
	r := newRunner(t, &runtime.Config{WorkflowTimeout: 100 * time.Millisecond}, wf)
	start := time.Now()
	res, err := r.Execute(context.Background(), "stuck", nil)
	if !errors.Is(err, runtime.ErrWorkflowTimeout) || res.Status != runtime.PipelineStatusFailed {
		t.Fatalf("Execute = %v, %v", res, err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("timeout noticed after %s", el)
	}
}

func TestListExecutionsAndEvents(t *testing.T) { forEachBackend(t, testListExecutionsAndEvents) }

func testListExecutionsAndEvents(t *testing.T) {
	wf := runtime.NewWorkflow("one").Add(&runtime.Task{ID: "a", Func: fn(func(context.Context, *runtime.Context) error { return nil })}).MustBuild()
	r := newRunner(t, nil, wf)
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, execute(t, r, "one", nil).ExecutionID)
	}
	list, err := r.ListExecutions(context.Background(), &runtime.ListOptions{Workflow: "one", Status: []runtime.PipelineStatus{runtime.PipelineStatusCompleted}})
	if err != nil || len(list) != 3 {
		t.Fatalf("ListExecutions = %v, %v", list, err)
	}
	if list[0].ID != ids[2] || list[0].Status != runtime.PipelineStatusCompleted || list[0].CompletedAt.IsZero() {
		t.Fatalf("newest first: %+v", list[0])
	}
	events, err := r.Events(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	want := "execution_created task_started task_completed execution_completed"
	if strings.Join(kinds, " ") != want {
		t.Fatalf("events %v", kinds)
	}
	if _, err := r.Events(context.Background(), "nope"); !errors.Is(err, runtime.ErrExecutionNotFound) {
		t.Fatalf("Events unknown = %v", err)
	}
}

func TestManyConcurrentExecutions(t *testing.T) { forEachBackend(t, testManyConcurrentExecutions) }

func testManyConcurrentExecutions(t *testing.T) {
	var count atomic.Int64
	task := func(id string, deps ...string) *runtime.Task {
		return &runtime.Task{ID: id, Dependencies: deps, Func: fn(func(_ context.Context, c *runtime.Context) error {
			count.Add(1)
			return c.Set(id, true)
		})}
	}
	wf := runtime.NewWorkflow("parallel").Add(task("a"), task("b", "a"), task("c", "a"), task("d", "a"), task("e", "b", "c", "d")).MustBuild()
	r := newRunner(t, &runtime.Config{Concurrency: 8}, wf)
	ctx := context.Background()
	const n = 100
	var execs []*runtime.Execution
	for i := 0; i < n; i++ {
		e, err := r.ExecuteAsync(ctx, "parallel", nil)
		if err != nil {
			t.Fatal(err)
		}
		execs = append(execs, e)
	}
	for _, e := range execs {
		res, err := e.Wait(ctx)
		if err != nil || res.Context.String() != `{"a":true,"b":true,"c":true,"d":true,"e":true}` {
			t.Fatalf("execution %s: %v %v", e.ID(), res, err)
		}
	}
	if count.Load() != 5*n {
		t.Fatalf("ran %d tasks, want %d", count.Load(), 5*n)
	}
}

func TestConfigValidation(t *testing.T) {
	cases := map[string]*runtime.Config{
		"Concurrency must be at least 1":                                         {Concurrency: -1},
		"StaleClaimThreshold (1s) must be at least twice HeartbeatInterval (1s)": {HeartbeatInterval: time.Second, StaleClaimThreshold: time.Second},
		`DatabaseURL "mysql://x" must start with`:                                {DatabaseURL: "mysql://x"},
		`Schema: schema name "tenant-1" must match [A-Za-z0-9_]+`:                {Schema: "tenant-1"},
		"WorkflowTimeout must not be negative":                                   {WorkflowTimeout: -time.Second},
	}
	for want, cfg := range cases {
		_, err := runtime.NewRunner(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config %+v: err = %v, want %q", cfg, err, want)
		}
	}
	d := (*runtime.Config)(nil).WithDefaults()
	if d.DatabaseURL != "sqlite://cloacina.db" || d.Concurrency != 32 || d.RunnerID == "" || d.Registry != runtime.DefaultRegistry() {
		t.Fatalf("defaults: %+v", d)
	}
}

func TestShutdownInterruptsAndRecordsRunningTasks(t *testing.T) {
	started := make(chan struct{})
	var once sync.Once
	wf := runtime.NewWorkflow("hang").Add(&runtime.Task{ID: "hang", Retry: fastRetry(1), Func: fn(func(ctx context.Context, _ *runtime.Context) error {
		once.Do(func() { close(started) })
		<-ctx.Done()
		return ctx.Err()
	})}).MustBuild()
	dbURL := "sqlite://" + filepath.Join(t.TempDir(), "shutdown.db")
	reg := runtime.NewRegistry()
	reg.MustRegister(wf)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	r, err := runtime.NewRunner(context.Background(), &runtime.Config{DatabaseURL: dbURL, Registry: reg, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	exec, err := r.ExecuteAsync(context.Background(), "hang", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := r.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want the context's deadline error", err)
	}
	if err := r.Shutdown(context.Background()); !errors.Is(err, runtime.ErrRunnerClosed) {
		t.Fatalf("second Shutdown = %v", err)
	}
	if _, err := r.ExecuteAsync(context.Background(), "hang", nil); !errors.Is(err, runtime.ErrRunnerClosed) {
		t.Fatalf("ExecuteAsync after Shutdown = %v", err)
	}
	if _, err := exec.Status(context.Background()); !errors.Is(err, runtime.ErrRunnerClosed) {
		t.Fatalf("Status after Shutdown = %v, want ErrRunnerClosed", err)
	}
	if _, err := r.Execution(context.Background(), exec.ID()); !errors.Is(err, runtime.ErrRunnerClosed) {
		t.Fatalf("Execution after Shutdown = %v, want ErrRunnerClosed", err)
	}
	// The interrupted attempt was recorded as a retry, so a new runner
	// picks it up at once, even with a single allowed attempt.
	var ran atomic.Bool
	wf2 := runtime.NewWorkflow("hang").Add(&runtime.Task{ID: "hang", Retry: fastRetry(1), Func: fn(func(context.Context, *runtime.Context) error {
		ran.Store(true)
		return nil
	})}).MustBuild()
	r2 := newRunner(t, &runtime.Config{DatabaseURL: dbURL}, wf2)
	h, err := r2.Execution(context.Background(), exec.ID())
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	res, err := h.Wait(wctx)
	if err != nil || !ran.Load() || taskStatus(t, res, "hang").Attempts != 2 {
		t.Fatalf("after restart: %v %v ran=%v", res, err, ran.Load())
	}
}
