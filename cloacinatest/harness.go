package cloacinatest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

// DefaultStart is when a harness's fake clock starts unless told
// otherwise: a fixed time, so that stored times are the same on every run.
var DefaultStart = time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC)

const (
	// DefaultHorizon is how far a harness's clock may run ahead while
	// waiting for one execution before the wait fails.
	DefaultHorizon = 30 * 24 * time.Hour

	// The runner's background intervals in a harness, unless its Config
	// sets them: long, because one runner alone on an in-memory store has
	// no lost notifications to poll for and no dead peers to recover
	// from, and every wake-up of them is a step of the fake clock.
	harnessPollInterval = time.Hour
	harnessHeartbeat    = 10 * time.Minute
	harnessStaleAfter   = time.Hour
)

// Options configures a Harness made with NewWith.
type Options struct {
	// Workflows are the workflows the harness runs, generated or built
	// with runtime.NewWorkflow. The harness registers copies of them in a
	// registry of its own (so their task functions can be replaced); the
	// copies run in any tenant, and leave out the workflows' schedules and
	// triggers, so that only what the test starts runs (test a schedule
	// with a runtime.Runner on a FakeClock).
	Workflows []*runtime.Workflow

	// Config is the base of the runner's configuration; nil means the
	// defaults. The harness sets Registry (which must be nil) and, when
	// they are zero: Clock (a new FakeClock; any other clock must be a
	// *FakeClock), DatabaseURL (sqlite://:memory:, unless Store or Pool is
	// set), Logger (records at Warn and above to t.Logf, stamped with the
	// fake clock's time), RunnerID ("cloacinatest"), and long
	// FallbackPollInterval (1h), HeartbeatInterval (10m) and
	// StaleClaimThreshold (1h): every wake-up of the runner's background
	// work is a step of the fake clock.
	Config *runtime.Config

	// Start is when the fake clock starts, unless Config.Clock is given
	// (default DefaultStart).
	Start time.Time

	// Horizon is how far the clock may run ahead while Wait waits for one
	// execution (default DefaultHorizon). Past it, Wait fails the test
	// with the execution's task table: nothing it waited for could end
	// the execution.
	Horizon time.Duration
}

// Harness runs workflows for a test: a real runtime.Runner, on an
// in-memory SQLite store and a FakeClock, with the real engine, trigger
// rules and context merge, shut down when the test ends. Its methods fail
// the test (Fatalf) when they cannot do what is asked; a failed or
// skipped task is not such a failure but part of the result, for the
// Require functions to check.
//
// A Harness is safe for concurrent use: several executions may run at
// once, and Run may be called from several goroutines.
type Harness struct {
	t       TB
	clock   *FakeClock
	runner  *runtime.Runner
	reg     *runtime.Registry
	horizon time.Duration

	mu      sync.RWMutex
	sources map[string]*runtime.Workflow // by name, as given
	funcs   map[taskRef]runtime.TaskFunc // what each task runs now
	single  map[taskRef]string           // RunTask's one-task workflows, by name
}

// taskRef names a task of a workflow.
type taskRef struct{ workflow, task string }

// New returns a harness running workflows with the defaults (see Options),
// shut down by t.Cleanup.
func New(t TB, workflows ...*runtime.Workflow) *Harness {
	t.Helper()
	return NewWith(t, Options{Workflows: workflows})
}

// NewWith returns a harness configured by opts, shut down by t.Cleanup.
func NewWith(t TB, opts Options) *Harness {
	t.Helper()
	h := &Harness{
		t: t, reg: runtime.NewRegistry(), horizon: cmp.Or(opts.Horizon, DefaultHorizon),
		sources: map[string]*runtime.Workflow{}, funcs: map[taskRef]runtime.TaskFunc{}, single: map[taskRef]string{},
	}
	var cfg runtime.Config
	if opts.Config != nil {
		cfg = *opts.Config
	}
	if cfg.Registry != nil {
		t.Fatalf("cloacinatest: Options.Config.Registry must be nil: the harness keeps a registry of its own; pass the workflows in Options.Workflows")
	}
	switch c := cfg.Clock.(type) {
	case nil:
		h.clock = NewFakeClock(cmp.Or(opts.Start, DefaultStart))
	case *FakeClock:
		h.clock = c
	default:
		t.Fatalf("cloacinatest: Options.Config.Clock must be nil or a *FakeClock, got %T", cfg.Clock)
	}
	for _, wf := range opts.Workflows {
		if err := h.register(wf); err != nil {
			t.Fatalf("cloacinatest: %v", err)
		}
	}
	cfg.Clock, cfg.Registry = h.clock, h.reg
	if cfg.Store == nil && cfg.Pool == nil && cfg.DatabaseURL == "" {
		cfg.DatabaseURL = "sqlite://:memory:"
	}
	if cfg.Logger == nil {
		clock := h.clock
		cfg.Logger = slog.New(slog.NewTextHandler(tbWriter{t}, &slog.HandlerOptions{
			Level: slog.LevelWarn,
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey && len(groups) == 0 {
					return slog.Time(slog.TimeKey, clock.Now()) // the time the runner sees
				}
				return a
			},
		}))
	}
	cfg.RunnerID = cmp.Or(cfg.RunnerID, "cloacinatest")
	cfg.FallbackPollInterval = cmp.Or(cfg.FallbackPollInterval, harnessPollInterval)
	cfg.HeartbeatInterval = cmp.Or(cfg.HeartbeatInterval, harnessHeartbeat)
	cfg.StaleClaimThreshold = cmp.Or(cfg.StaleClaimThreshold, max(harnessStaleAfter, 2*cfg.HeartbeatInterval))
	r, err := runtime.NewRunner(context.Background(), &cfg)
	if err != nil {
		t.Fatalf("cloacinatest: start the runner: %v", err)
	}
	h.runner = r
	t.Cleanup(func() {
		// Whatever still runs is stopped at once: the test is over.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := r.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("cloacinatest: shut the runner down: %v", err)
		}
	})
	return h
}

// register registers a copy of wf whose tasks call through h.funcs.
func (h *Harness) register(wf *runtime.Workflow) error {
	if wf == nil {
		return errors.New("a workflow given to the harness is nil")
	}
	if _, ok := h.sources[wf.Name()]; ok {
		return fmt.Errorf("workflow %q is given twice", wf.Name())
	}
	b := runtime.NewWorkflow(wf.Name()).Description(wf.Description()).Author(wf.Author())
	if inputs, declared := wf.Inputs(); declared {
		b.Inputs(inputs...) // inputs the workflow refuses are refused in tests too
	}
	for _, task := range wf.Tasks() {
		ref := taskRef{wf.Name(), task.ID}
		h.funcs[ref] = task.Func
		cp := *task
		cp.Func = h.indirect(ref)
		b.Add(&cp)
	}
	cp, err := b.Build()
	if err != nil {
		return fmt.Errorf("copy workflow %q: %w", wf.Name(), err)
	}
	if err := h.reg.Register(cp); err != nil {
		return err
	}
	h.sources[wf.Name()] = wf
	return nil
}

// indirect returns a task function that runs what h.funcs holds for ref
// at the time of the attempt.
func (h *Harness) indirect(ref taskRef) runtime.TaskFunc {
	return func(ctx context.Context, c *runtime.Context) error {
		h.mu.RLock()
		fn := h.funcs[ref]
		h.mu.RUnlock()
		return fn(ctx, c)
	}
}

// Runner returns the harness's runner.
func (h *Harness) Runner() *runtime.Runner { return h.runner }

// Clock returns the harness's fake clock.
func (h *Harness) Clock() *FakeClock { return h.clock }

// Run executes the named workflow with input (nil for an empty context)
// and returns its result once it has ended, the fake clock jumping over
// every wait (see Wait).
func (h *Harness) Run(workflow string, input *runtime.Context) *runtime.PipelineResult {
	h.t.Helper()
	return h.Wait(h.Start(workflow, input))
}

// Start starts the named workflow with input (nil for an empty context)
// and returns at once. The fake clock does not move until Wait.
func (h *Harness) Start(workflow string, input *runtime.Context) *runtime.Execution {
	h.t.Helper()
	exec, err := h.runner.ExecuteAsync(context.Background(), workflow, input)
	if err != nil {
		h.t.Fatalf("cloacinatest: start workflow %q: %v", workflow, err)
	}
	return exec
}

// Wait waits for exec to end and returns its result. Meanwhile the fake
// clock advances by itself (FakeClock.AutoAdvance): whenever every task
// left is waiting for a retry delay, a timeout or a sleep on the clock,
// it jumps to the next one. If the clock runs Options.Horizon ahead
// first, Wait fails the test showing the task table.
func (h *Harness) Wait(exec *runtime.Execution) *runtime.PipelineResult {
	h.t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	// The horizon is a timer of the clock too: when nothing else is left
	// to wait for, the clock jumps to it at once.
	horizon := h.clock.AfterFunc(h.horizon, func() { cancel(errHorizon) })
	defer horizon.Stop()
	stop := h.clock.AutoAdvance()
	res, err := exec.Wait(ctx)
	stop()
	switch {
	case errors.Is(context.Cause(ctx), errHorizon):
		if res == nil {
			h.t.Fatalf("cloacinatest: execution %s did not end within %s on the fake clock: %v", exec.ID(), h.horizon, err)
		}
		h.t.Fatalf("cloacinatest: execution %s did not end within %s on the fake clock (Options.Horizon): nothing it waits for ends it\n%s",
			exec.ID(), h.horizon, Table(res))
	case res == nil:
		h.t.Fatalf("cloacinatest: wait for execution %s: %v", exec.ID(), err)
	}
	return res
}

var errHorizon = errors.New("the fake clock reached the harness's horizon")

// RunTask runs one task of a workflow alone, as the only task of an
// execution whose input is input, and returns the result: its Context is
// the task's output. The task keeps its retry policy, timeout and
// callbacks (and its replacement, see Replace), but not its dependencies
// or trigger rule. It runs in a workflow of its own named
// cloacinatest-<workflow>-<task>, which its TaskMeta shows.
func (h *Harness) RunTask(workflow, task string, input *runtime.Context) *runtime.PipelineResult {
	h.t.Helper()
	name, err := h.singleTask(taskRef{workflow, task})
	if err != nil {
		h.t.Fatalf("cloacinatest: run task alone: %v", err)
	}
	return h.Run(name, input)
}

func (h *Harness) singleTask(ref taskRef) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if name, ok := h.single[ref]; ok {
		return name, nil
	}
	wf, ok := h.sources[ref.workflow]
	if !ok {
		return "", fmt.Errorf("no workflow %q in the harness (it has %s)", ref.workflow, h.workflowNames())
	}
	task, ok := wf.Task(ref.task)
	if !ok {
		return "", fmt.Errorf("workflow %q has no task %q (it has %s)", ref.workflow, ref.task, taskNames(wf))
	}
	cp := *task
	cp.Dependencies, cp.Trigger, cp.Func = nil, nil, h.indirect(ref)
	name := "cloacinatest-" + ref.workflow + "-" + ref.task
	one, err := runtime.NewWorkflow(name).Add(&cp).Build()
	if err != nil {
		return "", err
	}
	if err := h.reg.Register(one); err != nil {
		return "", err
	}
	h.single[ref] = name
	return name, nil
}

// Replace makes task run fn instead of its function, from the next
// attempt on, for the rest of the test. task is a task id, which names it
// in every workflow of the harness that has it, or workflow/task.
func (h *Harness) Replace(task string, fn runtime.TaskFunc) {
	h.t.Helper()
	if fn == nil {
		h.t.Fatalf("cloacinatest: Replace(%q): the function is nil", task)
	}
	h.change("Replace", task, func(runtime.TaskFunc) runtime.TaskFunc { return fn })
}

// FailTimes makes the first n attempts of task in each execution fail
// with err (or, when err is nil, an error saying which injected failure
// it is), and later attempts run as before. The task's retry policy
// decides what follows each failure: give it at least n+1 attempts to
// see it succeed. task is named as for Replace.
func (h *Harness) FailTimes(task string, n int, err error) {
	h.t.Helper()
	if n < 1 {
		h.t.Fatalf("cloacinatest: FailTimes(%q, %d): n must be at least 1", task, n)
	}
	h.change("FailTimes", task, func(prev runtime.TaskFunc) runtime.TaskFunc {
		return func(ctx context.Context, c *runtime.Context) error {
			m, _ := runtime.MetaFrom(ctx)
			if m.Attempt > n {
				return prev(ctx, c)
			}
			if err != nil {
				return err
			}
			return fmt.Errorf("cloacinatest: injected failure %d of %d", m.Attempt, n)
		}
	})
}

// change replaces the functions of the tasks spec names.
func (h *Harness) change(what, spec string, with func(prev runtime.TaskFunc) runtime.TaskFunc) {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	refs, err := h.resolve(spec)
	if err != nil {
		h.t.Fatalf("cloacinatest: %s(%q): %v", what, spec, err)
	}
	for _, ref := range refs {
		h.funcs[ref] = with(h.funcs[ref])
	}
}

// resolve finds the tasks a task or workflow/task names. h.mu is held.
func (h *Harness) resolve(spec string) ([]taskRef, error) {
	if wfName, task, ok := strings.Cut(spec, "/"); ok {
		wf, ok := h.sources[wfName]
		if !ok {
			return nil, fmt.Errorf("no workflow %q in the harness (it has %s)", wfName, h.workflowNames())
		}
		if _, ok := wf.Task(task); !ok {
			return nil, fmt.Errorf("workflow %q has no task %q (it has %s)", wfName, task, taskNames(wf))
		}
		return []taskRef{{wfName, task}}, nil
	}
	var refs []taskRef
	for name, wf := range h.sources {
		if _, ok := wf.Task(spec); ok {
			refs = append(refs, taskRef{name, spec})
		}
	}
	if len(refs) == 0 {
		var all []string
		for _, wf := range h.sources {
			all = append(all, wf.Name()+": "+taskNames(wf))
		}
		if len(all) == 0 {
			return nil, errors.New("the harness has no workflow")
		}
		sort.Strings(all)
		return nil, fmt.Errorf("no workflow of the harness has a task %q (tasks: %s)", spec, strings.Join(all, "; "))
	}
	return refs, nil
}

func (h *Harness) workflowNames() string {
	names := make([]string, 0, len(h.sources))
	for n := range h.sources {
		names = append(names, n)
	}
	if len(names) == 0 {
		return "none"
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func taskNames(wf *runtime.Workflow) string {
	ids := make([]string, 0, wf.Len())
	for _, t := range wf.Tasks() {
		ids = append(ids, t.ID)
	}
	sort.Strings(ids)
	return strings.Join(ids, ", ")
}

// tbWriter writes each log record to t.Logf.
type tbWriter struct{ t TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

var _ io.Writer = tbWriter{}
