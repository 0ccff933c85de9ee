package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/internal/backend"
)

// CreateExecution implements store.Store.
func (s *Store) CreateExecution(ctx context.Context, p *store.CreateExecutionParams) (*store.Execution, error) {
	c, err := backend.PrepareCreate(p)
	if err != nil {
		return nil, err
	}
	dependents, input, tenant := c.Dependents, c.Input, c.Tenant
	var created *store.Execution
	_, err = s.run(ctx, p.RunnerID, p.Decide, func(t *txn) error {
		inputID, err := t.insertContext(p.ID, input)
		if err != nil {
			return err
		}
		var deadline any
		if p.Timeout > 0 {
			deadline = t.now + p.Timeout.Microseconds()
		}
		if _, err := t.exec(`INSERT INTO cloacina_executions
			(id, workflow_name, workflow_version, tenant, state, input_ctx, tasks_total, tasks_remaining, created_at, deadline_at)
			VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)`,
			p.ID, p.WorkflowName, p.WorkflowVersion, tenant, inputID, len(p.Tasks), len(p.Tasks), t.now, deadline); err != nil {
			return fmt.Errorf("create execution %s: %w", p.ID, err)
		}
		t.execs[p.ID] = &execInfo{name: p.WorkflowName, version: p.WorkflowVersion, inputCtx: inputID, input: input}
		if d, ok := deadline.(int64); ok {
			t.execs[p.ID].deadline = d
		}
		t.learned = append(t.learned, p.ID)
		t.Event(p.ID, "", store.EventExecutionCreated, 0, p.WorkflowName+" "+p.WorkflowVersion)
		// Roots are decided before the insert, so they are stored in their
		// first state (ready, or skipped by a trigger rule) directly.
		root := map[string]backend.Decision{}
		for _, spec := range p.Tasks {
			if len(spec.Deps) > 0 {
				continue
			}
			row := &backend.TaskRow{ExecID: p.ID, TaskID: spec.TaskID, Dependents: dependents[spec.TaskID]}
			in := &store.DecideInput{ExecutionID: p.ID, WorkflowName: p.WorkflowName, WorkflowVersion: p.WorkflowVersion,
				TaskID: spec.TaskID, ExecutionInput: &store.ContextRef{ID: inputID, Data: input}}
			d, err := t.decideOne(row, in)
			if err != nil {
				return err
			}
			root[spec.TaskID] = d
		}
		specs := make([][]any, len(p.Tasks))
		for i, spec := range p.Tasks {
			state, retryAt, inCtx, outCtx, reason, errMsg, completed := store.TaskNotStarted, any(nil), any(nil), any(nil), "", "", any(nil)
			if d, ok := root[spec.TaskID]; ok {
				state = d.State
				switch d.State {
				case store.TaskReady:
					retryAt, inCtx = t.now, d.Ctx
				case store.TaskSkipped:
					inCtx, outCtx, reason, completed = d.Ctx, d.Ctx, d.Reason, t.now
				default:
					errMsg, completed = d.Reason, t.now
				}
			}
			specs[i] = []any{spec.TaskID, i, backend.JoinList(spec.Deps), backend.JoinList(spec.RuleTasks),
				backend.JoinList(dependents[spec.TaskID]), len(spec.Deps), spec.MaxAttempts,
				state, retryAt, inCtx, outCtx, reason, errMsg, completed}
		}
		if _, err := t.exec(`INSERT INTO cloacina_tasks
			(execution_id, task_id, position, deps, rule_tasks, dependents, pending_deps, max_attempts,
			 state, retry_at, input_ctx, output_ctx, skip_reason, error, completed_at)
			SELECT ?1, value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6,
			       value->>7, value->>8, value->>9, value->>10, value->>11, value->>12, value->>13
			FROM json_each(?2)`, p.ID, jsonArg(specs)); err != nil {
			return fmt.Errorf("create execution %s: %w", p.ID, err)
		}
		created = &store.Execution{
			ID: p.ID, WorkflowName: p.WorkflowName, WorkflowVersion: p.WorkflowVersion, Tenant: tenant,
			State: store.ExecutionPending, Input: input, TasksTotal: len(p.Tasks),
			CreatedAt: time.UnixMicro(t.now), Deadline: fromMicros(nullInt(deadline)),
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return created, nil
}

func nullInt(v any) sql.NullInt64 {
	if i, ok := v.(int64); ok {
		return sql.NullInt64{Int64: i, Valid: true}
	}
	return sql.NullInt64{}
}

// ClaimTasks implements store.Store.
func (s *Store) ClaimTasks(ctx context.Context, p *store.ClaimTasksParams) (*store.ClaimTasksResult, error) {
	var res *store.ClaimTasksResult
	_, err := s.run(ctx, p.RunnerID, nil, func(t *txn) (err error) {
		res, err = t.claim(p.Limit, p.Workflows)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// CompleteTasks implements store.Store.
func (s *Store) CompleteTasks(ctx context.Context, p *store.CompleteTasksParams) (*store.CompleteTasksResult, error) {
	if p.Decide == nil && len(p.Outcomes) > 0 {
		return nil, errors.New("complete tasks: Decide is nil")
	}
	var res *store.CompleteTasksResult
	ledger, err := s.run(ctx, p.RunnerID, p.Decide, func(t *txn) error {
		res = &store.CompleteTasksResult{}
		var succeeded []*store.Outcome
		for i := range p.Outcomes {
			o := &p.Outcomes[i]
			if o.Kind == store.OutcomeSucceeded {
				succeeded = append(succeeded, o)
				continue
			}
			lost, err := t.complete(o)
			if err != nil {
				return err
			}
			if lost {
				res.Lost = append(res.Lost, store.TaskRef{ExecutionID: o.ExecutionID, TaskID: o.TaskID, Attempt: o.Attempt})
			}
		}
		lost, err := t.completeSucceeded(succeeded)
		if err != nil {
			return err
		}
		res.Lost = append(res.Lost, lost...)
		// Decide dependents before claiming, so tasks made ready by these
		// outcomes can be claimed at once; the counters and the starts the
		// claims cause follow, in one statement, when the operation ends.
		if err := t.drain(); err != nil {
			return err
		}
		if p.ClaimLimit > 0 {
			if res.Claimed, err = t.claim(p.ClaimLimit, p.ClaimWorkflows); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Finished, res.Readied = ledger.Finished, ledger.Readied
	return res, nil
}

// completeSucceeded records successful attempts with one guarded UPDATE:
// a row changes only if its task is Running, claimed by this runner, at the
// attempt given. Outcomes that match no row are returned as lost, and the
// contexts stored for them are deleted.
func (t *txn) completeSucceeded(outcomes []*store.Outcome) ([]store.TaskRef, error) {
	if len(outcomes) == 0 {
		return nil, nil
	}
	payload := make([][]any, len(outcomes))
	for i, o := range outcomes {
		var out any // NULL: the output is the input, unchanged
		if !o.OutputUnchanged {
			id, err := t.insertContext(o.ExecutionID, o.Output)
			if err != nil {
				return nil, err
			}
			out = id
		}
		payload[i] = []any{o.ExecutionID, o.TaskID, o.Attempt, out}
	}
	rows, err := t.query(`UPDATE cloacina_tasks AS t SET state = 'completed', output_ctx = COALESCE(d.o, t.input_ctx),
			completed_at = ?1, claimed_by = NULL, heartbeat_at = NULL, error = ''
		FROM (SELECT value->>0 AS e, value->>1 AS k, value->>2 AS a, value->>3 AS o FROM json_each(?3)) AS d
		WHERE t.execution_id = d.e AND t.task_id = d.k AND t.state = 'running' AND t.claimed_by = ?2 AND t.attempt = d.a
		RETURNING id, execution_id, task_id, dependents`, t.now, t.runner, jsonArg(payload))
	if err != nil {
		return nil, fmt.Errorf("record outcomes: %w", err)
	}
	done := make(map[backend.DepKey]*backend.TaskRow, len(outcomes))
	for rows.Next() {
		row := &backend.TaskRow{}
		var dependents string
		if err := rows.Scan(&row.ID, &row.ExecID, &row.TaskID, &dependents); err != nil {
			rows.Close()
			return nil, fmt.Errorf("record outcomes: %w", err)
		}
		row.Dependents = backend.SplitList(dependents)
		done[backend.DepKey{Exec: row.ExecID, Task: row.TaskID}] = row
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("record outcomes: %w", err)
	}
	var lost []store.TaskRef
	for i, o := range outcomes {
		row, ok := done[backend.DepKey{Exec: o.ExecutionID, Task: o.TaskID}]
		if !ok {
			lost = append(lost, store.TaskRef{ExecutionID: o.ExecutionID, TaskID: o.TaskID, Attempt: o.Attempt})
			if id, stored := payload[i][3].(int64); stored { // stored above for an outcome that does not count
				if _, err := t.exec(`DELETE FROM cloacina_contexts WHERE id = ?`, id); err != nil {
					return nil, fmt.Errorf("discard output of a lost claim: %w", err)
				}
				t.ForgetContexts(id)
			}
			continue
		}
		delete(done, backend.DepKey{Exec: o.ExecutionID, Task: o.TaskID}) // a duplicate outcome in the batch counts once
		t.Event(o.ExecutionID, o.TaskID, store.EventTaskCompleted, o.Attempt, "")
		t.Terminal(row, store.TaskCompleted, "")
	}
	return lost, nil
}

// complete records one failed attempt (retried or final); it reports lost
// when the claim is gone.
// Each kind is one guarded UPDATE: it changes nothing unless the task is
// Running, claimed by this runner, at this attempt.
func (t *txn) complete(o *store.Outcome) (lost bool, err error) {
	const guard = ` WHERE execution_id = ? AND task_id = ? AND state = 'running' AND claimed_by = ? AND attempt = ?
		RETURNING id, dependents`
	row := &backend.TaskRow{ExecID: o.ExecutionID, TaskID: o.TaskID}
	var dependents string
	var res rowScanner
	var state store.TaskState
	var out any // the new output context id; NULL: the output is the input, unchanged
	switch o.Kind {
	case store.OutcomeSucceeded:
		if !o.OutputUnchanged {
			if out, err = t.insertContext(o.ExecutionID, o.Output); err != nil {
				return false, err
			}
		}
		state = store.TaskCompleted
		res = t.queryRow(`UPDATE cloacina_tasks SET state = 'completed', output_ctx = COALESCE(?, input_ctx), completed_at = ?,
			claimed_by = NULL, heartbeat_at = NULL, error = ''`+guard, out, t.now, o.ExecutionID, o.TaskID, t.runner, o.Attempt)
	case store.OutcomeRetry:
		t.s.retriesPending.Store(true) // read by claims later in this transaction too
		res = t.queryRow(`UPDATE cloacina_tasks SET state = 'ready', retry_at = ?, claimed_by = NULL, heartbeat_at = NULL,
			error = ?`+guard, t.now+o.RetryDelay.Microseconds(), o.Error, o.ExecutionID, o.TaskID, t.runner, o.Attempt)
	case store.OutcomeFailed:
		state = store.TaskFailed
		res = t.queryRow(`UPDATE cloacina_tasks SET state = 'failed', output_ctx = input_ctx, completed_at = ?,
			claimed_by = NULL, heartbeat_at = NULL, error = ?`+guard, t.now, o.Error, o.ExecutionID, o.TaskID, t.runner, o.Attempt)
	default:
		return false, fmt.Errorf("complete task %s: unknown outcome kind %d", o.TaskID, o.Kind)
	}
	if err := res.Scan(&row.ID, &dependents); errors.Is(err, sql.ErrNoRows) {
		if ctxID, ok := out.(int64); ok { // stored above for an outcome that does not count
			if _, err := t.exec(`DELETE FROM cloacina_contexts WHERE id = ?`, ctxID); err != nil {
				return false, fmt.Errorf("discard output of a lost claim: %w", err)
			}
			t.ForgetContexts(ctxID)
		}
		return true, nil
	} else if err != nil {
		return false, fmt.Errorf("record outcome of %s/%s: %w", o.ExecutionID, o.TaskID, err)
	}
	row.Dependents = backend.SplitList(dependents)
	switch o.Kind {
	case store.OutcomeSucceeded:
		t.Event(o.ExecutionID, o.TaskID, store.EventTaskCompleted, o.Attempt, "")
	case store.OutcomeRetry:
		t.Event(o.ExecutionID, o.TaskID, store.EventTaskRetrying, o.Attempt,
			fmt.Sprintf("%s (next attempt in %s)", o.Error, o.RetryDelay.Round(time.Millisecond)))
		return false, nil
	case store.OutcomeFailed:
		t.Event(o.ExecutionID, o.TaskID, store.EventTaskFailed, o.Attempt, o.Error)
	}
	t.Terminal(row, state, o.Error)
	return false, nil
}

// Heartbeat implements store.Store.
func (s *Store) Heartbeat(ctx context.Context, p *store.HeartbeatParams) (*store.HeartbeatResult, error) {
	var res *store.HeartbeatResult
	_, err := s.run(ctx, p.RunnerID, nil, func(t *txn) error {
		res = &store.HeartbeatResult{}
		for _, ref := range p.Tasks {
			r, err := t.exec(`UPDATE cloacina_tasks SET heartbeat_at = ?
				WHERE execution_id = ? AND task_id = ? AND attempt = ? AND claimed_by = ? AND state = 'running'`,
				t.now, ref.ExecutionID, ref.TaskID, ref.Attempt, p.RunnerID)
			if err != nil {
				return fmt.Errorf("heartbeat: %w", err)
			}
			if n, _ := r.RowsAffected(); n == 0 {
				res.Lost = append(res.Lost, ref)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// RecoverStale implements store.Store.
func (s *Store) RecoverStale(ctx context.Context, p *store.RecoverStaleParams) (*store.RecoverStaleResult, error) {
	if p.Decide == nil {
		return nil, errors.New("recover stale tasks: Decide is nil")
	}
	var res *store.RecoverStaleResult
	ledger, err := s.run(ctx, p.RunnerID, p.Decide, func(t *txn) error {
		cutoff := t.now - p.StaleAfter.Microseconds()
		rows, err := t.query(`SELECT id, execution_id, task_id, attempt, recoveries, claimed_by, dependents
			FROM cloacina_tasks WHERE state = 'running' AND heartbeat_at < ? ORDER BY id`, cutoff)
		if err != nil {
			return fmt.Errorf("find stale tasks: %w", err)
		}
		type stale struct {
			row        *backend.TaskRow
			attempt    int
			recoveries int
			owner      string
		}
		var found []stale
		for rows.Next() {
			st := stale{row: &backend.TaskRow{}}
			var owner sql.NullString
			var dependents string
			if err := rows.Scan(&st.row.ID, &st.row.ExecID, &st.row.TaskID, &st.attempt, &st.recoveries, &owner, &dependents); err != nil {
				rows.Close()
				return fmt.Errorf("find stale tasks: %w", err)
			}
			st.owner, st.row.Dependents = owner.String, backend.SplitList(dependents)
			found = append(found, st)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find stale tasks: %w", err)
		}
		res = &store.RecoverStaleResult{}
		for _, st := range found {
			ref := store.TaskRef{ExecutionID: st.row.ExecID, TaskID: st.row.TaskID, Attempt: st.attempt}
			if st.recoveries >= p.MaxRecoveries {
				msg := fmt.Sprintf("abandoned: runner %s stopped heartbeating, and the task was already recovered %d times", st.owner, st.recoveries)
				if _, err := t.exec(`UPDATE cloacina_tasks SET state = 'failed', output_ctx = input_ctx, completed_at = ?,
					claimed_by = NULL, heartbeat_at = NULL, error = ? WHERE id = ?`, t.now, msg, st.row.ID); err != nil {
					return fmt.Errorf("abandon task %s: %w", st.row.TaskID, err)
				}
				t.Event(st.row.ExecID, st.row.TaskID, store.EventTaskAbandoned, st.attempt, msg)
				t.Terminal(st.row, store.TaskFailed, msg)
				res.Abandoned = append(res.Abandoned, ref)
				continue
			}
			if _, err := t.exec(`UPDATE cloacina_tasks SET state = 'ready', retry_at = ?, claimed_by = NULL, heartbeat_at = NULL,
				recoveries = recoveries + 1 WHERE id = ?`, t.now, st.row.ID); err != nil {
				return fmt.Errorf("recover task %s: %w", st.row.TaskID, err)
			}
			t.Event(st.row.ExecID, st.row.TaskID, store.EventTaskRecovered, st.attempt,
				fmt.Sprintf("runner %s stopped heartbeating; recovery %d of %d", st.owner, st.recoveries+1, p.MaxRecoveries))
			res.Requeued = append(res.Requeued, ref)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Finished = ledger.Finished
	return res, nil
}

// FinishExecution implements store.Store.
func (s *Store) FinishExecution(ctx context.Context, p *store.FinishExecutionParams) (bool, error) {
	kind := map[store.ExecutionState]string{
		store.ExecutionCancelled: store.EventExecutionCancelled,
		store.ExecutionFailed:    store.EventExecutionFailed,
	}[p.State]
	if kind == "" {
		return false, fmt.Errorf("finish execution: state must be cancelled or failed, not %q", p.State)
	}
	changed := false
	_, err := s.run(ctx, p.RunnerID, nil, func(t *txn) error {
		r, err := t.exec(`UPDATE cloacina_executions SET state = ?, error = ?, completed_at = ?, tasks_remaining = 0
			WHERE id = ? AND state IN ('pending', 'running', 'paused')`, p.State, p.Reason, t.now, p.ExecutionID)
		if err != nil {
			return fmt.Errorf("finish execution %s: %w", p.ExecutionID, err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return t.mustExist(p.ExecutionID)
		}
		changed = true
		rows, err := t.query(`UPDATE cloacina_tasks SET state = 'skipped', skip_reason = ?, claimed_by = NULL,
			heartbeat_at = NULL, output_ctx = input_ctx, completed_at = ?
			WHERE execution_id = ? AND state IN ('not_started', 'ready', 'running') RETURNING task_id, attempt`,
			p.Reason, t.now, p.ExecutionID)
		if err != nil {
			return fmt.Errorf("finish execution %s: %w", p.ExecutionID, err)
		}
		defer rows.Close()
		for rows.Next() {
			var task string
			var attempt int
			if err := rows.Scan(&task, &attempt); err != nil {
				return fmt.Errorf("finish execution %s: %w", p.ExecutionID, err)
			}
			t.Event(p.ExecutionID, task, store.EventTaskSkipped, attempt, p.Reason)
		}
		t.Event(p.ExecutionID, "", kind, 0, p.Reason)
		return rows.Err()
	})
	if err != nil {
		return false, err
	}
	return changed, nil
}

func (t *txn) mustExist(execID string) error {
	var one int
	err := t.queryRow(`SELECT 1 FROM cloacina_executions WHERE id = ?`, execID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("execution %s: %w", execID, store.ErrNotFound)
	}
	return err
}

// SetPaused implements store.Store.
func (s *Store) SetPaused(ctx context.Context, p *store.SetPausedParams) (bool, error) {
	changed := false
	_, err := s.run(ctx, p.RunnerID, nil, func(t *txn) error {
		var r sql.Result
		var err error
		if p.Paused {
			r, err = t.exec(`UPDATE cloacina_executions SET state = 'paused' WHERE id = ? AND state IN ('pending', 'running')`, p.ExecutionID)
		} else {
			r, err = t.exec(`UPDATE cloacina_executions SET state = CASE WHEN started_at IS NULL THEN 'pending' ELSE 'running' END
				WHERE id = ? AND state = 'paused'`, p.ExecutionID)
		}
		if err != nil {
			return fmt.Errorf("pause execution %s: %w", p.ExecutionID, err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return t.mustExist(p.ExecutionID)
		}
		changed = true
		kind := store.EventExecutionResumed
		if p.Paused {
			kind = store.EventExecutionPaused
		}
		t.Event(p.ExecutionID, "", kind, 0, "")
		return nil
	})
	if err != nil {
		return false, err
	}
	return changed, nil
}
