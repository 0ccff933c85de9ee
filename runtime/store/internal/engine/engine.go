package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// Engine implements the write operations of store.Store on a Backend. A
// backend embeds it in its store type and adds the reads.
type Engine struct {
	b Backend
}

// New returns an engine writing through b.
func New(b Backend) *Engine { return &Engine{b: b} }

// errNoChange rolls back an operation that found, under its locks, that it
// has nothing to do after all.
var errNoChange = errors.New("nothing to change")

// ErrKeyTaken is what a backend returns when an execution it inserts has
// an idempotency key that another transaction stored first.
var ErrKeyTaken = errors.New("idempotency key taken")

// CreateExecutions implements store.Store.
func (e *Engine) CreateExecutions(ctx context.Context, p *store.CreateExecutionsParams) (*store.CreateExecutionsResult, error) {
	plans, err := planCreate(p)
	if err != nil {
		return nil, err
	}
	var res *store.CreateExecutionsResult
	var rows []*ExecRow
	var existing map[string]*store.Execution // by idempotency key
	var keys []string
	for _, pl := range plans {
		if k := pl.exec.IdempotencyKey; k != "" {
			keys = append(keys, k)
		}
	}
	write := func(tx Tx) error {
		o := newOp(tx, p.Decide)
		res = &store.CreateExecutionsResult{}
		existing = nil
		if len(keys) > 0 {
			var err error
			if existing, err = tx.ExecutionsByKey(keys); err != nil {
				return fmt.Errorf("create executions: %w", err)
			}
		}
		var err error
		if rows, err = o.insert(plans, existing); err != nil || len(rows) == 0 {
			return err // an error, or every execution was there already
		}
		// Roots skipped at creation are terminal: they count, and their
		// dependents are decided now, against the rows just inserted.
		fin, err := o.finish()
		if err != nil {
			return err
		}
		res.Finished, res.Readied = fin, o.readied
		return nil
	}
	err = e.b.Write(ctx, p.Now, p.RunnerID, write)
	if errors.Is(err, ErrKeyTaken) {
		// Another transaction stored an execution with one of the keys
		// since this one looked; looking again finds it.
		err = e.b.Write(ctx, p.Now, p.RunnerID, write)
	}
	if err != nil {
		return nil, err
	}
	res.Executions = stored(plans, rows, existing, res.Finished)
	return res, nil
}

// insert inserts the planned executions with their tasks and values,
// deciding their roots, less those whose idempotency key is in existing or
// earlier in plans. It returns the rows it inserted, in plan order.
func (o *op) insert(plans []*plan, existing map[string]*store.Execution) ([]*ExecRow, error) {
	var rows []*ExecRow
	claimed := map[string]bool{} // keys of executions inserted in this call
	var tasks []*NewTaskRow
	var vals []ExecValue
	for _, pl := range plans {
		ne := pl.exec
		if k := ne.IdempotencyKey; k != "" {
			if existing[k] != nil || claimed[k] {
				continue // the execution with this key is stored already, or earlier in this call
			}
			claimed[k] = true
		}
		rows = append(rows, &ExecRow{ID: ne.ID, WorkflowName: ne.WorkflowName, WorkflowVersion: ne.WorkflowVersion,
			Tenant: pl.tenant, Input: pl.input, TasksTotal: len(ne.Tasks), Leaves: pl.leaves, Timeout: ne.Timeout,
			IdempotencyKey: ne.IdempotencyKey, Origin: ne.Origin, OriginName: ne.OriginName, Meta: ne.Meta})
		for _, v := range ne.Values {
			vals = append(vals, ExecValue{Exec: ne.ID, Value: v})
		}
		o.event(ne.ID, "", store.EventExecutionCreated, 0, ne.WorkflowName+" "+ne.WorkflowVersion)
		if ne.RetryOf != "" {
			o.event(ne.RetryOf, "", store.EventExecutionRetried, 0, "retried as execution "+ne.ID)
		}
		// Roots are decided before the insert, so they are stored in
		// their first state (ready, or skipped by a trigger rule).
		for i, spec := range ne.Tasks {
			t := &NewTaskRow{Exec: ne.ID, Task: spec.TaskID, WorkflowName: ne.WorkflowName, Version: ne.WorkflowVersion,
				Position: i, Deps: spec.Deps, RuleTasks: spec.RuleTasks, Dependents: pl.dependents[spec.TaskID],
				MaxAttempts: spec.MaxAttempts, State: store.TaskNotStarted}
			if len(spec.Deps) == 0 {
				input := pl.input
				tr := &TaskRow{Exec: ne.ID, Task: spec.TaskID, WorkflowName: ne.WorkflowName, WorkflowVersion: ne.WorkflowVersion,
					Dependents: t.Dependents}
				d, v := o.decideOne(tr, &store.DecideInput{ExecutionID: ne.ID, WorkflowName: ne.WorkflowName,
					WorkflowVersion: ne.WorkflowVersion, TaskID: spec.TaskID, ExecutionInput: &input})
				t.State, t.Input, t.Reason = d.State, d.Input, d.Reason
				vals = append(vals, v...)
			}
			tasks = append(tasks, t)
		}
	}
	if len(rows) == 0 {
		return nil, nil
	}
	if err := o.insertValues(vals); err != nil {
		return nil, err
	}
	if err := o.tx.InsertExecutions(rows); err != nil {
		return nil, fmt.Errorf("create executions: %w", err)
	}
	if err := o.tx.InsertTasks(tasks); err != nil {
		return nil, fmt.Errorf("create executions: %w", err)
	}
	return rows, nil
}

// stored returns the executions of plans as stored: the inserted rows (in
// order, with their state after finished), and for the others the
// execution stored with their idempotency key, before or earlier in plans.
func stored(plans []*plan, rows []*ExecRow, existing map[string]*store.Execution, finished []store.FinishedExecution) []*store.Execution {
	ended := map[string]store.ExecutionState{}
	for _, f := range finished {
		ended[f.ID] = f.State
	}
	var out []*store.Execution
	byKey := existing
	j := 0
	for _, pl := range plans {
		if j == len(rows) || rows[j].ID != pl.exec.ID {
			out = append(out, byKey[pl.exec.IdempotencyKey])
			continue
		}
		r := rows[j]
		j++
		state := store.ExecutionPending
		if s, ok := ended[r.ID]; ok {
			state = s
		}
		ex := &store.Execution{
			ID: r.ID, WorkflowName: r.WorkflowName, WorkflowVersion: r.WorkflowVersion, Tenant: r.Tenant,
			State: state, Input: r.Input, TasksTotal: r.TasksTotal, CreatedAt: r.CreatedAt, Deadline: r.Deadline,
			IdempotencyKey: r.IdempotencyKey, Origin: r.Origin, OriginName: r.OriginName, Meta: r.Meta,
		}
		if r.IdempotencyKey != "" {
			if byKey == nil {
				byKey = map[string]*store.Execution{}
			}
			byKey[r.IdempotencyKey] = ex
		}
		out = append(out, ex)
	}
	return out
}

// ClaimTasks implements store.Store.
func (e *Engine) ClaimTasks(ctx context.Context, p *store.ClaimTasksParams) (*store.ClaimTasksResult, error) {
	if p.Workflows != nil && len(p.Workflows) == 0 {
		// A runner with no workflow to run (a tool, a web UI) claims
		// nothing: no transaction, which on SQLite would take the file's
		// write lock from the runners that have work.
		return &store.ClaimTasksResult{}, nil
	}
	var res *store.ClaimTasksResult
	err := e.b.Write(ctx, p.Now, p.RunnerID, func(tx Tx) error {
		o := newOp(tx, nil)
		var err error
		if res, err = o.claim(p.Limit, p.Workflows); err != nil {
			return err
		}
		_, err = o.finish()
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// CompleteTasks implements store.Store.
func (e *Engine) CompleteTasks(ctx context.Context, p *store.CompleteTasksParams) (*store.CompleteTasksResult, error) {
	if p.Decide == nil && len(p.Outcomes) > 0 {
		return nil, errors.New("complete tasks: Decide is nil")
	}
	byKind := map[store.OutcomeKind][]*store.Outcome{}
	for i := range p.Outcomes {
		oc := &p.Outcomes[i]
		if oc.Kind < store.OutcomeSucceeded || oc.Kind > store.OutcomeFailed {
			return nil, fmt.Errorf("complete task %s: unknown outcome kind %d", oc.TaskID, oc.Kind)
		}
		byKind[oc.Kind] = append(byKind[oc.Kind], oc)
	}
	for _, os := range byKind {
		sort.SliceStable(os, func(i, j int) bool {
			return Key{Exec: os[i].ExecutionID, Task: os[i].TaskID}.Less(Key{Exec: os[j].ExecutionID, Task: os[j].TaskID})
		})
	}
	var res *store.CompleteTasksResult
	err := e.b.Write(ctx, p.Now, p.RunnerID, func(tx Tx) error {
		o := newOp(tx, p.Decide)
		res = &store.CompleteTasksResult{}
		for _, kind := range []store.OutcomeKind{store.OutcomeSucceeded, store.OutcomeRetry, store.OutcomeFailed} {
			lost, err := o.record(kind, byKind[kind])
			if err != nil {
				return err
			}
			res.Lost = append(res.Lost, lost...)
		}
		// Dependents are decided before the claim, and those readied here
		// are claimed first, as they are decided (see op.takes); the claim
		// takes the rest of the limit from the ready queue.
		o.budget = p.ClaimLimit
		if p.ClaimWorkflows != nil {
			o.workflows = make(map[string]bool, len(p.ClaimWorkflows))
			for _, w := range p.ClaimWorkflows {
				o.workflows[w] = true
			}
		}
		if err := o.drain(); err != nil {
			return err
		}
		rest := o.budget
		o.budget = 0
		if p.ClaimLimit > 0 {
			var err error
			if res.Claimed, err = o.claim(rest, p.ClaimWorkflows); err != nil {
				return err
			}
			res.Claimed.Tasks = append(o.direct, res.Claimed.Tasks...)
		}
		fin, err := o.finish()
		if err != nil {
			return err
		}
		res.Finished, res.Readied = fin, o.readied
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// record records the outcomes of one kind and returns those whose claim
// was lost. The values of an output are stored only when its outcome
// counts.
func (o *op) record(kind store.OutcomeKind, outs []*store.Outcome) ([]store.TaskRef, error) {
	if len(outs) == 0 {
		return nil, nil
	}
	rows := make([]*OutcomeRow, len(outs))
	for i, oc := range outs {
		rows[i] = &OutcomeRow{Key: Key{Exec: oc.ExecutionID, Task: oc.TaskID}, Attempt: oc.Attempt, Output: oc.Output,
			Error: oc.Error, ErrorDetail: oc.ErrorDetail, RetryDelay: oc.RetryDelay}
	}
	done, err := o.tx.RecordOutcomes(kind, rows)
	if err != nil {
		return nil, fmt.Errorf("record outcomes: %w", err)
	}
	matched := make(map[Key]*TaskRow, len(done))
	for _, r := range done {
		matched[r.Key()] = r
	}
	var lost []store.TaskRef
	var vals []ExecValue
	for _, oc := range outs {
		k := Key{Exec: oc.ExecutionID, Task: oc.TaskID}
		row, ok := matched[k]
		if !ok {
			lost = append(lost, store.TaskRef{ExecutionID: oc.ExecutionID, TaskID: oc.TaskID, Attempt: oc.Attempt})
			continue
		}
		delete(matched, k) // a duplicate outcome in the batch counts once
		switch kind {
		case store.OutcomeSucceeded:
			for _, v := range oc.Values {
				vals = append(vals, ExecValue{Exec: oc.ExecutionID, Value: v})
			}
			o.event(oc.ExecutionID, oc.TaskID, store.EventTaskCompleted, oc.Attempt, "")
			o.terminal(row, store.TaskCompleted, "")
		case store.OutcomeRetry:
			o.event(oc.ExecutionID, oc.TaskID, store.EventTaskRetrying, oc.Attempt, retryMessage(oc.Error, oc.RetryDelay))
			if oc.RetryDelay <= 0 {
				o.ready = true
			}
		case store.OutcomeFailed:
			o.event(oc.ExecutionID, oc.TaskID, store.EventTaskFailed, oc.Attempt, oc.Error)
			o.terminal(row, store.TaskFailed, oc.Error)
		}
	}
	if err := o.insertValues(vals); err != nil {
		return nil, err
	}
	return lost, nil
}

// Heartbeat implements store.Store.
func (e *Engine) Heartbeat(ctx context.Context, p *store.HeartbeatParams) (*store.HeartbeatResult, error) {
	res := &store.HeartbeatResult{}
	if len(p.Tasks) == 0 {
		return res, nil
	}
	refs := append([]store.TaskRef(nil), p.Tasks...)
	sort.Slice(refs, func(i, j int) bool {
		return Key{Exec: refs[i].ExecutionID, Task: refs[i].TaskID}.Less(Key{Exec: refs[j].ExecutionID, Task: refs[j].TaskID})
	})
	err := e.b.Write(ctx, p.Now, p.RunnerID, func(tx Tx) error {
		res.Lost = nil
		held, err := tx.Heartbeat(refs)
		if err != nil {
			return fmt.Errorf("heartbeat: %w", err)
		}
		for _, r := range p.Tasks {
			if !held[Key{Exec: r.ExecutionID, Task: r.TaskID}] {
				res.Lost = append(res.Lost, r)
			}
		}
		_, err = newOp(tx, nil).finish()
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// RecoverStale implements store.Store.
func (e *Engine) RecoverStale(ctx context.Context, p *store.RecoverStaleParams) (*store.RecoverStaleResult, error) {
	if p.Decide == nil {
		return nil, errors.New("recover stale tasks: Decide is nil")
	}
	var res *store.RecoverStaleResult
	err := e.b.Write(ctx, p.Now, p.RunnerID, func(tx Tx) error {
		o := newOp(tx, p.Decide)
		res = &store.RecoverStaleResult{}
		stale, err := tx.StaleClaims(p.StaleAfter)
		if err != nil {
			return fmt.Errorf("find stale tasks: %w", err)
		}
		var requeue, abandon []int64
		var msgs []string
		for _, st := range stale {
			ref := store.TaskRef{ExecutionID: st.Exec, TaskID: st.Task, Attempt: st.Attempt}
			if st.Recoveries >= p.MaxRecoveries {
				msg := fmt.Sprintf("abandoned: runner %s stopped heartbeating, and the task was already recovered %d times", st.Owner, st.Recoveries)
				abandon, msgs = append(abandon, st.ID), append(msgs, msg)
				o.event(st.Exec, st.Task, store.EventTaskAbandoned, st.Attempt, msg)
				o.terminal(&st.TaskRow, store.TaskFailed, msg)
				res.Abandoned = append(res.Abandoned, ref)
				continue
			}
			requeue = append(requeue, st.ID)
			o.event(st.Exec, st.Task, store.EventTaskRecovered, st.Attempt,
				fmt.Sprintf("runner %s stopped heartbeating; recovery %d of %d", st.Owner, st.Recoveries+1, p.MaxRecoveries))
			res.Requeued = append(res.Requeued, ref)
			o.ready = true
		}
		if len(requeue) > 0 {
			if err := tx.Requeue(requeue); err != nil {
				return fmt.Errorf("recover stale tasks: %w", err)
			}
		}
		if len(abandon) > 0 {
			if err := tx.Abandon(abandon, msgs); err != nil {
				return fmt.Errorf("abandon stale tasks: %w", err)
			}
		}
		res.Finished, err = o.finish()
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// FinishExecution implements store.Store.
func (e *Engine) FinishExecution(ctx context.Context, p *store.FinishExecutionParams) (bool, error) {
	kind := map[store.ExecutionState]string{
		store.ExecutionCancelled: store.EventExecutionCancelled,
		store.ExecutionFailed:    store.EventExecutionFailed,
	}[p.State]
	if kind == "" {
		return false, fmt.Errorf("finish execution: state must be cancelled or failed, not %q", p.State)
	}
	err := e.b.Write(ctx, p.Now, p.RunnerID, func(tx Tx) error {
		// Task rows are locked before the execution row, as every other
		// write does (see Lock order).
		state, err := tx.ExecutionState(p.ExecutionID)
		if err != nil {
			return err
		}
		if state.Terminal() {
			return errNoChange
		}
		tasks, err := tx.EndTasks(p.ExecutionID, p.Reason)
		if err != nil {
			return fmt.Errorf("finish execution %s: %w", p.ExecutionID, err)
		}
		ok, err := tx.EndExecution(p.ExecutionID, p.State, p.Reason)
		if err != nil {
			return fmt.Errorf("finish execution %s: %w", p.ExecutionID, err)
		}
		if !ok {
			return errNoChange // ended meanwhile: roll back the task changes
		}
		o := newOp(tx, nil)
		sort.Slice(tasks, func(i, j int) bool { return tasks[i].Task < tasks[j].Task })
		for _, t := range tasks {
			ev := store.EventTaskSkipped
			if t.State == store.TaskCancelled {
				ev = store.EventTaskCancelled
			}
			o.event(p.ExecutionID, t.Task, ev, t.Attempt, p.Reason)
		}
		o.event(p.ExecutionID, "", kind, 0, p.Reason)
		o.changed, o.ended = []string{p.ExecutionID}, []string{p.ExecutionID}
		_, err = o.finish()
		return err
	})
	if errors.Is(err, errNoChange) {
		return false, nil
	}
	return err == nil, err
}

// SetPaused implements store.Store.
func (e *Engine) SetPaused(ctx context.Context, p *store.SetPausedParams) (bool, error) {
	err := e.b.Write(ctx, p.Now, p.RunnerID, func(tx Tx) error {
		state, err := tx.ExecutionState(p.ExecutionID)
		if err != nil {
			return err
		}
		switch {
		case p.Paused && state != store.ExecutionPending && state != store.ExecutionRunning:
			return errNoChange
		case !p.Paused && state != store.ExecutionPaused:
			return errNoChange
		}
		// Task rows first, then the execution row (see Lock order).
		if err := tx.SetHeld(p.ExecutionID, p.Paused); err != nil {
			return fmt.Errorf("pause execution %s: %w", p.ExecutionID, err)
		}
		ok, err := tx.SetPausedState(p.ExecutionID, p.Paused)
		if err != nil {
			return fmt.Errorf("pause execution %s: %w", p.ExecutionID, err)
		}
		if !ok {
			return errNoChange // its state changed after the read
		}
		o := newOp(tx, nil)
		kind := store.EventExecutionPaused
		if !p.Paused {
			kind, o.ready = store.EventExecutionResumed, true
		}
		o.event(p.ExecutionID, "", kind, 0, "")
		o.changed = []string{p.ExecutionID}
		_, err = o.finish()
		return err
	})
	if errors.Is(err, errNoChange) {
		return false, nil
	}
	return err == nil, err
}
