package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/internal/backend"
)

const executionColumns = `e.id, e.workflow_name, e.workflow_version, e.tenant, e.state, c.data, e.error,
	e.tasks_total, e.tasks_failed, e.created_at, e.started_at, e.completed_at, e.deadline_at`

func scanExecution(sc interface{ Scan(...any) error }) (*store.Execution, error) {
	e := &store.Execution{}
	var created int64
	var started, completed, deadline sql.NullInt64
	if err := sc.Scan(&e.ID, &e.WorkflowName, &e.WorkflowVersion, &e.Tenant, &e.State, &e.Input, &e.Error,
		&e.TasksTotal, &e.TasksFailed, &created, &started, &completed, &deadline); err != nil {
		return nil, err
	}
	e.CreatedAt = fromMicros(sql.NullInt64{Int64: created, Valid: true})
	e.StartedAt, e.CompletedAt, e.Deadline = fromMicros(started), fromMicros(completed), fromMicros(deadline)
	return e, nil
}

// GetExecution implements store.Store.
func (s *Store) GetExecution(ctx context.Context, id string) (*store.Execution, error) {
	e, err := scanExecution(s.read.QueryRowContext(ctx, `SELECT `+executionColumns+`
		FROM cloacina_executions e JOIN cloacina_contexts c ON c.id = e.input_ctx WHERE e.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
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
	if p.WorkflowName != "" {
		where = append(where, "e.workflow_name = ?")
		args = append(args, p.WorkflowName)
	}
	if len(p.States) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?,", len(p.States)), ",")
		where = append(where, "e.state IN ("+marks+")")
		for _, st := range p.States {
			args = append(args, string(st))
		}
	}
	if !p.DeadlineBefore.IsZero() {
		where = append(where, "e.deadline_at IS NOT NULL AND e.deadline_at < ?")
		args = append(args, p.DeadlineBefore.UnixMicro())
	}
	q := `SELECT ` + executionColumns + ` FROM cloacina_executions e JOIN cloacina_contexts c ON c.id = e.input_ctx`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	q += " ORDER BY e.created_at DESC, e.id DESC LIMIT ?"
	args = append(args, limit)
	rows, err := s.read.QueryContext(ctx, q, args...)
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
	rows, err := s.read.QueryContext(ctx, `SELECT t.task_id, t.position, t.state, t.deps, t.attempt, t.max_attempts,
		t.recoveries, t.retry_at, t.claimed_by, t.error, t.skip_reason, t.started_at, t.completed_at, c.data
		FROM cloacina_tasks t LEFT JOIN cloacina_contexts c ON c.id = t.output_ctx
		WHERE t.execution_id = ? ORDER BY t.position`, executionID)
	if err != nil {
		return nil, fmt.Errorf("list tasks of %s: %w", executionID, err)
	}
	defer rows.Close()
	var out []*store.Task
	for rows.Next() {
		t := &store.Task{ExecutionID: executionID}
		var deps string
		var retryAt, started, completed sql.NullInt64
		var claimedBy sql.NullString
		if err := rows.Scan(&t.TaskID, &t.Position, &t.State, &deps, &t.Attempt, &t.MaxAttempts, &t.Recoveries,
			&retryAt, &claimedBy, &t.Error, &t.SkipReason, &started, &completed, &t.Output); err != nil {
			return nil, fmt.Errorf("list tasks of %s: %w", executionID, err)
		}
		t.Deps, t.ClaimedBy = backend.SplitList(deps), claimedBy.String
		t.RetryAt, t.StartedAt, t.CompletedAt = fromMicros(retryAt), fromMicros(started), fromMicros(completed)
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
	rows, err := s.read.QueryContext(ctx, `SELECT id, execution_id, task_id, kind, attempt, runner_id, message, at
		FROM cloacina_events WHERE execution_id = ? ORDER BY id`, executionID)
	if err != nil {
		return nil, fmt.Errorf("list events of %s: %w", executionID, err)
	}
	defer rows.Close()
	var out []*store.Event
	for rows.Next() {
		e := &store.Event{}
		var at int64
		if err := rows.Scan(&e.ID, &e.ExecutionID, &e.TaskID, &e.Kind, &e.Attempt, &e.RunnerID, &e.Message, &at); err != nil {
			return nil, fmt.Errorf("list events of %s: %w", executionID, err)
		}
		e.At = fromMicros(sql.NullInt64{Int64: at, Valid: true})
		out = append(out, e)
	}
	return out, rows.Err()
}
