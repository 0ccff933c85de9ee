package runtime

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/cloacina-go/cloacina/internal/quiesce"
	"github.com/cloacina-go/cloacina/runtime/store"
)

// heartbeatLoop proves, every HeartbeatInterval, that this runner still
// holds its running tasks, and cancels those it lost.
func (r *Runner) heartbeatLoop() {
	defer r.bg.Done()
	tick := r.newAlarm()
	tick.set(r.cfg.HeartbeatInterval)
	defer tick.stop()
	r.act.Add(-1) // the start, counted by NewRunner: the first heartbeat is set
	for {
		select {
		case <-r.bgCtx.Done():
			return
		case <-tick.C:
		}
		tick.set(r.cfg.HeartbeatInterval)
		r.heartbeat()
		tick.done()
	}
}

// heartbeat refreshes the claims of the running tasks.
func (r *Runner) heartbeat() {
	r.mu.Lock()
	refs := make([]store.TaskRef, 0, len(r.running))
	for k, rt := range r.running {
		refs = append(refs, store.TaskRef{ExecutionID: k.exec, TaskID: k.task, Attempt: rt.attempt})
	}
	r.mu.Unlock()
	if len(refs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(r.bgCtx, storeCallTimeout)
	res, err := r.store.Heartbeat(ctx, &store.HeartbeatParams{RunnerID: r.id, Now: r.storeNow(), Tasks: refs})
	cancel()
	if err != nil {
		r.log.Error("heartbeat failed", "error", err)
		return
	}
	r.claimsLost(res.Lost)
}

// claimsLost cancels the attempts whose claims a heartbeat found gone, if
// they are still those attempts and still running. An attempt that already
// returned is left alone: its outcome was just recorded (the claim ended
// with it) or will be reported lost when it is. A claim is gone because
// its execution ended (cancelled or timed out, perhaps by another process)
// or because another runner recovered the task; only the second is news
// worth a warning.
func (r *Runner) claimsLost(lost []store.TaskRef) {
	if len(lost) == 0 {
		return
	}
	var ids []string
	seen := map[string]bool{}
	for _, l := range lost {
		if !seen[l.ExecutionID] {
			seen[l.ExecutionID] = true
			ids = append(ids, l.ExecutionID)
		}
	}
	ctx, cancel := context.WithTimeout(r.bgCtx, storeCallTimeout)
	es, err := r.store.ListExecutions(ctx, &store.ListExecutionsParams{IDs: ids, Limit: len(ids)})
	cancel()
	ended := map[string]error{}
	if err == nil {
		for _, e := range es {
			switch e.State {
			case store.ExecutionCancelled:
				ended[e.ID] = ErrExecutionCancelled
			case store.ExecutionFailed, store.ExecutionCompleted:
				ended[e.ID] = ErrWorkflowTimeout
			}
		}
	}
	for _, l := range lost {
		r.mu.Lock()
		rt, ok := r.running[taskKey{exec: l.ExecutionID, task: l.TaskID}]
		live := ok && rt.attempt == l.Attempt && !rt.finished
		r.mu.Unlock()
		if !live {
			continue
		}
		if cause, ok := ended[l.ExecutionID]; ok {
			r.log.Debug("the execution of a running task ended; cancelling the task", "execution_id", l.ExecutionID, "task", l.TaskID, "attempt", l.Attempt)
			rt.cancel(cause)
			continue
		}
		r.log.Warn("lost the claim of a running task (another runner recovered it); cancelling it", "execution_id", l.ExecutionID, "task", l.TaskID, "attempt", l.Attempt)
		rt.cancel(errClaimLost)
	}
}

// maintenanceLoop runs the slow, periodic work: recovering stale claims of
// dead runners, failing executions past their deadline, and the fallback
// poll (a wake-up for the dispatcher and a look at awaited executions, in
// case a notification from another process was lost).
func (r *Runner) maintenanceLoop() {
	defer r.bg.Done()
	sweepEvery := max(r.cfg.StaleClaimThreshold/2, time.Millisecond)
	sweep := r.newAlarm()
	sweep.set(sweepEvery)
	defer sweep.stop()
	poll := r.newAlarm()
	poll.set(r.cfg.FallbackPollInterval)
	defer poll.stop()
	deadline := r.newAlarm()
	defer deadline.stop()
	r.recoverStale() // a runner starting after a crash picks up at once what is already stale
	r.expireDue()
	// handled counts the wake-ups acted on, let go of once the deadline
	// alarm is set again (see alarm.go). The first is the sweep above,
	// counted by NewRunner.
	handled := 1
	for {
		if next, ok := r.deadlines.next(); ok {
			deadline.set(max(next.Sub(r.now()), 0))
		} else {
			deadline.stop()
		}
		r.act.Add(-handled)
		handled = 0
		select {
		case <-r.bgCtx.Done():
			return
		case <-sweep.C:
			sweep.set(sweepEvery)
			r.recoverStale()
			r.expireDue()
		case <-poll.C:
			poll.set(r.cfg.FallbackPollInterval)
			r.signal()
			r.checkWaiters()
		case <-r.deadlines.changed:
		case <-deadline.C:
			for _, id := range r.deadlines.due(r.now()) {
				r.expireOne(id)
			}
		}
		handled++
	}
}

func (r *Runner) recoverStale() {
	ctx, cancel := context.WithTimeout(r.bgCtx, storeCallTimeout)
	defer cancel()
	res, err := r.store.RecoverStale(ctx, &store.RecoverStaleParams{
		RunnerID: r.id, Now: r.storeNow(), StaleAfter: r.cfg.StaleClaimThreshold, MaxRecoveries: r.cfg.MaxRecoveries, Decide: r.decide,
	})
	if err != nil {
		if r.bgCtx.Err() == nil {
			r.log.Error("recovering stale claims failed", "error", err)
		}
		return
	}
	if len(res.Requeued)+len(res.Abandoned) > 0 {
		r.feed.fire()
	}
	for _, t := range res.Requeued {
		r.log.Warn("recovered a task from a runner that stopped heartbeating", "execution_id", t.ExecutionID, "task", t.TaskID, "attempt", t.Attempt)
	}
	for _, t := range res.Abandoned {
		r.log.Error("task abandoned after too many recoveries", "execution_id", t.ExecutionID, "task", t.TaskID, "attempt", t.Attempt,
			"recoveries", r.cfg.MaxRecoveries)
	}
	for _, f := range res.Finished {
		r.logEnded(f)
		r.finished(f.ID)
	}
	if len(res.Requeued) > 0 {
		r.signal()
	}
}

// expireDue fails every execution past its deadline, whoever started it.
func (r *Runner) expireDue() {
	ctx, cancel := context.WithTimeout(r.bgCtx, storeCallTimeout)
	defer cancel()
	es, err := r.store.ListExecutions(ctx, &store.ListExecutionsParams{
		States:         []store.ExecutionState{store.ExecutionPending, store.ExecutionRunning, store.ExecutionPaused},
		DeadlineBefore: r.now(), Limit: 1000,
	})
	if err != nil {
		if r.bgCtx.Err() == nil {
			r.log.Error("looking for timed-out executions failed", "error", err)
		}
		return
	}
	for _, e := range es {
		r.expireOne(e.ID)
	}
}

func (r *Runner) expireOne(id string) {
	ctx, cancel := context.WithTimeout(r.bgCtx, storeCallTimeout)
	defer cancel()
	changed, err := r.endExecution(ctx, id, store.ExecutionFailed, ErrWorkflowTimeout.Error(), ErrWorkflowTimeout)
	if err != nil {
		if r.bgCtx.Err() == nil {
			r.log.Error("failing a timed-out execution failed", "execution_id", id, "error", err)
		}
		return
	}
	if changed {
		r.log.Warn("execution timed out", "execution_id", id, "timeout", r.cfg.WorkflowTimeout)
	}
}

// checkWaiters wakes waiters whose execution ended without this process
// hearing of it, reading their states in batches.
func (r *Runner) checkWaiters() {
	r.endedAmong(r.waitingOn(), []store.ExecutionState{store.ExecutionCompleted, store.ExecutionFailed, store.ExecutionCancelled},
		"awaited", func(e *store.Execution) { r.finished(e.ID) })
}

// endedAmong calls ended for each of the executions ids that is in one of
// states, reading them in batches. A failed read is logged, naming what
// the executions are (awaited, running), and ends the look: the next
// notification or poll looks again.
func (r *Runner) endedAmong(ids []string, states []store.ExecutionState, what string, ended func(*store.Execution)) {
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		ctx, cancel := context.WithTimeout(r.bgCtx, storeCallTimeout)
		es, err := r.store.ListExecutions(ctx, &store.ListExecutionsParams{IDs: ids[:n], Limit: n, States: states})
		cancel()
		if err != nil {
			if r.bgCtx.Err() == nil {
				r.log.Error("looking for "+what+" executions that ended elsewhere failed", "error", err)
			}
			return
		}
		for _, e := range es {
			ended(e)
		}
		ids = ids[n:]
	}
}

// listenLoop turns notifications from other processes into wake-ups.
func (r *Runner) listenLoop(ch <-chan store.Notification) {
	defer r.bg.Done()
	for n := range ch {
		// Any notification means the event log may have grown.
		r.feed.fire()
		switch n.Kind {
		case store.NotifyTasksReady:
			r.signal()
		case store.NotifyExecutionFinished:
			r.finished(n.ExecutionID)
		case store.NotifyExecutionChanged:
			r.signal()
			r.checkExecution(n.ExecutionID)
		case store.NotifyReconnected, store.NotifyDatabaseChanged:
			// Anything may have changed: work, ends of awaited and of
			// running executions (a cancel), schedules.
			r.signal()
			r.checkWaiters()
			r.checkRunning()
			r.sched.wake()
		case store.NotifySchedulesChanged:
			r.sched.wake()
		}
	}
}

// checkRunning cancels the local tasks of executions that ended elsewhere,
// reading the states of the executions with tasks running here in one
// call: after a notification that does not say which (SQLite's, or a
// reconnection that may have lost some).
func (r *Runner) checkRunning() {
	r.mu.Lock()
	seen := map[string]bool{}
	var ids []string
	for k, rt := range r.running {
		if !rt.finished && !seen[k.exec] {
			seen[k.exec] = true
			ids = append(ids, k.exec)
		}
	}
	r.mu.Unlock()
	r.endedAmong(ids, []store.ExecutionState{store.ExecutionFailed, store.ExecutionCancelled}, "running", func(e *store.Execution) {
		r.cancelRunning(func(k taskKey) bool { return k.exec == e.ID }, endCause(e.State))
		r.finished(e.ID)
	})
}

// endCause is what ends the running tasks of an execution that ended in
// state: its cancellation, or its timeout (the one way an execution fails
// while tasks of it still run).
func endCause(state store.ExecutionState) error {
	if state == store.ExecutionFailed {
		return ErrWorkflowTimeout
	}
	return ErrExecutionCancelled
}

// checkExecution cancels local tasks of an execution that ended elsewhere.
func (r *Runner) checkExecution(id string) {
	ctx, cancel := context.WithTimeout(r.bgCtx, storeCallTimeout)
	defer cancel()
	e, err := r.store.GetExecution(ctx, id)
	if err != nil || !e.State.Terminal() {
		return
	}
	r.cancelRunning(func(k taskKey) bool { return k.exec == id }, endCause(e.State))
	r.finished(id)
}

// deadlines tracks the executions with a deadline that this runner
// started, until they end: an execution is forgotten when it finishes, so
// an ended one costs nothing when its deadline comes. Safe for concurrent
// use; the maintenance loop sleeps until the earliest.
type deadlines struct {
	mu      sync.Mutex
	heap    deadlineHeap
	byID    map[string]*expiry
	changed chan struct{}    // buffered(1): the earliest deadline may have changed
	act     *quiesce.Tracker // counts a wake-up in changed (see alarm.go)
}

type expiry struct {
	id       string
	deadline time.Time
	index    int
}

func newDeadlines(act *quiesce.Tracker) *deadlines {
	return &deadlines{byID: map[string]*expiry{}, changed: make(chan struct{}, 1), act: act}
}

func (d *deadlines) add(id string, at time.Time) {
	d.mu.Lock()
	if _, ok := d.byID[id]; !ok {
		e := &expiry{id: id, deadline: at}
		heap.Push(&d.heap, e)
		d.byID[id] = e
	}
	d.mu.Unlock()
	d.act.Add(1)
	select {
	case d.changed <- struct{}{}:
	default: // one is waiting already, and counted
		d.act.Add(-1)
	}
}

func (d *deadlines) remove(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.byID[id]; ok {
		heap.Remove(&d.heap, e.index)
		delete(d.byID, id)
	}
}

// next returns the earliest deadline.
func (d *deadlines) next() (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.heap) == 0 {
		return time.Time{}, false
	}
	return d.heap[0].deadline, true
}

// due removes and returns the executions whose deadline is not after now.
func (d *deadlines) due(now time.Time) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []string
	for len(d.heap) > 0 && !d.heap[0].deadline.After(now) {
		e := heap.Pop(&d.heap).(*expiry)
		delete(d.byID, e.id)
		ids = append(ids, e.id)
	}
	return ids
}

// len returns how many executions are tracked.
func (d *deadlines) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.heap)
}

// deadlineHeap orders executions by deadline, earliest first.
type deadlineHeap []*expiry

func (h deadlineHeap) Len() int           { return len(h) }
func (h deadlineHeap) Less(i, j int) bool { return h[i].deadline.Before(h[j].deadline) }
func (h deadlineHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *deadlineHeap) Push(x any) {
	e := x.(*expiry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *deadlineHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
