package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/internal/backend"
)

const executionColumns = `e.id, e.workflow_name, e.workflow_version, e.tenant, e.state, c.data::text, e.error,
	e.tasks_total, e.tasks_failed, e.created_at, e.started_at, e.completed_at, e.deadline_at`

func scanExecution(row pgx.Row) (*store.Execution, error) {
	e := &store.Execution{}
	var input string
	var started, completed, deadline *time.Time
	if err := row.Scan(&e.ID, &e.WorkflowName, &e.WorkflowVersion, &e.Tenant, &e.State, &input, &e.Error,
		&e.TasksTotal, &e.TasksFailed, &e.CreatedAt, &started, &completed, &deadline); err != nil {
		return nil, err
	}
	e.Input = []byte(input)
	e.StartedAt, e.CompletedAt, e.Deadline = orZero(started), orZero(completed), orZero(deadline)
	return e, nil
}

func orZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// GetExecution implements store.Store.
func (s *Store) GetExecution(ctx context.Context, id string) (*store.Execution, error) {
	e, err := scanExecution(s.pool.QueryRow(ctx, s.q(`SELECT `+executionColumns+`
		FROM cloacina_executions e JOIN cloacina_contexts c ON c.id = e.input_ctx WHERE e.id = $1`), id))
	if isNoRows(err) {
		return nil, fmt.Errorf("execution %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get execution %s: %w", id, err)
	}
	return e, nil
}

// ListExecutions implements store.Store.
func (s *Store) ListExecutions(ctx context.Context, p *store.ListExecutionsParams) ([]*store.Execution, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if p.WorkflowName != "" {
		where = append(where, "e.workflow_name = "+arg(p.WorkflowName))
	}
	if len(p.States) > 0 {
		states := make([]string, len(p.States))
		for i, st := range p.States {
			states[i] = string(st)
		}
		where = append(where, "e.state = ANY("+arg(states)+")")
	}
	if !p.DeadlineBefore.IsZero() {
		where = append(where, "e.deadline_at IS NOT NULL AND e.deadline_at < "+arg(p.DeadlineBefore))
	}
	query := `SELECT ` + executionColumns + ` FROM cloacina_executions e JOIN cloacina_contexts c ON c.id = e.input_ctx`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	query += " ORDER BY e.created_at DESC, e.id DESC LIMIT " + arg(limit)
	rows, err := s.pool.Query(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	defer rows.Close()
	var out []*store.Execution
	for rows.Next() {
		e, err := scanExecution(rows)
		if err != nil {
			return nil, fmt.Errorf("list executions: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ListTasks implements store.Store.
func (s *Store) ListTasks(ctx context.Context, executionID string) ([]*store.Task, error) {
	rows, err := s.pool.Query(ctx, s.q(`SELECT t.task_id, t.position, t.state, t.deps, t.attempt, t.max_attempts,
		t.recoveries, t.retry_at, t.claimed_by, t.error, t.skip_reason, t.started_at, t.completed_at, c.data::text
		FROM cloacina_tasks t LEFT JOIN cloacina_contexts c ON c.id = t.output_ctx
		WHERE t.execution_id = $1 ORDER BY t.position`), executionID)
	if err != nil {
		return nil, fmt.Errorf("list tasks of %s: %w", executionID, err)
	}
	defer rows.Close()
	var out []*store.Task
	for rows.Next() {
		t := &store.Task{ExecutionID: executionID}
		var deps string
		var retryAt, started, completed *time.Time
		var claimedBy, output *string
		if err := rows.Scan(&t.TaskID, &t.Position, &t.State, &deps, &t.Attempt, &t.MaxAttempts, &t.Recoveries,
			&retryAt, &claimedBy, &t.Error, &t.SkipReason, &started, &completed, &output); err != nil {
			return nil, fmt.Errorf("list tasks of %s: %w", executionID, err)
		}
		t.Deps = backend.SplitList(deps)
		if claimedBy != nil {
			t.ClaimedBy = *claimedBy
		}
		if output != nil {
			t.Output = []byte(*output)
		}
		t.RetryAt, t.StartedAt, t.CompletedAt = orZero(retryAt), orZero(started), orZero(completed)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		if _, err := s.GetExecution(ctx, executionID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ListEvents implements store.Store.
func (s *Store) ListEvents(ctx context.Context, executionID string) ([]*store.Event, error) {
	rows, err := s.pool.Query(ctx, s.q(`SELECT id, execution_id, task_id, kind, attempt, runner_id, message, at
		FROM cloacina_events WHERE execution_id = $1 ORDER BY id`), executionID)
	if err != nil {
		return nil, fmt.Errorf("list events of %s: %w", executionID, err)
	}
	defer rows.Close()
	var out []*store.Event
	for rows.Next() {
		e := &store.Event{}
		if err := rows.Scan(&e.ID, &e.ExecutionID, &e.TaskID, &e.Kind, &e.Attempt, &e.RunnerID, &e.Message, &e.At); err != nil {
			return nil, fmt.Errorf("list events of %s: %w", executionID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
