package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/internal/engine"
)

const executionColumns = `id, workflow_name, workflow_version, tenant, state, input::text, input_refs::text, error,
	tasks_total, tasks_failed, created_at, started_at, completed_at, deadline_at,
	COALESCE(idempotency_key, ''), origin, origin_name, meta::text`

func scanExecution(row pgx.Row) (*store.Execution, error) {
	e := &store.Execution{}
	var input string
	var refs, meta *string
	var started, completed, deadline *time.Time
	if err := row.Scan(&e.ID, &e.WorkflowName, &e.WorkflowVersion, &e.Tenant, &e.State, &input, &refs, &e.Error,
		&e.TasksTotal, &e.TasksFailed, &e.CreatedAt, &started, &completed, &deadline,
		&e.IdempotencyKey, &e.Origin, &e.OriginName, &meta); err != nil {
		return nil, err
	}
	doc, err := engine.ScanDoc(&input, refs)
	if err != nil {
		return nil, err
	}
	e.Input = *doc
	if meta != nil {
		e.Meta = []byte(*meta)
	}
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
	e, err := scanExecution(s.pool.QueryRow(ctx, s.q(`SELECT `+executionColumns+` FROM cloacina_executions WHERE id = $1`), id))
	if isNoRows(err) {
		return nil, fmt.Errorf("execution %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get execution %s: %w", id, err)
	}
	return e, nil
}

// ExecutionIDsWithPrefix implements store.Store: a range of the primary
// key, whose text compares byte by byte (COLLATE "C").
func (s *Store) ExecutionIDsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, error) {
	if prefix == "" {
		return nil, errors.New("execution ids with a prefix: the prefix is empty")
	}
	if !engine.ASCII(prefix) {
		return nil, nil // execution ids are ASCII
	}
	q, args := `SELECT id FROM cloacina_executions WHERE id >= $1 ORDER BY id LIMIT $2`, []any{prefix, limit}
	if end := engine.PrefixEnd(prefix); end != "" {
		q, args = `SELECT id FROM cloacina_executions WHERE id >= $1 AND id < $3 ORDER BY id LIMIT $2`, append(args, end)
	}
	rows, err := s.pool.Query(ctx, s.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("execution ids with prefix %q: %w", prefix, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("execution ids with prefix %q: %w", prefix, err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return ids, nil
}

// ListExecutions implements store.Store.
func (s *Store) ListExecutions(ctx context.Context, p *store.ListExecutionsParams) ([]*store.Execution, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if p.IDs != nil {
		where = append(where, "id = ANY("+arg(p.IDs)+")")
	}
	if p.WorkflowName != "" {
		where = append(where, "workflow_name = "+arg(p.WorkflowName))
	}
	if len(p.States) > 0 {
		states := make([]string, len(p.States))
		for i, st := range p.States {
			states[i] = string(st)
		}
		where = append(where, "state = ANY("+arg(states)+")")
	}
	if !p.DeadlineBefore.IsZero() {
		where = append(where, "deadline_at IS NOT NULL AND deadline_at < "+arg(p.DeadlineBefore))
	}
	if !p.CreatedAfter.IsZero() {
		where = append(where, "created_at > "+arg(p.CreatedAfter))
	}
	if !p.CreatedBefore.IsZero() {
		where = append(where, "created_at < "+arg(p.CreatedBefore))
	}
	if p.Origin != "" {
		origin := p.Origin
		if origin == store.OriginDirect {
			origin = ""
		}
		where = append(where, "origin = "+arg(origin))
	}
	if p.OriginName != "" {
		where = append(where, "origin_name = "+arg(p.OriginName))
	}
	if !p.After.IsZero() {
		// A row comparison: the index on (created_at, id), read
		// backwards, starts at the cursor.
		where = append(where, "(created_at, id) < ("+arg(p.After.CreatedAt)+"::timestamptz, "+arg(p.After.ID)+"::text)")
	}
	query := `SELECT ` + executionColumns + ` FROM cloacina_executions`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	query += " ORDER BY created_at DESC, id DESC LIMIT " + arg(limit)
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
	rows, err := s.pool.Query(ctx, s.q(`SELECT task_id, position, state, deps, attempt, max_attempts,
		recoveries, retry_at, claimed_by, error, error_detail, skip_reason, started_at, completed_at,
		input::text, input_refs::text, output::text, output_refs::text
		FROM cloacina_tasks WHERE execution_id = $1 ORDER BY position`), executionID)
	if err != nil {
		return nil, fmt.Errorf("list tasks of %s: %w", executionID, err)
	}
	defer rows.Close()
	var out []*store.Task
	for rows.Next() {
		t := &store.Task{ExecutionID: executionID}
		var deps, detail string
		var retryAt, started, completed *time.Time
		var claimedBy, input, inputRefs, output, outputRefs *string
		if err := rows.Scan(&t.TaskID, &t.Position, &t.State, &deps, &t.Attempt, &t.MaxAttempts, &t.Recoveries,
			&retryAt, &claimedBy, &t.Error, &detail, &t.SkipReason, &started, &completed,
			&input, &inputRefs, &output, &outputRefs); err != nil {
			return nil, fmt.Errorf("list tasks of %s: %w", executionID, err)
		}
		t.Deps = engine.SplitList(deps)
		if claimedBy != nil {
			t.ClaimedBy = *claimedBy
		}
		if detail != "" {
			t.ErrorDetail = []byte(detail)
		}
		if t.Input, err = engine.ScanDoc(input, inputRefs); err != nil {
			return nil, err
		}
		if t.Output, err = engine.ScanDoc(output, outputRefs); err != nil {
			return nil, err
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

// ListEvents implements store.Store. The order names the table's columns:
// a bare "tx" would name the output column tx::text, and transaction ids
// compared as text put 100000 before 99999.
func (s *Store) ListEvents(ctx context.Context, executionID string) ([]*store.Event, error) {
	rows, err := s.pool.Query(ctx, s.q(`SELECT ev.id, ev.tx::text, ev.runner_id, ev.at, ev.events
		FROM cloacina_events AS ev WHERE ev.execution_id = $1 ORDER BY ev.tx, ev.id`), executionID)
	if err != nil {
		return nil, fmt.Errorf("list events of %s: %w", executionID, err)
	}
	defer rows.Close()
	var out []*store.Event
	for rows.Next() {
		row := &store.Event{ExecutionID: executionID}
		var tx, events string
		if err := rows.Scan(&row.ID, &tx, &row.RunnerID, &row.At, &events); err != nil {
			return nil, fmt.Errorf("list events of %s: %w", executionID, err)
		}
		if row.Tx, err = strconv.ParseUint(tx, 10, 64); err != nil {
			return nil, fmt.Errorf("list events of %s: transaction id %q: %w", executionID, tx, err)
		}
		es, err := engine.UnpackEvents(row, events)
		if err != nil {
			return nil, fmt.Errorf("list events of %s: %w", executionID, err)
		}
		out = append(out, es...)
	}
	return out, rows.Err()
}

// LoadValues implements store.Store.
func (s *Store) LoadValues(ctx context.Context, executionID string, hashes []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(hashes))
	if len(hashes) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, s.q(`SELECT hash, data FROM cloacina_values WHERE execution_id = $1 AND hash = ANY($2)`),
		executionID, hashes)
	if err != nil {
		return nil, fmt.Errorf("load values of %s: %w", executionID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		var data []byte
		if err := rows.Scan(&h, &data); err != nil {
			return nil, fmt.Errorf("load values of %s: %w", executionID, err)
		}
		out[h] = data
	}
	return out, rows.Err()
}
