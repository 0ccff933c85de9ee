package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// HistoryTx is the part of Tx about the history: recorded workflow
// definitions, retries, purges and leases.
type HistoryTx interface {
	// SaveWorkflows upserts workflow records by (name, version), stamped
	// with this transaction's runner and time.
	SaveWorkflows(recs []*store.WorkflowRecord) error
	// RetryInfo returns an execution's state and error and its tasks in
	// position order, locking the task rows (in id order) and then the
	// execution row. An unknown execution fails with store.ErrNotFound.
	RetryInfo(exec string) (*RetryInfo, error)
	// ResetTasks makes tasks not started again, by row id, with the given
	// counts of pending dependencies: attempts, recoveries, claims,
	// contexts, errors and times cleared.
	ResetTasks(ids []int64, pending []int) error
	// ReopenExecution makes a Failed or Cancelled execution Running
	// (Pending if it never started) with leaves leaves left, no failed
	// task and no error, its deadline moved to as far from now as it was
	// from its creation, and reports whether it did.
	ReopenExecution(exec string, leaves int) (bool, error)
	// PurgeExecutions deletes up to limit executions in the given terminal
	// states that ended before the time, with their
	// tasks, values, events and the fires that are not a schedule's
	// latest, and returns how many it deleted.
	PurgeExecutions(states []store.ExecutionState, before time.Time, limit int) (int, error)
	// AcquireLease takes the named lease for owner until now + ttl if it
	// is free, expired or owner's, and reports whether owner holds it.
	AcquireLease(p *store.LeaseParams) (bool, error)
}

// RetryInfo is what RetryExecution reads about an execution.
type RetryInfo struct {
	State store.ExecutionState
	Error string
	Tasks []*RetryTask
}

// RetryTask is a task as RetryExecution sees it.
type RetryTask struct {
	TaskRow
	State      store.TaskState
	SkipReason string
}

// ScanRetryTask reads a RetryTask with scan (the Scan method of either
// driver's rows) from taskRowColumns followed by state and skip_reason.
func ScanRetryTask(scan func(dest ...any) error) (*RetryTask, error) {
	rt := &RetryTask{}
	row, err := ScanTaskRow(scan, &rt.State, &rt.SkipReason)
	if err != nil {
		return nil, err
	}
	rt.TaskRow = *row
	return rt, nil
}

// SaveWorkflows implements store.Store.
func (e *Engine) SaveWorkflows(ctx context.Context, p *store.SaveWorkflowsParams) error {
	if len(p.Workflows) == 0 {
		return nil
	}
	recs := append([]*store.WorkflowRecord(nil), p.Workflows...)
	sort.Slice(recs, func(i, j int) bool {
		if recs[i].Name != recs[j].Name {
			return recs[i].Name < recs[j].Name
		}
		return recs[i].Version < recs[j].Version
	})
	err := e.b.Write(ctx, p.Now, p.RunnerID, func(tx Tx) error {
		if err := tx.SaveWorkflows(recs); err != nil {
			return err
		}
		_, err := tx.Finish(&Final{})
		return err
	})
	if err != nil {
		return fmt.Errorf("record workflow definitions: %w", err)
	}
	return nil
}

// RetryExecution implements store.Store.
func (e *Engine) RetryExecution(ctx context.Context, p *store.RetryExecutionParams) (*store.RetryExecutionResult, error) {
	if p.Decide == nil {
		return nil, errors.New("retry execution: Decide is nil")
	}
	var res *store.RetryExecutionResult
	err := e.b.Write(ctx, p.Now, p.RunnerID, func(tx Tx) error {
		res = &store.RetryExecutionResult{}
		info, err := tx.RetryInfo(p.ExecutionID)
		if err != nil {
			return err
		}
		switch info.State {
		case store.ExecutionFailed, store.ExecutionCancelled:
		case store.ExecutionCompleted:
			return fmt.Errorf("execution %s completed; only a failed or cancelled one can be retried in place (retry all to run it again): %w",
				p.ExecutionID, store.ErrNotRetryable)
		default:
			return fmt.Errorf("execution %s is %s; only a finished one can be retried (cancel it first, or wait for it to end): %w",
				p.ExecutionID, info.State, store.ErrNotRetryable)
		}
		reset := resetSet(info)
		if len(reset) == 0 {
			return fmt.Errorf("execution %s has no failed, cancelled or skipped task to run again: %w", p.ExecutionID, store.ErrNotRetryable)
		}
		var ids []int64
		var pending []int
		var ready []Key
		var names []string
		leaves := 0
		for _, t := range info.Tasks {
			if !reset[t.Task] {
				continue
			}
			n := 0
			for _, d := range t.Deps {
				if reset[d] {
					n++
				}
			}
			ids, pending, names = append(ids, t.ID), append(pending, n), append(names, t.Task)
			if n == 0 {
				ready = append(ready, t.Key())
			}
			if len(t.Dependents) == 0 {
				leaves++
			}
		}
		if err := tx.ResetTasks(ids, pending); err != nil {
			return fmt.Errorf("retry execution %s: %w", p.ExecutionID, err)
		}
		ok, err := tx.ReopenExecution(p.ExecutionID, leaves)
		if err != nil {
			return fmt.Errorf("retry execution %s: %w", p.ExecutionID, err)
		}
		if !ok {
			return fmt.Errorf("execution %s changed while it was being retried: %w", p.ExecutionID, store.ErrNotRetryable)
		}
		o := newOp(tx, p.Decide)
		o.event(p.ExecutionID, "", store.EventExecutionRetried, 0,
			fmt.Sprintf("running %d task(s) again: %s", len(names), strings.Join(names, ", ")))
		sort.Slice(ready, func(i, j int) bool { return ready[i].Less(ready[j]) })
		unblocked, deps, err := tx.Unblock(ready, make([]int, len(ready)))
		if err != nil {
			return fmt.Errorf("retry execution %s: %w", p.ExecutionID, err)
		}
		if err := o.decideAll(unblocked, deps); err != nil {
			return err
		}
		o.changed = []string{p.ExecutionID}
		if res.Finished, err = o.finish(); err != nil {
			return err
		}
		res.Reset, res.Readied = len(ids), o.readied
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// resetSet is the set of tasks a retry in place runs again: those that
// failed or were cancelled, those skipped when the execution was ended
// (their skip reason is its error), and every task downstream of them,
// which was decided (or ran) on their outcome.
func resetSet(info *RetryInfo) map[string]bool {
	reset := map[string]bool{}
	// Tasks are in position order, which is topological: a task's
	// dependencies are decided before it.
	for _, t := range info.Tasks {
		switch {
		case t.State == store.TaskFailed, t.State == store.TaskCancelled:
			reset[t.Task] = true
		case t.State == store.TaskSkipped && info.Error != "" && t.SkipReason == info.Error:
			reset[t.Task] = true
		}
		for _, d := range t.Deps {
			if reset[d] {
				reset[t.Task] = true
			}
		}
		for _, d := range t.RuleTasks {
			if reset[d] {
				reset[t.Task] = true
			}
		}
	}
	return reset
}

// PurgeExecutions implements store.Store.
func (e *Engine) PurgeExecutions(ctx context.Context, p *store.PurgeParams) (int, error) {
	states := p.States
	if len(states) == 0 {
		states = []store.ExecutionState{store.ExecutionCompleted, store.ExecutionFailed, store.ExecutionCancelled}
	}
	for _, s := range states {
		if !s.Terminal() {
			return 0, fmt.Errorf("purge executions: state %q is not terminal; only finished executions can be deleted", s)
		}
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 500
	}
	var n int
	err := e.b.Write(ctx, p.Now, p.RunnerID, func(tx Tx) error {
		var err error
		if n, err = tx.PurgeExecutions(states, p.CompletedBefore, limit); err != nil {
			return err
		}
		_, err = tx.Finish(&Final{})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge executions: %w", err)
	}
	return n, nil
}

// AcquireLease implements store.Store.
func (e *Engine) AcquireLease(ctx context.Context, p *store.LeaseParams) (bool, error) {
	if p.Name == "" || p.Owner == "" {
		return false, errors.New("acquire lease: a lease needs a name and an owner")
	}
	var held bool
	err := e.b.Write(ctx, p.Now, p.Owner, func(tx Tx) error {
		var err error
		if held, err = tx.AcquireLease(p); err != nil {
			return err
		}
		_, err = tx.Finish(&Final{})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", p.Name, err)
	}
	return held, nil
}
