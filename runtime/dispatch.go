package runtime

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// storeCallTimeout bounds each call the background loops make to the store,
// so a hung connection cannot stall the runner forever.
const storeCallTimeout = 30 * time.Second

// attemptResult is a finished attempt on its way to the dispatcher.
type attemptResult struct {
	key     taskKey
	outcome store.Outcome
}

// dispatcher is the single goroutine that talks to the store on the hot
// path: it records finished attempts and claims new tasks, batching both
// into as few transactions as the load allows. It sleeps until something
// happens: an attempt finishes, a wake-up arrives (a new execution, a
// resume, a notification from another process), the earliest retry comes
// due, or the slow fallback poll fires.
type dispatcher struct {
	r        *Runner
	inflight int
	pending  []store.Outcome
	keys     []taskKey // running-map entries to drop once pending is recorded
	claiming bool
	want     bool // something may be claimable
	failures int  // consecutive store errors, for backoff
}

func newDispatcher(r *Runner) *dispatcher {
	return &dispatcher{r: r, claiming: true, want: true}
}

func (d *dispatcher) run() {
	r := d.r
	defer r.bg.Done()
	poll := time.NewTicker(r.cfg.FallbackPollInterval)
	defer poll.Stop()
	retry := newTimer()
	backoff := newTimer()
	stop, done := r.stop, r.bgCtx.Done()
	blocked := false // waiting out a backoff after a store error
	for {
		if !blocked && (len(d.pending) > 0 || (d.claiming && d.want && d.inflight < r.cfg.Concurrency)) {
			next, err := d.flush()
			switch {
			case err != nil:
				d.failures++
				wait := storeBackoff(d.failures)
				r.log.Error("store call failed; retrying", "error", err, "retry_in", wait, "pending_outcomes", len(d.pending))
				blocked = true
				backoff.Reset(wait)
			case !next.IsZero():
				d.failures = 0
				retry.Reset(max(time.Until(next), 0))
			default:
				d.failures = 0
			}
		}
		if done == nil && d.inflight == 0 && len(d.pending) == 0 {
			retry.Stop()
			backoff.Stop()
			return
		}
		select {
		case res := <-r.results:
			d.take(res)
		case <-r.wake:
			d.want = true
		case <-poll.C:
			d.want = true
		case <-retry.C:
			d.want = true
		case <-backoff.C:
			blocked = false
			if done == nil { // shutting down with the store failing: give up after a few tries
				if d.failures >= 5 {
					r.log.Error("could not record outcomes before shutdown; their claims will be recovered by another runner",
						"outcomes", len(d.pending))
					d.pending, d.keys = nil, nil
				}
			}
		case <-stop:
			stop = nil
			d.claiming = false
			close(r.stopped)
		case <-done:
			done = nil
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

func (d *dispatcher) take(res *attemptResult) {
	d.inflight--
	d.pending = append(d.pending, res.outcome)
	d.keys = append(d.keys, res.key)
}

// flush records pending outcomes and claims what the free slots allow, in
// one transaction when there are outcomes. It returns when the next retry
// comes due (zero for none known).
func (d *dispatcher) flush() (time.Time, error) {
	r := d.r
	ctx, cancel := context.WithTimeout(context.Background(), storeCallTimeout)
	defer cancel()
	limit := 0
	if d.claiming {
		limit = r.cfg.Concurrency - d.inflight
	}
	var claimed *store.ClaimTasksResult
	if len(d.pending) > 0 {
		res, err := r.store.CompleteTasks(ctx, &store.CompleteTasksParams{
			RunnerID: r.id, Outcomes: d.pending, Decide: r.decide,
			ClaimLimit: limit, ClaimWorkflows: r.reg.Names(),
		})
		if err != nil {
			return time.Time{}, fmt.Errorf("record %d outcomes: %w", len(d.pending), err)
		}
		for _, l := range res.Lost {
			r.log.Warn("task outcome discarded: the claim was lost (recovered by another runner, or the execution ended)",
				"execution", l.ExecutionID, "task", l.TaskID, "attempt", l.Attempt)
		}
		r.mu.Lock()
		for _, k := range d.keys {
			delete(r.running, k)
		}
		r.mu.Unlock()
		d.pending, d.keys = d.pending[:0], d.keys[:0]
		for _, f := range res.Finished {
			r.finished(f.ID)
		}
		claimed = res.Claimed
	} else if limit > 0 {
		res, err := r.store.ClaimTasks(ctx, &store.ClaimTasksParams{RunnerID: r.id, Limit: limit, Workflows: r.reg.Names()})
		if err != nil {
			return time.Time{}, fmt.Errorf("claim tasks: %w", err)
		}
		claimed = res
	}
	if claimed == nil {
		return time.Time{}, nil
	}
	for _, ct := range claimed.Tasks {
		d.start(ct)
	}
	// A full batch may have left more behind; a short one means nothing
	// else is claimable until the next wake-up.
	d.want = limit > 0 && len(claimed.Tasks) == limit
	return claimed.NextRetryAt, nil
}

func (d *dispatcher) start(ct *store.ClaimedTask) {
	r := d.r
	d.inflight++
	key := taskKey{exec: ct.ExecutionID, task: ct.TaskID}
	ctx, cancel := context.WithCancelCause(r.taskCtx)
	r.mu.Lock()
	r.running[key] = &runningTask{attempt: ct.Attempt, cancel: cancel}
	r.mu.Unlock()
	r.tasks.Add(1)
	go func() { // owned by r.tasks; Shutdown waits for it
		defer r.tasks.Done()
		out := r.attempt(ctx, ct)
		cancel(nil)
		r.results <- &attemptResult{key: key, outcome: out}
	}()
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

// attempt runs one attempt of a claimed task and returns its outcome.
func (r *Runner) attempt(ctx context.Context, ct *store.ClaimedTask) store.Outcome {
	out := store.Outcome{ExecutionID: ct.ExecutionID, TaskID: ct.TaskID, Attempt: ct.Attempt}
	fail := func(err error) store.Outcome {
		out.Kind, out.Error = store.OutcomeFailed, err.Error()
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
	c := NewContext()
	if err := c.UnmarshalJSON(ct.Input.Data); err != nil {
		return fail(fmt.Errorf("decode input context: %w", err))
	}
	timeout := task.Timeout
	if timeout == 0 {
		timeout = r.cfg.DefaultTaskTimeout
	}
	actx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(actx, timeout)
		defer cancel()
	}
	if !ct.Deadline.IsZero() {
		var cancel context.CancelFunc
		actx, cancel = context.WithDeadlineCause(actx, ct.Deadline, ErrWorkflowTimeout)
		defer cancel()
	}
	actx = withMeta(actx, TaskMeta{ExecutionID: ct.ExecutionID, WorkflowName: ct.WorkflowName, TaskID: ct.TaskID, Attempt: ct.Attempt})
	start := time.Now()
	err = callTask(task.Func, actx, c)
	elapsed := time.Since(start)
	if err == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		// The attempt overran its deadline; a late success does not count.
		err = fmt.Errorf("task returned after its deadline: %w", context.Cause(actx))
	}
	if err != nil && errors.Is(context.Cause(actx), context.DeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w (timeout %s)", err, timeout)
	}

	policy := task.RetryPolicyOrDefault()
	interrupted := err != nil && errors.Is(context.Cause(ctx), errShutdown)
	willRetry := err != nil && (interrupted || policy.ShouldRetry(err, ct.Attempt))
	info := &AttemptInfo{
		ExecutionID: ct.ExecutionID, WorkflowName: ct.WorkflowName, TaskID: ct.TaskID, Attempt: ct.Attempt,
		MaxAttempts: policy.MaxAttempts, Context: c, Err: err, Duration: elapsed, WillRetry: willRetry,
	}
	if err == nil {
		r.callback(task.OnSuccess, "on_success", ctx, info)
		if c.changed {
			if out.Output, err = c.MarshalJSON(); err != nil {
				return fail(fmt.Errorf("encode output context: %w", err))
			}
		} else {
			out.OutputUnchanged = true
		}
		out.Kind = store.OutcomeSucceeded
		return out
	}
	r.callback(task.OnFailure, "on_failure", ctx, info)
	switch {
	case interrupted:
		out.Kind, out.Error = store.OutcomeRetry, "interrupted by the shutdown of runner "+r.id+": "+err.Error()
	case willRetry:
		out.Kind, out.Error, out.RetryDelay = store.OutcomeRetry, err.Error(), policy.Delay(ct.Attempt)
	default:
		out.Kind, out.Error = store.OutcomeFailed, err.Error()
	}
	return out
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
