package runtime

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/cloacina-go/cloacina/internal/quiesce"
	"github.com/cloacina-go/cloacina/internal/spec"
	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/postgres"
	"github.com/cloacina-go/cloacina/runtime/store/sqlite"
)

// Errors of the Runner.
var (
	// ErrRunnerClosed is returned by calls made after Shutdown began.
	ErrRunnerClosed = errors.New("runner is shut down")
	// ErrExecutionCancelled is the error of an execution that was cancelled,
	// and the cause seen by its running tasks' contexts.
	ErrExecutionCancelled = errors.New("execution cancelled")
	// ErrWorkflowTimeout is the error of an execution that ran past the
	// runner's WorkflowTimeout.
	ErrWorkflowTimeout = errors.New("workflow timeout exceeded")
	// ErrExecutionNotFound is returned for an unknown execution id.
	ErrExecutionNotFound = errors.New("execution not found")
	// errClaimLost is the cause seen by a running task whose claim was taken
	// back by another runner.
	errClaimLost = errors.New("claim lost: the task was recovered by another runner")
	// errShutdown is the cause seen by tasks still running when Shutdown's
	// context ends.
	errShutdown = errors.New("runner shutting down")
)

// Runner executes workflows: it creates executions, claims their tasks,
// runs them with retries and timeouts, and records every step in its store,
// so that a crash loses nothing. Several runners may share one PostgreSQL
// database. A Runner is safe for concurrent use; stop it with Shutdown.
type Runner struct {
	cfg       *Config
	store     store.Store
	ownsStore bool
	reg       *Registry
	log       *slog.Logger
	id        string

	wake    chan struct{}       // buffered(1): something may be claimable
	results chan *attemptResult // buffered(Concurrency): finished attempts
	stop    chan struct{}       // closed by Shutdown: stop claiming
	stopped chan struct{}       // closed by the dispatcher: it will start no more attempts
	bgCtx   context.Context     // cancelled when background loops must exit
	bgStop  context.CancelFunc  //
	taskCtx context.Context     // parent of every attempt
	killAll context.CancelCauseFunc
	// flushCtx bounds the dispatcher's store calls; Shutdown cancels it when
	// its own context ends, so recording the last outcomes cannot outlast
	// it.
	flushCtx    context.Context
	cancelFlush context.CancelFunc
	bg          sync.WaitGroup // dispatcher, heartbeat, sweeper, listener
	tasks       sync.WaitGroup // running attempts
	tenant      string         // the tenant this runner serves: Config.Schema, or "public"
	deadlines   *deadlines     // executions with a deadline, until they end
	submissions submissions    // concurrent submissions sharing commits
	sched       *scheduler     // fires the schedules of the workflows it serves
	// groupsCommits is set when the store shares commits among concurrent
	// writes itself, so submissions need not (see store.CommitGrouper).
	groupsCommits bool
	// systemClock is set when Config.Clock is the SystemClock; act counts
	// the runner's work in progress for a clock that follows it, and is
	// nil otherwise (see alarm.go).
	systemClock bool
	act         *quiesce.Tracker

	// feed wakes subscriptions when the event log may have grown;
	// subsEnd is closed once Shutdown has stored the last of this
	// runner's events, and subscriptions then read to the end and stop.
	feed    feed
	subsEnd chan struct{}
	// hooksDone is closed when the event hooks' goroutine has returned
	// (at once when there are no event hooks); bgHookCtx is its context.
	hooksDone  chan struct{}
	bgHookCtx  context.Context
	stopHooks  context.CancelFunc
	endedHooks sync.WaitGroup // SubmitHook end callbacks in flight

	mu      sync.Mutex
	closed  bool
	running map[taskKey]*runningTask
	waiters map[string]chan struct{}
	enders  map[string][]func(*ExecutionSummary, error) // SubmitHook end callbacks by execution
	logged  map[string]bool                             // keys of the log lines said once (see firstTime)

	recorded recordedTasks // tasks of recorded definitions, for decisions without the code
}

type taskKey struct{ exec, task string }

type runningTask struct {
	attempt  int
	cancel   context.CancelCauseFunc
	finished bool // the attempt returned; its outcome is being recorded
}

// NewRunner opens the configured store (applying migrations), starts the
// runner's background work and returns it. cfg may be nil for the defaults.
// ctx bounds only the start-up.
func NewRunner(ctx context.Context, cfg *Config) (*Runner, error) {
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	_, system := c.Clock.(SystemClock)
	var act *quiesce.Tracker
	if g := quiesce.GroupOf(c.Clock); g != nil {
		act = g.Tracker()
	}
	r := &Runner{
		cfg: c, reg: c.Registry, log: c.Logger.With("runner", c.RunnerID), id: c.RunnerID,
		tenant: cmp.Or(c.Schema, store.DefaultTenant), deadlines: newDeadlines(act),
		systemClock: system, act: act,
		wake:      make(chan struct{}, 1),
		results:   make(chan *attemptResult, c.Concurrency),
		stop:      make(chan struct{}),
		stopped:   make(chan struct{}),
		running:   map[taskKey]*runningTask{},
		waiters:   map[string]chan struct{}{},
		enders:    map[string][]func(*ExecutionSummary, error){},
		logged:    map[string]bool{},
		subsEnd:   make(chan struct{}),
		hooksDone: make(chan struct{}),
	}
	if c.Store != nil {
		r.store = c.Store
	} else {
		s, err := openStore(ctx, c)
		if err != nil {
			return nil, err
		}
		r.store, r.ownsStore = s, true
	}
	if g, ok := r.store.(store.CommitGrouper); ok {
		r.groupsCommits = g.GroupsCommits()
	}
	if sc, ok := r.store.(interface{ Schema() string }); ok {
		r.tenant = sc.Schema() // a PostgreSQL store's schema is its tenant
	}
	r.sched = newScheduler(r)
	if err := r.reconcile(ctx); err != nil {
		if r.ownsStore {
			r.store.Close()
		}
		return nil, err
	}
	if err := r.recordDefinitions(ctx); err != nil {
		if r.ownsStore {
			r.store.Close()
		}
		return nil, err
	}
	r.bgCtx, r.bgStop = context.WithCancel(context.Background())
	r.taskCtx, r.killAll = context.WithCancelCause(context.Background())
	r.flushCtx, r.cancelFlush = context.WithCancel(context.Background())
	r.bgHookCtx, r.stopHooks = context.WithCancel(context.Background())
	var hookSub *Subscription
	if len(c.EventHooks) > 0 {
		head, stored, err := r.store.EventCursor(ctx)
		if err != nil {
			r.stopHooks()
			if r.ownsStore {
				r.store.Close()
			}
			return nil, fmt.Errorf("read the end of the event log for the event hooks: %w", err)
		}
		hookSub = newSubscription(r, EventFilter{runnerID: r.id}, head, stored)
	}
	// Ticks missed while no runner was up are handled before NewRunner
	// returns, so a caller sees the schedules as their policies left them.
	r.sched.pass()
	d := newDispatcher(r)
	r.bg.Add(4)
	// Until each loop has set its timers, a clock that follows the
	// runner's activity must not move: count their starts (the
	// dispatcher counts its own, see newDispatcher).
	r.act.Add(3) // the heartbeat loop's start, the maintenance loop's first sweep and the scheduler's first wait
	go d.run()
	go r.heartbeatLoop()
	go r.maintenanceLoop()
	go r.sched.run()
	if c.Retention != nil {
		r.bg.Add(1)
		go r.pruneLoop(c.Retention)
	}
	for _, wf := range r.reg.Workflows() {
		if _, ok := r.serves(wf.Name()); !ok {
			continue
		}
		for _, t := range wf.Triggers() {
			r.bg.Add(1)
			r.act.Add(1) // its start, until its first poll is set
			go r.runTrigger(t)
		}
	}
	if n, ok := r.store.(store.Notifier); ok {
		ch, err := n.Listen(r.bgCtx)
		if err != nil {
			r.bgStop()
			r.killAll(errShutdown)
			r.cancelFlush()
			r.bg.Wait()
			r.stopHooks()
			if r.ownsStore {
				r.store.Close()
			}
			r.act.Close()
			return nil, fmt.Errorf("listen for notifications: %w", err)
		}
		r.bg.Add(1)
		go r.listenLoop(ch)
	}
	if hookSub != nil {
		go r.hookLoop(hookSub) // owned by the runner: Shutdown waits for hooksDone
	} else {
		close(r.hooksDone)
	}
	r.signal()
	return r, nil
}

func openStore(ctx context.Context, c *Config) (store.Store, error) {
	opts := &postgres.Options{Schema: c.Schema}
	switch {
	case c.Pool != nil:
		return postgres.New(ctx, c.Pool, opts)
	case strings.HasPrefix(c.DatabaseURL, "sqlite://"):
		return sqlite.Open(ctx, c.DatabaseURL)
	case strings.HasPrefix(c.DatabaseURL, "postgres://"), strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		return postgres.Open(ctx, c.DatabaseURL, opts)
	}
	return nil, fmt.Errorf("DatabaseURL %q: no backend for this scheme", c.DatabaseURL)
}

// ID returns the runner's id, as recorded in claims and events.
func (r *Runner) ID() string { return r.id }

// Store returns the runner's store.
func (r *Runner) Store() store.Store { return r.store }

// isClosed reports whether Shutdown has begun.
func (r *Runner) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// signal wakes the dispatcher without blocking. The wake-up counts as work
// in progress until the dispatcher has acted on it (see alarm.go).
func (r *Runner) signal() {
	r.act.Add(1)
	select {
	case r.wake <- struct{}{}:
	default: // one is waiting already, and counted
		r.act.Add(-1)
	}
}

// Execute runs the named workflow with input (nil for an empty context) and
// blocks until the execution ends or ctx is done. It returns the result
// and, when the execution did not complete, an error (the result's Err).
// If ctx ends first the execution keeps running in the background: Execute
// then returns the result as it stands (its ExecutionID finds the
// execution again, see Runner.Execution) with ctx's error. When the
// execution could not be started (ExecuteAsync's errors: an unknown
// workflow, an *InputError, a store failure), the result is nil.
func (r *Runner) Execute(ctx context.Context, workflow string, input *Context, opts ...ExecuteOption) (*PipelineResult, error) {
	exec, err := r.ExecuteAsync(ctx, workflow, input, opts...)
	if err != nil {
		return nil, err
	}
	return exec.Wait(ctx)
}

// ExecuteAsync starts the named workflow with input (nil for an empty
// context) and returns at once with a handle on the execution, once the
// execution is stored.
func (r *Runner) ExecuteAsync(ctx context.Context, workflow string, input *Context, opts ...ExecuteOption) (*Execution, error) {
	sub := Submission{Workflow: workflow, Input: input}
	for _, o := range opts {
		o(&sub)
	}
	execs, err := r.ExecuteMany(ctx, []Submission{sub})
	if err != nil {
		return nil, err
	}
	return execs[0], nil
}

// ExecuteOption adjusts a submission made with Execute or ExecuteAsync.
type ExecuteOption func(*Submission)

// WithIdempotencyKey submits the execution at most once per key: see
// Submission.IdempotencyKey.
func WithIdempotencyKey(key string) ExecuteOption {
	return func(s *Submission) { s.IdempotencyKey = key }
}

// Submission is one execution for ExecuteMany to start.
type Submission struct {
	// Workflow names a registered workflow, or one this runner has not
	// registered whose definition another runner recorded: the execution
	// is then created from the latest recorded definition, and a runner
	// that has the workflow runs it.
	Workflow string
	// Input is the execution's input (nil for an empty context).
	Input *Context
	// IdempotencyKey, when set, makes the submission happen at most once:
	// if an execution with this key is stored already (submitted by any
	// process sharing the database, at any time), the handle returned is
	// on that execution and no new one is created. Two submissions with
	// one key in one call also yield one execution. Keys are shared by all
	// workflows: the execution a key names may be of another workflow
	// than the one submitted (Execution.Workflow tells).
	IdempotencyKey string
	// Headers are stored with the execution and given to every attempt
	// of its tasks (TaskMeta.Headers) and to hooks, in any process: a
	// trace context, a request id, the user who asked. SubmitHooks may
	// add to them. Keep them small: every claim reads them.
	Headers map[string]string
}

// ExecuteMany starts many executions in one transaction, as one commit,
// and returns their handles in order. Either all are stored or none is.
// Concurrent ExecuteMany and ExecuteAsync calls share transactions: calls
// made while one is being stored are stored together in the next (on
// SQLite, its single writer groups them), so many goroutines submitting at
// once cost few commits, while a lone call is stored at once.
func (r *Runner) ExecuteMany(ctx context.Context, subs []Submission) ([]*Execution, error) {
	if len(subs) == 0 {
		return nil, nil
	}
	news := make([]*store.NewExecution, len(subs))
	for i, sub := range subs {
		ne, err := r.newSubmission(ctx, sub)
		if err != nil {
			if len(subs) > 1 {
				return nil, fmt.Errorf("submission %d of %d: %w", i, len(subs), err)
			}
			return nil, err
		}
		news[i] = ne
	}
	return r.submit(ctx, subs, news)
}

// submit stores prepared submissions and returns handles on them.
func (r *Runner) submit(ctx context.Context, subs []Submission, news []*store.NewExecution) ([]*Execution, error) {
	ends := r.submitHooks(ctx, subs, news)
	dones := make([]chan struct{}, len(news))
	for i, ne := range news {
		var end []func(*ExecutionSummary, error)
		if ends != nil {
			end = ends[i]
		}
		done, err := r.addWaiter(ne.ID, end...)
		if err != nil {
			for _, prev := range news[:i] {
				r.removeWaiter(prev.ID)
			}
			r.submitFailed(news[:i], err)
			for j := i; j < len(news) && ends != nil; j++ {
				for _, f := range ends[j] {
					r.callEnder(f, nil, fmt.Errorf("execution %s was not stored: %w", news[j].ID, err))
				}
			}
			return nil, err
		}
		dones[i] = done
	}
	var stored []*store.Execution
	var err error
	if r.groupsCommits {
		stored, err = r.createExecutions(ctx, news)
	} else {
		stored, err = r.submissions.create(ctx, news, r.createExecutions)
	}
	if err != nil {
		for _, ne := range news {
			r.removeWaiter(ne.ID)
		}
		r.submitFailed(news, err)
		if len(subs) == 1 {
			return nil, fmt.Errorf("execute %s: %w", subs[0].Workflow, err)
		}
		return nil, fmt.Errorf("execute %d workflows: %w", len(subs), err)
	}
	out := make([]*Execution, len(news))
	for i, ne := range news {
		ex := stored[i]
		if ex.ID != ne.ID {
			// The idempotency key was taken: the handle is on the
			// execution stored with it, here or in another process.
			r.removeWaiter(ne.ID)
			for _, f := range r.takeEnders(ne.ID) {
				r.callEnder(f, nil, fmt.Errorf("idempotency key %q is taken by execution %s: execution %s was not stored", ne.IdempotencyKey, ex.ID, ne.ID))
			}
			done, err := r.addWaiter(ex.ID)
			if err != nil {
				return nil, err
			}
			dones[i] = done
			if ex.State.Terminal() {
				r.finished(ex.ID)
			} else if again, err := r.store.GetExecution(ctx, ex.ID); err == nil && again.State.Terminal() {
				// It ended in another process between the read and the
				// registration: the news of its end found no waiter.
				r.finished(ex.ID)
			}
		}
		out[i] = &Execution{r: r, id: ex.ID, workflow: ex.WorkflowName, done: dones[i]}
	}
	return out, nil
}

// createExecutions stores new executions in one transaction and tells
// the rest of the runner about them.
func (r *Runner) createExecutions(ctx context.Context, news []*store.NewExecution) ([]*store.Execution, error) {
	defer r.busy()()
	res, err := r.store.CreateExecutions(ctx, &store.CreateExecutionsParams{RunnerID: r.id, Now: r.storeNow(), Executions: news, Decide: r.decide})
	if err != nil {
		return nil, err
	}
	r.created(res.Executions, res.Finished)
	return res.Executions, nil
}

// newExecution prepares a submission for the store.
func (r *Runner) newExecution(sub Submission) (*store.NewExecution, error) {
	wf, err := r.reg.Lookup(sub.Workflow)
	if err != nil {
		return nil, err
	}
	if t := wf.Tenant(); t != "" && t != r.tenant {
		return nil, fmt.Errorf("execute %s: the workflow belongs to tenant %q, and this runner serves tenant %q (Config.Schema)", sub.Workflow, t, r.tenant)
	}
	inputs, declared := wf.Inputs()
	return r.prepare(sub, wf.Name(), wf.Version(), taskSpecs(wf), inputs, declared)
}

// newSubmission prepares a submission of a registered workflow or, when
// this runner has not registered it, of its latest recorded definition.
func (r *Runner) newSubmission(ctx context.Context, sub Submission) (*store.NewExecution, error) {
	ne, err := r.newExecution(sub)
	if errors.Is(err, ErrWorkflowNotFound) {
		return r.recordedExecution(ctx, sub, err)
	}
	return ne, err
}

// prepare builds the stored form of a submission of a workflow version
// with the given tasks, once its input matches the declared inputs (when
// declared).
func (r *Runner) prepare(sub Submission, name, version string, specs []store.TaskSpec, inputs []Input, declared bool) (*store.NewExecution, error) {
	input := sub.Input
	if input == nil {
		input = NewContext()
	}
	if err := input.loadRefs(input.Keys()); err != nil {
		return nil, fmt.Errorf("execute %s: input: %w", sub.Workflow, err)
	}
	if declared {
		if err := checkInput(name, inputs, input.values); err != nil {
			return nil, fmt.Errorf("execute %s: %w", name, err)
		}
	}
	doc, vals := input.Clone().detached().doc()
	return &store.NewExecution{
		ID: newExecutionID(), WorkflowName: name, WorkflowVersion: version, Tenant: r.tenant,
		Input: doc, Values: vals, Timeout: r.cfg.WorkflowTimeout, Tasks: specs,
		IdempotencyKey: sub.IdempotencyKey, Meta: encodeMeta(sub.Headers),
	}, nil
}

// checkInput checks the values (raw JSON) of an input against the inputs
// its workflow declares (see spec.CheckInput).
func checkInput(workflow string, inputs []Input, values map[string]json.RawMessage) error {
	decl := make([]spec.Input, len(inputs))
	for i, in := range inputs {
		decl[i] = spec.Input(in)
	}
	probs := spec.CheckInput(workflow, decl, values, "; declare it with inputs= on the //cloacina:workflow (or WorkflowBuilder.Inputs)")
	if len(probs) == 0 {
		return nil
	}
	e := &InputError{Workflow: workflow}
	for _, p := range probs {
		e.Problems = append(e.Problems, p.Msg)
	}
	return e
}

// taskSpecs lists a workflow's tasks for the store, in topological order.
func taskSpecs(wf *Workflow) []store.TaskSpec {
	specs := make([]store.TaskSpec, 0, wf.Len())
	for _, t := range wf.Tasks() {
		spec := store.TaskSpec{TaskID: t.ID, Deps: t.Dependencies, MaxAttempts: t.RetryPolicyOrDefault().MaxAttempts}
		if t.Trigger != nil {
			direct := make(map[string]bool, len(t.Dependencies))
			for _, d := range t.Dependencies {
				direct[d] = true
			}
			for _, id := range t.Trigger.Tasks() {
				if !direct[id] {
					spec.RuleTasks = append(spec.RuleTasks, id)
				}
			}
		}
		specs = append(specs, spec)
	}
	return specs
}

// addWaiter registers interest in an execution's end, with end
// callbacks of SubmitHooks to call then.
func (r *Runner) addWaiter(id string, ends ...func(*ExecutionSummary, error)) (chan struct{}, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrRunnerClosed
	}
	if len(ends) > 0 {
		r.enders[id] = append(r.enders[id], ends...)
	}
	ch, ok := r.waiters[id]
	if !ok {
		ch = make(chan struct{})
		r.waiters[id] = ch
	}
	return ch, nil
}

// submitFailed tells the SubmitHooks of news that they were not stored.
func (r *Runner) submitFailed(news []*store.NewExecution, err error) {
	for _, ne := range news {
		for _, f := range r.takeEnders(ne.ID) {
			r.callEnder(f, nil, fmt.Errorf("execution %s was not stored: %w", ne.ID, err))
		}
	}
}

func (r *Runner) removeWaiter(id string) {
	r.mu.Lock()
	delete(r.waiters, id)
	r.mu.Unlock()
}

// finished wakes everyone waiting for the execution, forgets its
// deadline, and has the SubmitHooks told.
func (r *Runner) finished(id string) {
	r.mu.Lock()
	ch, ok := r.waiters[id]
	delete(r.waiters, id)
	ends := r.enders[id]
	delete(r.enders, id)
	if len(ends) > 0 {
		r.endedHooks.Add(1) // under mu, so Shutdown's Wait sees it
	}
	r.mu.Unlock()
	if ok {
		close(ch)
	}
	r.deadlines.remove(id)
	r.sched.ended(id)
	if len(ends) > 0 {
		go func() { // owned by r.endedHooks; Shutdown waits for it
			defer r.endedHooks.Done()
			ctx, cancel := context.WithTimeout(context.Background(), storeCallTimeout)
			defer cancel()
			r.callEnders(ctx, map[string][]func(*ExecutionSummary, error){id: ends})
		}()
	}
}

// waitingOn returns the ids of executions someone waits for.
func (r *Runner) waitingOn() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, 0, len(r.waiters))
	for id := range r.waiters {
		ids = append(ids, id)
	}
	return ids
}

// ExecutionByPrefix returns a handle on the execution whose id is
// idOrPrefix or, when none has that id, on the one execution whose id
// starts with it, as a user types the first characters of an id (ids begin
// with their creation time: the first 13 characters, 01a234fe-50f2, give
// it to the millisecond, and tell apart executions created further
// apart). It returns an error wrapping ErrExecutionNotFound when none
// matches, and an *AmbiguousIDError when several do.
func (r *Runner) ExecutionByPrefix(ctx context.Context, idOrPrefix string) (*Execution, error) {
	ex, err := r.Execution(ctx, idOrPrefix)
	if !errors.Is(err, ErrExecutionNotFound) || idOrPrefix == "" {
		return ex, err
	}
	ids, lerr := r.store.ExecutionIDsWithPrefix(ctx, idOrPrefix, ambiguousShown+1)
	switch {
	case lerr != nil:
		return nil, r.storeErr(lerr)
	case len(ids) == 1:
		return r.Execution(ctx, ids[0])
	case len(ids) > 1:
		return nil, &AmbiguousIDError{Prefix: idOrPrefix, IDs: ids[:min(len(ids), ambiguousShown)], More: len(ids) > ambiguousShown}
	}
	return nil, err
}

// ambiguousShown is how many of the ids an ambiguous prefix matches an
// AmbiguousIDError lists.
const ambiguousShown = 5

// Execution returns a handle on an existing execution, which may have been
// started by another runner or process.
func (r *Runner) Execution(ctx context.Context, id string) (*Execution, error) {
	e, err := r.store.GetExecution(ctx, id)
	if err != nil {
		return nil, r.storeErr(err)
	}
	if e.State.Terminal() {
		done := make(chan struct{})
		close(done)
		return &Execution{r: r, id: id, workflow: e.WorkflowName, done: done}, nil
	}
	done, err := r.addWaiter(id)
	if err != nil {
		return nil, err
	}
	// It may have finished between the read and the registration.
	if e, err := r.store.GetExecution(ctx, id); err == nil && e.State.Terminal() {
		r.finished(id)
	}
	return &Execution{r: r, id: id, workflow: e.WorkflowName, done: done}, nil
}

// wrapNotFound turns the store's ErrNotFound into ErrExecutionNotFound,
// saying once which execution was not found.
func wrapNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &notFoundError{err: err}
	}
	return err
}

// notFoundError is ErrExecutionNotFound with the store's error, whose
// message names the execution.
type notFoundError struct{ err error }

func (e *notFoundError) Error() string {
	return strings.Replace(e.err.Error(), ": "+store.ErrNotFound.Error(), " not found", 1)
}

func (e *notFoundError) Unwrap() []error { return []error{ErrExecutionNotFound, e.err} }

// Pause stops new tasks of an execution from being claimed; running tasks
// finish. It reports whether the execution was paused by this call.
func (r *Runner) Pause(ctx context.Context, executionID string) (bool, error) {
	defer r.busy()()
	changed, err := r.store.SetPaused(ctx, &store.SetPausedParams{ExecutionID: executionID, Paused: true, RunnerID: r.id, Now: r.storeNow()})
	if changed {
		r.feed.fire()
		r.log.Info("execution paused", "execution_id", executionID)
	}
	return changed, r.storeErr(err)
}

// Resume lets a paused execution's tasks be claimed again. It reports
// whether the execution was resumed by this call.
func (r *Runner) Resume(ctx context.Context, executionID string) (bool, error) {
	defer r.busy()()
	changed, err := r.store.SetPaused(ctx, &store.SetPausedParams{ExecutionID: executionID, Paused: false, RunnerID: r.id, Now: r.storeNow()})
	if changed {
		r.feed.fire()
		r.log.Info("execution resumed", "execution_id", executionID)
		r.signal()
	}
	return changed, r.storeErr(err)
}

// Cancel ends an execution as Cancelled: its unfinished tasks are skipped
// and its running tasks in this runner see their context cancelled with
// ErrExecutionCancelled as the cause (runners in other processes notice at
// their next heartbeat). It reports whether this call cancelled it.
func (r *Runner) Cancel(ctx context.Context, executionID string) (bool, error) {
	return r.endExecution(ctx, executionID, store.ExecutionCancelled, ErrExecutionCancelled.Error(), ErrExecutionCancelled)
}

func (r *Runner) endExecution(ctx context.Context, id string, state store.ExecutionState, reason string, cause error) (bool, error) {
	defer r.busy()()
	changed, err := r.store.FinishExecution(ctx, &store.FinishExecutionParams{ExecutionID: id, State: state, Reason: reason, RunnerID: r.id, Now: r.storeNow()})
	if err != nil {
		return false, r.storeErr(err)
	}
	if changed {
		r.feed.fire()
		if state == store.ExecutionCancelled {
			r.log.Info("execution cancelled", "execution_id", id, "status", string(state), "error", reason)
		}
		r.cancelRunning(func(k taskKey) bool { return k.exec == id }, cause)
		r.finished(id)
	}
	return changed, nil
}

func (r *Runner) cancelRunning(match func(taskKey) bool, cause error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, rt := range r.running {
		if match(k) {
			rt.cancel(cause)
		}
	}
}

// ExecutionSummary describes an execution without its tasks.
type ExecutionSummary struct {
	ID              string
	WorkflowName    string
	WorkflowVersion string
	Status          PipelineStatus
	CreatedAt       time.Time
	StartedAt       time.Time
	CompletedAt     time.Time
	// Error says why a Failed or Cancelled execution ended.
	Error string
	// Origin says what started it: "" for a direct call, OriginSchedule or
	// OriginTrigger; OriginName names the schedule or trigger.
	Origin, OriginName string
	// Headers are the headers it was submitted with (Submission.Headers).
	Headers map[string]string
}

// ListOptions filters ListExecutions.
type ListOptions struct {
	// Workflow keeps only executions of this workflow.
	Workflow string
	// Status keeps only executions in these states.
	Status []PipelineStatus
	// Limit caps the result (default 100).
	Limit int
}

// ListExecutions returns executions, newest first. opts may be nil.
func (r *Runner) ListExecutions(ctx context.Context, opts *ListOptions) ([]ExecutionSummary, error) {
	p := &store.ListExecutionsParams{}
	if opts != nil {
		p.WorkflowName, p.Limit = opts.Workflow, opts.Limit
		for _, s := range opts.Status {
			st, err := toStoreExecState(s)
			if err != nil {
				return nil, fmt.Errorf("list executions: %w", err)
			}
			p.States = append(p.States, st)
		}
	}
	es, err := r.store.ListExecutions(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]ExecutionSummary, len(es))
	for i, e := range es {
		if out[i], err = summarize(e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Event is one entry of an execution's append-only event log.
type Event struct {
	ID          int64
	ExecutionID string
	// WorkflowName and WorkflowVersion are the execution's.
	WorkflowName, WorkflowVersion string
	// TaskID is empty for events about the whole execution.
	TaskID string
	// Kind is one of the store.Event* kinds, such as "task_completed":
	// execution_created, _completed, _failed, _cancelled, _paused and
	// _resumed; task_started, _completed, _retrying (Message holds the
	// error and the delay), _failed (the error), _skipped (the reason),
	// _cancelled, _recovered and _abandoned.
	Kind     string
	Attempt  int
	RunnerID string // the runner that appended it
	Message  string
	At       time.Time
	// Cursor is the event's position in the log: a subscription started
	// From it returns the events after this one.
	Cursor Cursor
}

// Events returns an execution's event log in order, as it stands. To be
// told of events as they are stored, see Subscribe and Execution.Follow.
func (r *Runner) Events(ctx context.Context, executionID string) ([]Event, error) {
	ex, err := r.store.GetExecution(ctx, executionID)
	if err != nil {
		return nil, r.storeErr(err)
	}
	es, err := r.store.ListEvents(ctx, executionID)
	if err != nil {
		return nil, err
	}
	out := make([]Event, len(es))
	for i, e := range es {
		e.WorkflowName, e.WorkflowVersion = ex.WorkflowName, ex.WorkflowVersion
		out[i] = eventFromStore(e)
	}
	return out, nil
}

// Shutdown stops the runner: it stops claiming tasks, lets running tasks
// finish until ctx ends, then cancels the rest (their attempts are recorded
// as interrupted and retried later, by this or another runner), records
// every outcome, closes the store if the runner opened it, and returns once
// every goroutine the runner started has exited. Recording the outcomes is
// bounded by ctx too: once ctx has ended, Shutdown gives the store about a
// second (one transaction) before it gives up, leaving unrecorded claims
// for another runner to recover. It returns ctx's error if tasks had to be
// cancelled. Calling Shutdown again returns ErrRunnerClosed.
func (r *Runner) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrRunnerClosed
	}
	r.closed = true
	r.mu.Unlock()
	close(r.stop)
	<-r.stopped // no attempt starts after this, so waiting for them is safe

	tasksDone := make(chan struct{})
	go func() { // exits when the last attempt does, which the cancel below ensures
		r.tasks.Wait()
		close(tasksDone)
	}()
	// From now on recording the last outcomes is bounded by ctx too, with a
	// short grace after it ends: enough for one transaction to record the
	// interrupted attempts, so another runner need not wait for their
	// claims to go stale.
	var graceMu sync.Mutex
	var grace *time.Timer
	stopFlushBound := context.AfterFunc(ctx, func() {
		graceMu.Lock()
		grace = time.AfterFunc(flushGrace, r.cancelFlush)
		graceMu.Unlock()
	})
	defer func() {
		stopFlushBound()
		graceMu.Lock()
		if grace != nil {
			grace.Stop()
		}
		graceMu.Unlock()
	}()
	var err error
	select {
	case <-tasksDone:
	case <-ctx.Done():
		err = ctx.Err()
		r.killAll(errShutdown)
		<-tasksDone
	}
	r.bgStop() // the dispatcher records the outcomes it holds before exiting
	r.bg.Wait()
	r.killAll(errShutdown)
	r.cancelFlush()
	// Every event of this runner is stored: subscriptions and the event
	// hooks read to the end of the log and stop.
	close(r.subsEnd)
	<-r.hooksDone
	r.stopHooks()
	// Wake anyone still waiting: their Wait reads the stored state.
	r.mu.Lock()
	for id, ch := range r.waiters {
		close(ch)
		delete(r.waiters, id)
	}
	enders := r.enders
	r.enders = nil
	r.mu.Unlock()
	r.endedHooks.Wait()
	r.callEnders(context.Background(), enders)
	if r.ownsStore {
		err = errors.Join(err, r.store.Close())
	}
	r.act.Close()
	return err
}

// flushGrace is how long Shutdown goes on recording outcomes after its
// context ended.
const flushGrace = time.Second

// newExecutionID returns a time-ordered UUID (version 7): executions created
// together get neighbouring ids, so the store's indexes on execution id grow
// at one end instead of being written all over, and ids sort by creation.
func newExecutionID() string {
	id, err := uuid.NewV7()
	if err != nil { // only if the system's random source fails
		return uuid.NewString()
	}
	return id.String()
}

// logEnded logs an execution that one of this runner's transactions
// ended: completed at Debug, failed at Info (its failed task was logged
// at Error by the runner that ran it).
func (r *Runner) logEnded(f store.FinishedExecution) {
	level := slog.LevelDebug
	if f.State != store.ExecutionCompleted {
		level = slog.LevelInfo
	}
	if !r.log.Enabled(context.Background(), level) {
		return
	}
	r.log.Log(context.Background(), level, "execution ended", "execution_id", f.ID, "workflow", f.WorkflowName,
		"status", string(f.State), "duration", f.CompletedAt.Sub(f.CreatedAt))
}
