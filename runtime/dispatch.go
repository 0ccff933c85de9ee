package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/cloacina-go/cloacina/internal/quiesce"
	"github.com/cloacina-go/cloacina/runtime/store"
)

// storeCallTimeout bounds each call the background loops make to the store,
// so a hung connection cannot stall the runner forever.
const storeCallTimeout = 30 * time.Second

// attemptResult is a finished attempt on its way to the dispatcher. ended
// is set when the attempt was cancelled because its execution ended
// (cancelled or timed out): its outcome is expected to be discarded.
// unblocks holds the tasks whose pending dependencies recording the
// outcome lowers (see dispatcher.board); nil when there are none or the
// dispatcher keeps a single flight.
type attemptResult struct {
	key      taskKey
	outcome  store.Outcome
	ended    bool
	unblocks []taskKey
	act      *quiesce.Attempt // counts the attempt until the dispatcher takes it
}

// dispatcher is the goroutine that talks to the store on the hot path: it
// records finished attempts and claims new tasks, batching both into as few
// transactions as the load allows. On a store that writes in parallel it
// keeps several calls in flight (see store.ParallelWriter): with one, every
// attempt that finishes while a transaction runs waits for it and the
// runner's slots sit idle for the length of a transaction; with two, one
// transaction records and claims while the other commits. On SQLite, whose
// writes are serial anyway, it keeps one.
// It sleeps until something happens: an attempt finishes, a store call
// returns, a wake-up arrives (a new execution, a resume, a notification
// from another process), the earliest retry comes due, or the slow fallback
// poll fires.
type dispatcher struct {
	r          *Runner
	inflight   int              // attempts running
	reserved   int              // slots promised to claims in flight
	flights    int              // store calls in flight
	claimsIn   int              // claim-only store calls in flight
	pending    []*attemptResult // finished attempts whose outcomes are to be recorded
	aloft      map[taskKey]int  // tasks unblocked by outcomes in flight, and by how many (see board)
	claiming   bool
	want       bool // something may be claimable
	failures   int  // consecutive store errors, for backoff
	flightsMax int
	landed     chan *flight
	// busy is whether the dispatcher counts itself as work in progress
	// (r.act): it holds outcomes or store calls, or waits out a store
	// error. woken counts the wake-ups received since it last said so,
	// and taken the attempts whose outcomes it took since: each is
	// counted by its sender until then (see alarm.go).
	busy  bool
	woken int
	taken []*quiesce.Attempt
}

// flight is one store call made by the dispatcher, and what it returned.
type flight struct {
	results  []*attemptResult // whose outcomes it records
	outcomes []store.Outcome  // of results, in the same order
	limit    int
	claimed  *store.ClaimTasksResult
	err      error
}

func newDispatcher(r *Runner) *dispatcher {
	n := 1
	if p, ok := r.store.(store.ParallelWriter); ok {
		n = max(1, p.WriteParallelism())
	}
	// It starts with a look for work, as if woken.
	r.act.Add(1)
	return &dispatcher{r: r, claiming: true, want: true, woken: 1, flightsMax: n, landed: make(chan *flight, n),
		aloft: map[taskKey]int{}}
}

func (d *dispatcher) run() {
	r := d.r
	defer r.bg.Done()
	poll := r.newAlarm()
	poll.set(r.cfg.FallbackPollInterval)
	defer poll.stop()
	retry := r.newAlarm()
	defer retry.stop()
	// The backoff after a store error runs on real time, whatever the
	// runner's clock: it paces calls to a real database.
	backoff := newTimer()
	defer backoff.Stop()
	stop, done := r.stop, r.bgCtx.Done()
	blocked := false // waiting out a backoff after a store error
	stoppedClosed := false
	for {
		for !blocked && d.launch() {
		}
		d.account(blocked)
		if done == nil && d.inflight == 0 && len(d.pending) == 0 && d.flights == 0 {
			return
		}
		select {
		case res := <-r.results:
			d.take(res)
		case f := <-d.landed:
			next, err := d.land(f)
			switch {
			case err != nil:
				d.failures++
				wait := storeBackoff(d.failures)
				r.log.Error("store call failed; retrying", "error", err, "retry_in", wait, "pending_outcomes", len(d.pending))
				blocked = true
				backoff.Reset(wait)
			case !next.IsZero():
				d.failures = 0
				retry.set(max(next.Sub(r.now()), 0))
			default:
				d.failures = 0
			}
		case <-r.wake:
			d.want = true
			d.woken++
		case <-poll.C:
			poll.set(r.cfg.FallbackPollInterval)
			d.want = true
			d.woken++
		case <-retry.C:
			d.want = true
			d.woken++
		case <-backoff.C:
			blocked = false
			// Shutting down with the store failing: give up after a few
			// tries, or at once when Shutdown's context has ended.
			if done == nil && len(d.pending) > 0 && (d.failures >= 5 || r.flushCtx.Err() != nil) {
				r.log.Error("could not record outcomes before shutdown; their claims will be recovered by another runner",
					"outcomes", len(d.pending))
				d.pending = nil
			}
		case <-stop:
			stop = nil
			d.claiming = false
		case <-done:
			done = nil
		}
		// Shutdown waits for the running attempts once no more can start:
		// claiming has stopped and no claim is still in flight.
		if stop == nil && !stoppedClosed && d.reserved == 0 {
			close(r.stopped)
			stoppedClosed = true
		}
		// Take every other finished attempt already waiting, so they share
		// one transaction.
		for more := true; more; {
			select {
			case res := <-r.results:
				d.take(res)
			default:
				more = false
			}
		}
	}
}

// account tells the runner's activity count (see alarm.go) whether the
// dispatcher has work in hand, then lets go of the wake-ups it has acted
// on. Running attempts count themselves.
func (d *dispatcher) account(blocked bool) {
	busy := len(d.pending) > 0 || d.flights > 0 || blocked
	switch {
	case busy && !d.busy:
		d.r.act.Add(1)
	case !busy && d.busy:
		d.r.act.Add(-1)
	}
	d.busy = busy
	d.r.act.Add(-d.woken)
	d.woken = 0
	for i, a := range d.taken {
		a.Release()
		d.taken[i] = nil
	}
	d.taken = d.taken[:0]
}

func (d *dispatcher) take(res *attemptResult) {
	if res.act != nil {
		d.taken = append(d.taken, res.act) // released once the outcome counts as pending (see account)
	}
	d.inflight--
	d.pending = append(d.pending, res)
}

// launch starts a store call if one is due and a flight is free: recording
// the pending outcomes (claiming in the same transaction what the free slots
// allow), or only claiming. It reports whether it started one.
func (d *dispatcher) launch() bool {
	r := d.r
	if d.flights >= d.flightsMax {
		return false
	}
	limit := 0
	if d.claiming {
		limit = r.cfg.Concurrency - d.inflight - d.reserved
	}
	f := &flight{}
	if n := d.board(); n > 0 && d.batchReady(n) && !d.awaitsSlots(n, limit) {
		f.results = d.pending[:n:n]
		d.pending = append([]*attemptResult(nil), d.pending[n:]...)
		f.outcomes = make([]store.Outcome, n)
		for i, res := range f.results {
			f.outcomes[i] = res.outcome
			for _, k := range res.unblocks {
				d.aloft[k]++
			}
		}
	} else if d.want && limit > 0 && d.claimsIn == 0 {
		d.claimsIn++
		d.want = false
	} else {
		return false
	}
	f.limit = max(limit, 0)
	d.reserved += f.limit
	d.flights++
	go d.fly(f) // owned by the dispatcher: run waits for every flight to land
	return true
}

// board moves the pending outcomes that may take off now to the front of
// d.pending, keeping their order, and returns how many there are. An
// outcome is held back while a flight in the air records another that
// unblocks one of the same tasks: both transactions would lock that
// task's row, and the second would wait for the first to commit with
// everything else it carries. Held back, it goes in the next flight once
// that one lands.
func (d *dispatcher) board() int {
	if len(d.aloft) == 0 {
		return len(d.pending)
	}
	var held []*attemptResult
	n := 0
	for _, res := range d.pending {
		if d.holds(res) {
			held = append(held, res)
			continue
		}
		d.pending[n] = res
		n++
	}
	copy(d.pending[n:], held)
	return n
}

// holds reports whether res unblocks a task that an outcome in flight
// unblocks too.
func (d *dispatcher) holds(res *attemptResult) bool {
	for _, k := range res.unblocks {
		if d.aloft[k] > 0 {
			return true
		}
	}
	return false
}

// batchReady reports whether n outcomes should take off now. A lone
// flight always goes at once, so a chain of tasks never waits. A second
// flight alongside one in the air goes only with a batch worth its
// transaction, a quarter of the runner's slots, or when nothing else is
// running that could add to it: otherwise the first outcome of a wave
// would take off alone, and every transaction would carry a handful.
func (d *dispatcher) batchReady(n int) bool {
	return d.flights == 0 || d.inflight == 0 || n >= max(1, d.r.cfg.Concurrency/4)
}

// awaitsSlots reports whether the first n pending outcomes should wait for
// the claim-only call in the air: nothing else runs, and the claim holds
// slots that the tasks they unblock would take. Sent now, the outcomes
// would ready those tasks without room to claim them in the same
// transaction, and they would wait for another claim, a round trip later,
// while the slots stood empty (a fan-out reached while the runner was
// idle: the claim that went out on the execution's notification holds all
// the slots). The claim lands within a round trip and gives its unused
// slots back. Under load (attempts running) outcomes go at once: holding
// them there cost throughput, and the slots fill from the claim anyway.
func (d *dispatcher) awaitsSlots(n, limit int) bool {
	if d.claimsIn == 0 || d.inflight > 0 {
		return false
	}
	unblocked := map[taskKey]bool{}
	for _, res := range d.pending[:n] {
		for _, k := range res.unblocks {
			unblocked[k] = true
		}
	}
	return len(unblocked) > limit
}

// fly makes the store call of f and hands it back to the dispatcher. The
// call is bounded by storeCallTimeout, and by Shutdown's context once
// Shutdown has begun (see Runner.flushCtx).
func (d *dispatcher) fly(f *flight) {
	r := d.r
	ctx, cancel := context.WithTimeout(r.flushCtx, storeCallTimeout)
	defer cancel()
	if len(f.outcomes) > 0 {
		res, err := r.store.CompleteTasks(ctx, &store.CompleteTasksParams{
			RunnerID: r.id, Now: r.storeNow(), Outcomes: f.outcomes, Decide: r.decide,
			ClaimLimit: f.limit, ClaimWorkflows: r.reg.claimable(r.tenant),
		})
		if err != nil {
			f.err = fmt.Errorf("record %d outcomes: %w", len(f.outcomes), err)
		} else {
			r.feed.fire()
			r.logLost(res.Lost, f)
			for _, fin := range res.Finished {
				r.logEnded(fin)
				r.finished(fin.ID)
			}
			f.claimed = res.Claimed
		}
	} else {
		f.claimed, f.err = r.store.ClaimTasks(ctx, &store.ClaimTasksParams{RunnerID: r.id, Now: r.storeNow(), Limit: f.limit, Workflows: r.reg.claimable(r.tenant)})
		if f.err != nil {
			f.err = fmt.Errorf("claim tasks: %w", f.err)
		} else if len(f.claimed.Tasks) > 0 {
			r.feed.fire()
		}
	}
	d.landed <- f
}

// land takes back a finished flight: it starts the claimed tasks, or on an
// error puts the outcomes back to be recorded again. It returns when the
// next retry comes due (zero for none known).
func (d *dispatcher) land(f *flight) (time.Time, error) {
	r := d.r
	d.flights--
	d.reserved -= f.limit
	if len(f.results) == 0 {
		d.claimsIn--
	}
	for _, res := range f.results {
		for _, k := range res.unblocks {
			if d.aloft[k]--; d.aloft[k] <= 0 {
				delete(d.aloft, k)
			}
		}
	}
	if f.err != nil {
		// Recording is idempotent (guarded by the claims), so the same
		// outcomes can be sent again.
		d.pending = append(f.results, d.pending...)
		d.want = true
		return time.Time{}, f.err
	}
	if len(f.results) > 0 {
		r.mu.Lock()
		for _, res := range f.results {
			// A later attempt of the same task may already be running (a
			// retry claimed by another flight that landed first).
			if rt := r.running[res.key]; rt != nil && rt.attempt == res.outcome.Attempt {
				delete(r.running, res.key)
			}
		}
		r.mu.Unlock()
	}
	if f.claimed == nil {
		return time.Time{}, nil
	}
	for _, ct := range f.claimed.Tasks {
		d.start(ct)
	}
	// A full batch may have left more behind; a short one means nothing
	// else is claimable until the next wake-up.
	if f.limit > 0 && len(f.claimed.Tasks) == f.limit {
		d.want = true
	}
	return f.claimed.NextRetryAt, nil
}

func (d *dispatcher) start(ct *store.ClaimedTask) {
	r := d.r
	d.inflight++
	key := taskKey{exec: ct.ExecutionID, task: ct.TaskID}
	act := r.act.Attempt()
	ctx, cancel := context.WithCancelCause(r.taskCtx)
	if act != nil {
		ctx = quiesce.NewContext(ctx, act)
	}
	stopAttempt := func(cause error) {
		act.Wake()
		cancel(cause)
	}
	r.mu.Lock()
	r.running[key] = &runningTask{attempt: ct.Attempt, cancel: stopAttempt}
	r.mu.Unlock()
	var unblocks []taskKey
	if d.flightsMax > 1 {
		unblocks = d.dependents(ct)
	}
	r.tasks.Add(1)
	go func() { // owned by r.tasks; Shutdown waits for it
		defer r.tasks.Done()
		out := r.attempt(ctx, ct, act)
		act.End()
		ended := executionEnded(ctx)
		cancel(nil)
		r.mu.Lock()
		if rt := r.running[key]; rt != nil && rt.attempt == ct.Attempt {
			rt.finished = true
		}
		r.mu.Unlock()
		res := &attemptResult{key: key, outcome: out, ended: ended, act: act}
		if out.Kind != store.OutcomeRetry { // a retry leaves its dependents as they are
			res.unblocks = unblocks
		}
		r.results <- res
	}()
}

// dependents returns the tasks of ct's execution that depend on ct's task,
// by the workflow registered here. They only steer which flight records
// the outcome (see board): a workflow changed since the execution was
// created costs a lock wait, not a wrong result.
func (d *dispatcher) dependents(ct *store.ClaimedTask) []taskKey {
	wf, err := d.r.reg.Lookup(ct.WorkflowName)
	if err != nil {
		return nil
	}
	ids := wf.Dependents(ct.TaskID)
	if len(ids) == 0 {
		return nil
	}
	keys := make([]taskKey, len(ids))
	for i, id := range ids {
		keys[i] = taskKey{exec: ct.ExecutionID, task: id}
	}
	return keys
}

// logLost logs the outcomes of f whose claims were lost. An attempt its
// runner cancelled because the execution ended is expected to be lost and
// is logged at Debug; any other was recovered by another runner, which the
// user should hear of.
func (r *Runner) logLost(lost []store.TaskRef, f *flight) {
	if len(lost) == 0 {
		return
	}
	ended := make(map[taskKey]bool, len(f.results))
	for _, res := range f.results {
		if res.ended {
			ended[res.key] = true
		}
	}
	for _, l := range lost {
		if ended[taskKey{exec: l.ExecutionID, task: l.TaskID}] {
			r.log.Debug("outcome of an attempt of an ended execution discarded",
				"execution_id", l.ExecutionID, "task", l.TaskID, "attempt", l.Attempt)
			continue
		}
		r.log.Warn("task outcome discarded: the claim was lost (the task was recovered by another runner, or its execution ended)",
			"execution_id", l.ExecutionID, "task", l.TaskID, "attempt", l.Attempt)
	}
}

func storeBackoff(failures int) time.Duration {
	d := 50 * time.Millisecond << min(failures-1, 7)
	return min(d, 5*time.Second)
}

// newTimer returns a stopped timer.
func newTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

// executionEnded reports whether an attempt's context was cancelled
// because its execution ended (a cancel, or the workflow's timeout).
func executionEnded(ctx context.Context) bool {
	cause := context.Cause(ctx)
	return errors.Is(cause, ErrExecutionCancelled) || errors.Is(cause, ErrWorkflowTimeout)
}

// logAttempt logs a record about an attempt of ct with the attributes
// execution_id, workflow, task and attempt, then extra. It builds nothing
// when the level is disabled, so routine records cost nothing by default.
func (r *Runner) logAttempt(level slog.Level, msg string, ct *store.ClaimedTask, extra ...any) {
	if !r.log.Enabled(context.Background(), level) {
		return
	}
	r.log.Log(context.Background(), level, msg, append([]any{"execution_id", ct.ExecutionID, "workflow", ct.WorkflowName,
		"task", ct.TaskID, "attempt", ct.Attempt}, extra...)...)
}

// attempt runs one attempt of a claimed task and returns its outcome. act
// counts it as work in progress (nil unless the clock follows the runner's
// activity).
func (r *Runner) attempt(ctx context.Context, ct *store.ClaimedTask, act *quiesce.Attempt) store.Outcome {
	out := store.Outcome{ExecutionID: ct.ExecutionID, TaskID: ct.TaskID, Attempt: ct.Attempt}
	fail := func(err error) store.Outcome {
		out.Kind = store.OutcomeFailed
		out.Error, out.ErrorDetail = recordError(err)
		return out
	}
	wf, err := r.reg.Lookup(ct.WorkflowName)
	if err != nil {
		return fail(err)
	}
	task, ok := wf.Task(ct.TaskID)
	if !ok {
		return fail(fmt.Errorf("workflow %s version %s registered here has no task %q", wf.Name(), wf.Version(), ct.TaskID))
	}
	timeout := task.Timeout
	if timeout == 0 {
		timeout = r.cfg.DefaultTaskTimeout
	}
	// The attempt ends at the earlier of its own timeout and its
	// execution's deadline, both on the runner's clock.
	start := r.now()
	var at time.Time
	var cause error
	if timeout > 0 {
		at, cause = start.Add(timeout), &TimeoutError{After: timeout}
	}
	if !ct.Deadline.IsZero() && (at.IsZero() || ct.Deadline.Before(at)) {
		at, cause = ct.Deadline, ErrWorkflowTimeout
	}
	if !ct.Deadline.IsZero() && !start.Before(ct.Deadline) {
		// Claimed past its execution's deadline, which no runner has
		// enforced yet (the one that would is gone, or behind): the task
		// does not run late; the execution ends timed out now.
		r.expireOne(ct.ExecutionID)
		return fail(fmt.Errorf("claimed after its execution's deadline: %w", ErrWorkflowTimeout))
	}
	actx := ctx
	if !at.IsZero() {
		var cancel context.CancelFunc
		actx, cancel = r.withDeadline(actx, at, cause, act)
		defer cancel()
	}
	c, err := contextFromDoc(ct.Input, func(hashes []string) (map[string][]byte, error) {
		return r.store.LoadValues(actx, ct.ExecutionID, hashes)
	})
	if err != nil {
		return fail(fmt.Errorf("decode input context: %w", err))
	}
	actx = withMeta(actx, TaskMeta{ExecutionID: ct.ExecutionID, WorkflowName: ct.WorkflowName, WorkflowVersion: ct.WorkflowVersion,
		TaskID: ct.TaskID, Attempt: ct.Attempt, MaxAttempts: task.RetryPolicyOrDefault().MaxAttempts, ReadyAt: ct.ReadyAt,
		Headers: headersFromMeta(ct.Meta)})
	r.logAttempt(slog.LevelDebug, "task attempt started", ct)
	began := r.now()
	err = r.runAttempt(actx, task.Func, c)
	elapsed := r.now().Sub(began)
	if pe := (*PanicError)(nil); errors.As(err, &pe) {
		r.log.Error("task panicked", "execution_id", ct.ExecutionID, "workflow", ct.WorkflowName,
			"task", ct.TaskID, "attempt", ct.Attempt, "panic", pe.Value, "stack", pe.Stack)
	}
	if err == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		// The attempt overran its deadline; a late success does not count.
		err = fmt.Errorf("returned after its deadline: %w", context.Cause(actx))
	}
	if cause := context.Cause(actx); err != nil && cause != nil && !errors.Is(err, cause) {
		// Say what ended the attempt (its timeout, the workflow's, a
		// cancellation) and keep it in the chain.
		err = fmt.Errorf("%w: %w", cause, err)
	}

	// The execution's deadline ending the attempt is the execution's end,
	// not this task's failure to retry, whichever runner notices first.
	expired := err != nil && actx.Err() != nil && errors.Is(context.Cause(actx), ErrWorkflowTimeout)
	if expired {
		r.expireOne(ct.ExecutionID)
	}
	// The execution ending under the attempt (a cancel, its timeout) is
	// the execution's story, not a failure of this task: say it quietly.
	ended := expired || executionEnded(ctx)
	policy := task.RetryPolicyOrDefault()
	interrupted := err != nil && errors.Is(context.Cause(ctx), errShutdown)
	willRetry := err != nil && !ended && (interrupted || policy.ShouldRetry(err, ct.Attempt))
	info := &AttemptInfo{
		ExecutionID: ct.ExecutionID, WorkflowName: ct.WorkflowName, TaskID: ct.TaskID, Attempt: ct.Attempt,
		MaxAttempts: policy.MaxAttempts, Context: c, Err: err, Duration: elapsed, WillRetry: willRetry,
	}
	if err == nil {
		r.logAttempt(slog.LevelDebug, "task attempt succeeded", ct, "duration", elapsed)
		r.callback(task.OnSuccess, "on_success", ctx, info)
		out.Kind = store.OutcomeSucceeded
		if c.changed {
			d, vals := c.doc()
			out.Output, out.Values = &d, vals
		}
		return out
	}
	r.callback(task.OnFailure, "on_failure", ctx, info)
	if ended {
		r.logAttempt(slog.LevelDebug, "task attempt stopped: its execution ended", ct, "duration", elapsed, "cause", context.Cause(ctx))
	}
	switch {
	case interrupted:
		r.logAttempt(slog.LevelInfo, "task attempt interrupted by shutdown; it will run again", ct, "duration", elapsed, "error", err)
		out.Kind = store.OutcomeRetry
		out.Error, out.ErrorDetail = recordError(fmt.Errorf("interrupted by the shutdown of runner %s: %w", r.id, err))
	case willRetry:
		out.Kind, out.RetryDelay = store.OutcomeRetry, policy.Delay(ct.Attempt)
		if !ended {
			r.logAttempt(slog.LevelWarn, "task attempt failed; retrying", ct, "duration", elapsed, "error", err,
				"retry_in", out.RetryDelay, "max_attempts", policy.MaxAttempts)
		}
		out.Error, out.ErrorDetail = recordError(err)
	default:
		if !ended {
			r.logAttempt(slog.LevelError, "task failed", ct, "duration", elapsed, "error", err, "max_attempts", policy.MaxAttempts)
		}
		return fail(err)
	}
	return out
}

// runAttempt runs a task function inside the configured attempt hooks, the
// first outermost.
func (r *Runner) runAttempt(ctx context.Context, fn TaskFunc, c *Context) error {
	run := func(ctx context.Context) error { return callTask(fn, ctx, c) }
	hooks := r.cfg.AttemptHooks
	if len(hooks) == 0 {
		return run(ctx)
	}
	meta, _ := MetaFrom(ctx)
	for i := len(hooks) - 1; i >= 0; i-- {
		hook, next := hooks[i], run
		run = func(ctx context.Context) error { return hook(ctx, meta, next) }
	}
	return callTask(func(ctx context.Context, _ *Context) error { return run(ctx) }, ctx, c)
}

// callTask runs a task function, turning a panic into a *PanicError.
func callTask(fn TaskFunc, ctx context.Context, c *Context) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: string(debug.Stack())}
		}
	}()
	return fn(ctx, c)
}

// callback runs an attempt callback, logging a panic instead of crashing.
func (r *Runner) callback(cb Callback, name string, ctx context.Context, info *AttemptInfo) {
	if cb == nil {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			r.log.Error("task callback panicked", "callback", name, "task", info.TaskID, "panic", v, "stack", string(debug.Stack()))
		}
	}()
	cb(ctx, info)
}
