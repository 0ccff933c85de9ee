package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// CreateExecution implements store.Store.
func (s *Store) CreateExecution(ctx context.Context, p *store.CreateExecutionParams) (*store.Execution, error) {
	dependents, err := validateCreate(p)
	if err != nil {
		return nil, err
	}
	input := p.Input
	if input == nil {
		input = []byte("{}")
	}
	tenant := p.Tenant
	if tenant == "" {
		tenant = "public"
	}
	var created *store.Execution
	err = s.run(ctx, p.RunnerID, p.Decide, func(t *txn) error {
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
		t.learned = append(t.learned, p.ID)
		specs := make([][]any, len(p.Tasks))
		for i, spec := range p.Tasks {
			specs[i] = []any{spec.TaskID, i, strings.Join(spec.Deps, ","), strings.Join(spec.RuleTasks, ","),
				strings.Join(dependents[spec.TaskID], ","), len(spec.Deps), spec.MaxAttempts}
		}
		rows, err := t.query(`INSERT INTO cloacina_tasks
			(execution_id, task_id, position, state, deps, rule_tasks, dependents, pending_deps, max_attempts)
			SELECT ?1, value->>0, value->>1, 'not_started', value->>2, value->>3, value->>4, value->>5, value->>6
			FROM json_each(?2) RETURNING id, task_id, rule_tasks, dependents, pending_deps`, p.ID, jsonArg(specs))
		if err != nil {
			return fmt.Errorf("create execution %s: %w", p.ID, err)
		}
		var roots []*taskRow
		for rows.Next() {
			r := &taskRow{execID: p.ID}
			var ruleTasks, deps string
			var pending int
			if err := rows.Scan(&r.id, &r.taskID, &ruleTasks, &deps, &pending); err != nil {
				rows.Close()
				return fmt.Errorf("create execution %s: %w", p.ID, err)
			}
			if pending == 0 {
				r.ruleTasks, r.dependents = splitList(ruleTasks), splitList(deps)
				roots = append(roots, r)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("create execution %s: %w", p.ID, err)
		}
		sort.Slice(roots, func(i, j int) bool { return roots[i].id < roots[j].id })
		t.event(p.ID, "", store.EventExecutionCreated, 0, p.WorkflowName+" "+p.WorkflowVersion)
		created = &store.Execution{
			ID: p.ID, WorkflowName: p.WorkflowName, WorkflowVersion: p.WorkflowVersion, Tenant: tenant,
			State: store.ExecutionPending, Input: input, TasksTotal: len(p.Tasks),
			CreatedAt: time.UnixMicro(t.now), Deadline: fromMicros(nullInt(deadline)),
		}
		return t.decideAll(roots)
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

// validateCreate checks the parameters and returns each task's dependents.
func validateCreate(p *store.CreateExecutionParams) (map[string][]string, error) {
	switch {
	case p.ID == "":
		return nil, errors.New("create execution: ID is empty")
	case p.WorkflowName == "":
		return nil, errors.New("create execution: WorkflowName is empty")
	case len(p.Tasks) == 0:
		return nil, errors.New("create execution: no tasks")
	case p.Decide == nil:
		return nil, errors.New("create execution: Decide is nil")
	}
	known := make(map[string]bool, len(p.Tasks))
	dependents := make(map[string][]string, len(p.Tasks))
	for _, spec := range p.Tasks {
		if spec.TaskID == "" || strings.Contains(spec.TaskID, ",") {
			return nil, fmt.Errorf("create execution: invalid task id %q", spec.TaskID)
		}
		if known[spec.TaskID] {
			return nil, fmt.Errorf("create execution: duplicate task id %q", spec.TaskID)
		}
		for _, d := range append(append([]string(nil), spec.Deps...), spec.RuleTasks...) {
			if !known[d] {
				return nil, fmt.Errorf("create execution: task %q names %q, which is not an earlier task (tasks must be in topological order)", spec.TaskID, d)
			}
		}
		for _, d := range spec.Deps {
			dependents[d] = append(dependents[d], spec.TaskID)
		}
		known[spec.TaskID] = true
	}
	return dependents, nil
}

// ClaimTasks implements store.Store.
func (s *Store) ClaimTasks(ctx context.Context, p *store.ClaimTasksParams) (*store.ClaimTasksResult, error) {
	var res *store.ClaimTasksResult
	err := s.run(ctx, p.RunnerID, nil, func(t *txn) (err error) {
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
	err := s.run(ctx, p.RunnerID, p.Decide, func(t *txn) error {
		res = &store.CompleteTasksResult{}
		for i := range p.Outcomes {
			o := &p.Outcomes[i]
			lost, err := t.complete(o)
			if err != nil {
				return err
			}
			if lost {
				res.Lost = append(res.Lost, store.TaskRef{ExecutionID: o.ExecutionID, TaskID: o.TaskID, Attempt: o.Attempt})
			}
		}
		// Decide dependents and finish executions before claiming, so
		// tasks made ready by these outcomes can be claimed at once.
		if err := t.drain(); err != nil {
			return err
		}
		if err := t.finishExecutions(); err != nil {
			return err
		}
		res.Finished, res.Readied = t.finished, t.readied
		if p.ClaimLimit > 0 {
			var err error
			if res.Claimed, err = t.claim(p.ClaimLimit, p.ClaimWorkflows); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// complete records one outcome; it reports lost when the claim is gone.
// Each kind is one guarded UPDATE: it changes nothing unless the task is
// Running, claimed by this runner, at this attempt.
func (t *txn) complete(o *store.Outcome) (lost bool, err error) {
	const guard = ` WHERE execution_id = ? AND task_id = ? AND state = 'running' AND claimed_by = ? AND attempt = ?
		RETURNING id, dependents`
	row := &taskRow{execID: o.ExecutionID, taskID: o.TaskID}
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
		res = t.queryRow(`UPDATE cloacina_tasks SET state = 'ready', retry_at = ?, claimed_by = NULL, heartbeat_at = NULL,
			error = ?`+guard, t.now+o.RetryDelay.Microseconds(), o.Error, o.ExecutionID, o.TaskID, t.runner, o.Attempt)
	case store.OutcomeFailed:
		state = store.TaskFailed
		res = t.queryRow(`UPDATE cloacina_tasks SET state = 'failed', output_ctx = input_ctx, completed_at = ?,
			claimed_by = NULL, heartbeat_at = NULL, error = ?`+guard, t.now, o.Error, o.ExecutionID, o.TaskID, t.runner, o.Attempt)
	default:
		return false, fmt.Errorf("complete task %s: unknown outcome kind %d", o.TaskID, o.Kind)
	}
	if err := res.Scan(&row.id, &dependents); errors.Is(err, sql.ErrNoRows) {
		if ctxID, ok := out.(int64); ok { // stored above for an outcome that does not count
			if _, err := t.exec(`DELETE FROM cloacina_contexts WHERE id = ?`, ctxID); err != nil {
				return false, fmt.Errorf("discard output of a lost claim: %w", err)
			}
		}
		return true, nil
	} else if err != nil {
		return false, fmt.Errorf("record outcome of %s/%s: %w", o.ExecutionID, o.TaskID, err)
	}
	row.dependents = splitList(dependents)
	switch o.Kind {
	case store.OutcomeSucceeded:
		t.event(o.ExecutionID, o.TaskID, store.EventTaskCompleted, o.Attempt, "")
	case store.OutcomeRetry:
		t.event(o.ExecutionID, o.TaskID, store.EventTaskRetrying, o.Attempt,
			fmt.Sprintf("%s (next attempt in %s)", o.Error, o.RetryDelay.Round(time.Millisecond)))
		return false, nil
	case store.OutcomeFailed:
		t.event(o.ExecutionID, o.TaskID, store.EventTaskFailed, o.Attempt, o.Error)
	}
	t.terminal(row, state, o.Error)
	return false, nil
}

// Heartbeat implements store.Store.
func (s *Store) Heartbeat(ctx context.Context, p *store.HeartbeatParams) (*store.HeartbeatResult, error) {
	var res *store.HeartbeatResult
	err := s.run(ctx, p.RunnerID, nil, func(t *txn) error {
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
	err := s.run(ctx, p.RunnerID, p.Decide, func(t *txn) error {
		cutoff := t.now - p.StaleAfter.Microseconds()
		rows, err := t.query(`SELECT id, execution_id, task_id, attempt, recoveries, claimed_by, dependents
			FROM cloacina_tasks WHERE state = 'running' AND heartbeat_at < ? ORDER BY id`, cutoff)
		if err != nil {
			return fmt.Errorf("find stale tasks: %w", err)
		}
		type stale struct {
			row        *taskRow
			attempt    int
			recoveries int
			owner      string
		}
		var found []stale
		for rows.Next() {
			st := stale{row: &taskRow{}}
			var owner sql.NullString
			var dependents string
			if err := rows.Scan(&st.row.id, &st.row.execID, &st.row.taskID, &st.attempt, &st.recoveries, &owner, &dependents); err != nil {
				rows.Close()
				return fmt.Errorf("find stale tasks: %w", err)
			}
			st.owner, st.row.dependents = owner.String, splitList(dependents)
			found = append(found, st)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find stale tasks: %w", err)
		}
		res = &store.RecoverStaleResult{}
		for _, st := range found {
			ref := store.TaskRef{ExecutionID: st.row.execID, TaskID: st.row.taskID, Attempt: st.attempt}
			if st.recoveries >= p.MaxRecoveries {
				msg := fmt.Sprintf("abandoned: runner %s stopped heartbeating, and the task was already recovered %d times", st.owner, st.recoveries)
				if _, err := t.exec(`UPDATE cloacina_tasks SET state = 'failed', output_ctx = input_ctx, completed_at = ?,
					claimed_by = NULL, heartbeat_at = NULL, error = ? WHERE id = ?`, t.now, msg, st.row.id); err != nil {
					return fmt.Errorf("abandon task %s: %w", st.row.taskID, err)
				}
				t.event(st.row.execID, st.row.taskID, store.EventTaskAbandoned, st.attempt, msg)
				t.terminal(st.row, store.TaskFailed, msg)
				res.Abandoned = append(res.Abandoned, ref)
				continue
			}
			if _, err := t.exec(`UPDATE cloacina_tasks SET state = 'ready', retry_at = ?, claimed_by = NULL, heartbeat_at = NULL,
				recoveries = recoveries + 1 WHERE id = ?`, t.now, st.row.id); err != nil {
				return fmt.Errorf("recover task %s: %w", st.row.taskID, err)
			}
			t.event(st.row.execID, st.row.taskID, store.EventTaskRecovered, st.attempt,
				fmt.Sprintf("runner %s stopped heartbeating; recovery %d of %d", st.owner, st.recoveries+1, p.MaxRecoveries))
			res.Requeued = append(res.Requeued, ref)
		}
		if err := t.finalize(); err != nil {
			return err
		}
		res.Finished = t.finished
		return nil
	})
	if err != nil {
		return nil, err
	}
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
	err := s.run(ctx, p.RunnerID, nil, func(t *txn) error {
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
			t.event(p.ExecutionID, task, store.EventTaskSkipped, attempt, p.Reason)
		}
		t.event(p.ExecutionID, "", kind, 0, p.Reason)
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
	err := s.run(ctx, p.RunnerID, nil, func(t *txn) error {
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
		t.event(p.ExecutionID, "", kind, 0, "")
		return nil
	})
	if err != nil {
		return false, err
	}
	return changed, nil
}
