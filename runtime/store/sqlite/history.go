package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/internal/engine"
)

// SaveWorkflows implements engine.Tx.
func (t *tx) SaveWorkflows(recs []*store.WorkflowRecord) error {
	for _, r := range recs {
		if _, err := t.exec(`INSERT INTO cloacina_workflows (name, version, definition, recorded_by, recorded_at)
			VALUES (?1, ?2, ?3, ?4, ?5)
			ON CONFLICT (name, version) DO UPDATE SET definition = ?3, recorded_by = ?4, recorded_at = ?5`,
			r.Name, r.Version, r.Definition, t.runner, t.now); err != nil {
			return err
		}
	}
	return nil
}

// RetryInfo implements engine.Tx. SQLite's single writer holds every row.
func (t *tx) RetryInfo(exec string) (*engine.RetryInfo, error) {
	info := &engine.RetryInfo{}
	err := t.queryRow(`SELECT state, error FROM cloacina_executions WHERE id = ?`, exec).Scan(&info.State, &info.Error)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("execution %s: %w", exec, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	err = t.each(func(r *sql.Rows) error {
		rt, err := engine.ScanRetryTask(r.Scan)
		if err == nil {
			info.Tasks = append(info.Tasks, rt)
		}
		return err
	}, `SELECT `+taskRowColumns+`, state, skip_reason FROM cloacina_tasks WHERE execution_id = ? ORDER BY position`, exec)
	return info, err
}

// ResetTasks implements engine.Tx.
func (t *tx) ResetTasks(ids []int64, pending []int) error {
	rs := newRows(2, len(ids))
	for i, id := range ids {
		rs.add(id, pending[i])
	}
	_, err := t.execRows(`UPDATE cloacina_tasks AS t SET state = 'not_started', pending_deps = d.p, held = 0, attempt = 0,
			recoveries = 0, retry_at = NULL, ready_at = NULL, claimed_by = NULL, heartbeat_at = NULL, input = NULL, input_refs = NULL,
			output = NULL, output_refs = NULL, error = '', error_detail = '', skip_reason = '', started_at = NULL,
			completed_at = NULL
		FROM (SELECT column1 AS id, column2 AS p FROM (VALUES {rows})) AS d WHERE t.id = d.id`, nil, rs)
	return err
}

// ReopenExecution implements engine.Tx.
func (t *tx) ReopenExecution(exec string, leaves int) (bool, error) {
	r, err := t.exec(`UPDATE cloacina_executions SET
			state = CASE WHEN started_at IS NULL THEN 'pending' ELSE 'running' END,
			error = '', completed_at = NULL, tasks_failed = 0, leaves_remaining = ?1,
			deadline_at = CASE WHEN deadline_at IS NULL THEN NULL ELSE ?2 + (deadline_at - created_at) END
		WHERE id = ?3 AND state IN ('failed', 'cancelled')`, leaves, t.now, exec)
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n > 0, err
}

// PurgeExecutions implements engine.Tx: the batch's ids once, then one
// delete per table.
func (t *tx) PurgeExecutions(states []store.ExecutionState, before time.Time, limit int) (int, error) {
	var ids []string
	err := t.each(func(r *sql.Rows) error {
		var id string
		err := r.Scan(&id)
		ids = append(ids, id)
		return err
	}, `SELECT id FROM cloacina_executions
		WHERE state IN ('completed', 'failed', 'cancelled') AND state IN (SELECT value FROM json_each(?1))
			AND completed_at < ?2
		ORDER BY completed_at LIMIT ?3 + 0`, jsonArg(states), before.UnixMicro(), limit)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	arg := jsonArg(ids)
	for _, q := range []string{
		`DELETE FROM cloacina_events WHERE execution_id IN (SELECT value FROM json_each(?1))`,
		`DELETE FROM cloacina_values WHERE execution_id IN (SELECT value FROM json_each(?1))`,
		`DELETE FROM cloacina_tasks WHERE execution_id IN (SELECT value FROM json_each(?1))`,
		`DELETE FROM cloacina_schedule_fires WHERE execution_id IN (SELECT value FROM json_each(?1))
			AND NOT EXISTS (SELECT 1 FROM cloacina_schedules s
				WHERE s.name = cloacina_schedule_fires.schedule_name AND s.last_execution = cloacina_schedule_fires.execution_id)`,
		`DELETE FROM cloacina_executions WHERE id IN (SELECT value FROM json_each(?1))
			AND state IN ('completed', 'failed', 'cancelled')`,
	} {
		if _, err := t.exec(q, arg); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// AcquireLease implements engine.Tx.
func (t *tx) AcquireLease(p *store.LeaseParams) (bool, error) {
	var owner string
	err := t.queryRow(`INSERT INTO cloacina_leases (name, owner, lease_until) VALUES (?1, ?2, ?3 + ?4)
		ON CONFLICT (name) DO UPDATE SET owner = ?2, lease_until = ?3 + ?4
			WHERE cloacina_leases.owner = ?2 OR cloacina_leases.lease_until <= ?3
		RETURNING owner`, p.Name, p.Owner, t.now, p.TTL.Microseconds()).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil && owner == p.Owner, err
}

// ListWorkflows implements store.Store.
func (s *Store) ListWorkflows(ctx context.Context, name string) ([]*store.WorkflowRecord, error) {
	rows, err := s.readQuery(ctx, `SELECT name, version, definition, recorded_by, recorded_at FROM cloacina_workflows
		WHERE ?1 = '' OR name = ?1 ORDER BY name, recorded_at DESC, version`, name)
	if err != nil {
		return nil, fmt.Errorf("list workflow definitions: %w", err)
	}
	defer rows.Close()
	var out []*store.WorkflowRecord
	for rows.Next() {
		w := &store.WorkflowRecord{}
		var at int64
		if err := rows.Scan(&w.Name, &w.Version, &w.Definition, &w.RecordedBy, &at); err != nil {
			return nil, fmt.Errorf("list workflow definitions: %w", err)
		}
		w.RecordedAt = time.UnixMicro(at)
		out = append(out, w)
	}
	return out, rows.Err()
}
