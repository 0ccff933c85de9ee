package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/internal/engine"
)

// SaveWorkflows implements engine.Tx (deferred).
func (t *tx) SaveWorkflows(recs []*store.WorkflowRecord) error {
	n := len(recs)
	names, versions, defs := make([]string, n), make([]string, n), make([]string, n)
	for i, r := range recs {
		names[i], versions[i], defs[i] = r.Name, r.Version, string(r.Definition)
	}
	t.later(`INSERT INTO cloacina_workflows (name, version, definition, recorded_by, recorded_at)
		SELECT u.n, u.v, u.d::json, $5, `+nowSQL+` FROM unnest($2::text[], $3::text[], $4::text[]) AS u(n, v, d)
		ON CONFLICT (name, version) DO UPDATE SET definition = EXCLUDED.definition, recorded_by = EXCLUDED.recorded_by,
			recorded_at = EXCLUDED.recorded_at`, t.now, names, versions, defs, t.runner)
	return nil
}

// RetryInfo implements engine.Tx: the task rows are locked in id order,
// then the execution row (see Lock order).
func (t *tx) RetryInfo(exec string) (*engine.RetryInfo, error) {
	info := &engine.RetryInfo{}
	err := t.query(func(r pgx.Rows) error {
		rt, err := engine.ScanRetryTask(r.Scan)
		if err == nil {
			info.Tasks = append(info.Tasks, rt)
		}
		return err
	}, `WITH lk AS MATERIALIZED (SELECT t.id FROM cloacina_tasks t WHERE t.execution_id = $1 ORDER BY t.id FOR UPDATE)
		SELECT `+taskRowColumns+`, t.state, t.skip_reason FROM cloacina_tasks t JOIN lk ON lk.id = t.id ORDER BY t.position`, exec)
	if err != nil {
		return nil, err
	}
	found := false
	err = t.query(func(r pgx.Rows) error {
		found = true
		return r.Scan(&info.State, &info.Error)
	}, `SELECT state, error FROM cloacina_executions WHERE id = $1 FOR UPDATE`, exec)
	if err == nil && !found {
		return nil, fmt.Errorf("execution %s: %w", exec, store.ErrNotFound)
	}
	return info, err
}

// ResetTasks implements engine.Tx (deferred).
func (t *tx) ResetTasks(ids []int64, pending []int) error {
	ps := make([]int32, len(pending))
	for i, p := range pending {
		ps[i] = int32(p)
	}
	t.later(`UPDATE cloacina_tasks AS t SET state = 'not_started', pending_deps = d.p, held = false, attempt = 0,
			recoveries = 0, retry_at = NULL, ready_at = NULL, claimed_by = NULL, heartbeat_at = NULL, input = NULL, input_refs = NULL,
			output = NULL, output_refs = NULL, error = '', error_detail = '', skip_reason = '', started_at = NULL,
			completed_at = NULL
		FROM unnest($1::bigint[], $2::int[]) AS d(id, p) WHERE t.id = d.id`, ids, ps)
	return nil
}

// ReopenExecution implements engine.Tx.
func (t *tx) ReopenExecution(exec string, leaves int) (bool, error) {
	n, err := t.exec(`UPDATE cloacina_executions SET
			state = CASE WHEN started_at IS NULL THEN 'pending' ELSE 'running' END,
			error = '', completed_at = NULL, tasks_failed = 0, leaves_remaining = $2,
			deadline_at = `+nowSQL+` + (deadline_at - created_at)
		WHERE id = $3 AND state IN ('failed', 'cancelled')`, t.now, int32(leaves), exec)
	return n > 0, err
}

// PurgeExecutions implements engine.Tx in one statement: the batch is
// locked with SKIP LOCKED (an execution another transaction is changing,
// such as a retry, is left for the next batch) and re-checked terminal
// under the lock, and each table's rows are deleted by execution id.
func (t *tx) PurgeExecutions(states []store.ExecutionState, before time.Time, limit int) (int, error) {
	ss := make([]string, len(states))
	for i, s := range states {
		ss[i] = string(s)
	}
	var n int
	err := t.query(func(r pgx.Rows) error { return r.Scan(&n) }, `WITH b AS MATERIALIZED (
			SELECT id FROM cloacina_executions
			WHERE state IN ('completed', 'failed', 'cancelled') AND state = ANY($1) AND completed_at < $2
			ORDER BY completed_at LIMIT $3 FOR UPDATE SKIP LOCKED),
		ev AS (DELETE FROM cloacina_events e USING b WHERE e.execution_id = b.id),
		va AS (DELETE FROM cloacina_values v USING b WHERE v.execution_id = b.id),
		ta AS (DELETE FROM cloacina_tasks t USING b WHERE t.execution_id = b.id),
		fi AS (DELETE FROM cloacina_schedule_fires f USING b WHERE f.execution_id = b.id
			AND NOT EXISTS (SELECT 1 FROM cloacina_schedules s WHERE s.name = f.schedule_name AND s.last_execution = f.execution_id)),
		ex AS (DELETE FROM cloacina_executions e USING b WHERE e.id = b.id RETURNING 1)
		SELECT count(*) FROM ex`, ss, before, limit)
	return n, err
}

// AcquireLease implements engine.Tx.
func (t *tx) AcquireLease(p *store.LeaseParams) (bool, error) {
	held := false
	err := t.query(func(r pgx.Rows) error {
		var owner string
		err := r.Scan(&owner)
		held = owner == p.Owner
		return err
	}, `INSERT INTO cloacina_leases AS l (name, owner, lease_until)
		VALUES ($2, $3, `+nowSQL+` + $4 * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until
			WHERE l.owner = EXCLUDED.owner OR l.lease_until <= `+nowSQL+`
		RETURNING owner`, t.now, p.Name, p.Owner, p.TTL.Microseconds())
	return held, err
}

// ListWorkflows implements store.Store.
func (s *Store) ListWorkflows(ctx context.Context, name string) ([]*store.WorkflowRecord, error) {
	rows, err := s.pool.Query(ctx, s.q(`SELECT name, version, definition::text, recorded_by, recorded_at FROM cloacina_workflows
		WHERE $1 = '' OR name = $1 ORDER BY name, recorded_at DESC, version`), name)
	if err != nil {
		return nil, fmt.Errorf("list workflow definitions: %w", err)
	}
	defer rows.Close()
	var out []*store.WorkflowRecord
	for rows.Next() {
		w := &store.WorkflowRecord{}
		var def string
		if err := rows.Scan(&w.Name, &w.Version, &def, &w.RecordedBy, &w.RecordedAt); err != nil {
			return nil, fmt.Errorf("list workflow definitions: %w", err)
		}
		w.Definition = []byte(def)
		out = append(out, w)
	}
	return out, rows.Err()
}
