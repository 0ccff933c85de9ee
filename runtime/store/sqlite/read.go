package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/internal/engine"
)

const executionColumns = `id, workflow_name, workflow_version, tenant, state, input, input_refs, error,
	tasks_total, tasks_failed, created_at, started_at, completed_at, deadline_at,
	COALESCE(idempotency_key, ''), origin, origin_name, meta`

func scanExecution(sc interface{ Scan(...any) error }) (*store.Execution, error) {
	e := &store.Execution{}
	var input string
	var refs, meta *string
	var created int64
	var started, completed, deadline sql.NullInt64
	if err := sc.Scan(&e.ID, &e.WorkflowName, &e.WorkflowVersion, &e.Tenant, &e.State, &input, &refs, &e.Error,
		&e.TasksTotal, &e.TasksFailed, &created, &started, &completed, &deadline,
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
	e.CreatedAt = time.UnixMicro(created)
	e.StartedAt, e.CompletedAt, e.Deadline = fromMicros(started), fromMicros(completed), fromMicros(deadline)
	return e, nil
}

// GetExecution implements store.Store.
func (s *Store) GetExecution(ctx context.Context, id string) (*store.Execution, error) {
	e, err := scanExecution(s.readQueryRow(ctx, `SELECT `+executionColumns+` FROM cloacina_executions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("execution %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get execution %s: %w", id, err)
	}
	return e, nil
}

// ExecutionIDsWithPrefix implements store.Store: a range of the primary
// key, whose text compares byte by byte (BINARY).
func (s *Store) ExecutionIDsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, error) {
	if prefix == "" {
		return nil, errors.New("execution ids with a prefix: the prefix is empty")
	}
	if !engine.ASCII(prefix) {
		return nil, nil // execution ids are ASCII
	}
	q, args := `SELECT id FROM cloacina_executions WHERE id >= ?1 ORDER BY id LIMIT ?2`, []any{prefix, limit}
	if end := engine.PrefixEnd(prefix); end != "" {
		q, args = `SELECT id FROM cloacina_executions WHERE id >= ?1 AND id < ?3 ORDER BY id LIMIT ?2`, append(args, end)
	}
	rows, err := s.readQuery(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("execution ids with prefix %q: %w", prefix, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("execution ids with prefix %q: %w", prefix, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ListExecutions implements store.Store.
func (s *Store) ListExecutions(ctx context.Context, p *store.ListExecutionsParams) ([]*store.Execution, error) {
	var where []string
	var args []any
	if p.IDs != nil {
		where = append(where, "id IN (SELECT value FROM json_each(?))")
		args = append(args, jsonArg(p.IDs))
	}
	if p.WorkflowName != "" {
		where = append(where, "workflow_name = ?")
		args = append(args, p.WorkflowName)
	}
	if len(p.States) > 0 {
		where = append(where, "state IN (SELECT value FROM json_each(?))")
		args = append(args, jsonArg(p.States))
	}
	if !p.DeadlineBefore.IsZero() {
		where = append(where, "deadline_at IS NOT NULL AND deadline_at < ?")
		args = append(args, p.DeadlineBefore.UnixMicro())
	}
	if !p.CreatedAfter.IsZero() {
		where = append(where, "created_at > ?")
		args = append(args, p.CreatedAfter.UnixMicro())
	}
	if !p.CreatedBefore.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, p.CreatedBefore.UnixMicro())
	}
	if p.Origin != "" {
		origin := p.Origin
		if origin == store.OriginDirect {
			origin = ""
		}
		where = append(where, "origin = ?")
		args = append(args, origin)
	}
	if p.OriginName != "" {
		where = append(where, "origin_name = ?")
		args = append(args, p.OriginName)
	}
	if !p.After.IsZero() {
		// A row value comparison, which SQLite reads from the (created_at,
		// id) order of the index it walks.
		where = append(where, "(created_at, id) < (?, ?)")
		args = append(args, p.After.CreatedAt.UnixMicro(), p.After.ID)
	}
	q := `SELECT ` + executionColumns + ` FROM cloacina_executions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT ?"
	args = append(args, limit)
	rows, err := s.readQuery(ctx, q, args...)
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
	rows, err := s.readQuery(ctx, `SELECT task_id, position, state, deps, attempt, max_attempts,
		recoveries, retry_at, claimed_by, error, error_detail, skip_reason, started_at, completed_at,
		input, input_refs, output, output_refs
		FROM cloacina_tasks WHERE execution_id = ? ORDER BY position`, executionID)
	if err != nil {
		return nil, fmt.Errorf("list tasks of %s: %w", executionID, err)
	}
	defer rows.Close()
	var out []*store.Task
	for rows.Next() {
		t := &store.Task{ExecutionID: executionID}
		var deps, detail string
		var retryAt, started, completed sql.NullInt64
		var claimedBy sql.NullString
		var input, inputRefs, output, outputRefs *string
		if err := rows.Scan(&t.TaskID, &t.Position, &t.State, &deps, &t.Attempt, &t.MaxAttempts, &t.Recoveries,
			&retryAt, &claimedBy, &t.Error, &detail, &t.SkipReason, &started, &completed,
			&input, &inputRefs, &output, &outputRefs); err != nil {
			return nil, fmt.Errorf("list tasks of %s: %w", executionID, err)
		}
		t.Deps, t.ClaimedBy = engine.SplitList(deps), claimedBy.String
		if detail != "" {
			t.ErrorDetail = []byte(detail)
		}
		t.RetryAt, t.StartedAt, t.CompletedAt = fromMicros(retryAt), fromMicros(started), fromMicros(completed)
		if t.Input, err = engine.ScanDoc(input, inputRefs); err != nil {
			return nil, err
		}
		if t.Output, err = engine.ScanDoc(output, outputRefs); err != nil {
			return nil, err
		}
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
	rows, err := s.readQuery(ctx, `SELECT id, runner_id, at, events
		FROM cloacina_events WHERE execution_id = ? ORDER BY id`, executionID)
	if err != nil {
		return nil, fmt.Errorf("list events of %s: %w", executionID, err)
	}
	defer rows.Close()
	var out []*store.Event
	for rows.Next() {
		row := &store.Event{ExecutionID: executionID}
		var at int64
		var events string
		if err := rows.Scan(&row.ID, &row.RunnerID, &at, &events); err != nil {
			return nil, fmt.Errorf("list events of %s: %w", executionID, err)
		}
		row.At = time.UnixMicro(at)
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
	rows, err := s.readQuery(ctx, `SELECT hash, data FROM cloacina_values
		WHERE execution_id = ? AND hash IN (SELECT value FROM json_each(?))`, executionID, jsonArg(hashes))
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

// sqliteConstraintPrimaryKey is SQLITE_CONSTRAINT_PRIMARYKEY. Of the
// tables the engine inserts into with a conflict, only executions have a
// primary key the caller chooses (task ids are the database's, values
// insert with ON CONFLICT DO NOTHING).
const sqliteConstraintPrimaryKey = 1555

// sqliteConstraintUnique is SQLITE_CONSTRAINT_UNIQUE; of the unique
// indexes, only the executions' idempotency key can conflict.
const sqliteConstraintUnique = 2067

// mapError maps SQLite's errors to the store's sentinels.
func mapError(err error) error {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch {
		case coded.Code() == sqliteConstraintPrimaryKey:
			return fmt.Errorf("%w: %w", store.ErrDuplicateID, err)
		case coded.Code() == sqliteConstraintUnique && strings.Contains(err.Error(), "idempotency_key"):
			return fmt.Errorf("%w: %w", engine.ErrKeyTaken, err)
		}
	}
	return err
}
