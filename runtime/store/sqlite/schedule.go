package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// scheduleColumns are the columns scanSchedule reads.
const scheduleColumns = `name, kind, workflow_name, spec, origin, paused, disabled, next_at, last_at, last_execution,
	buffered_at, skipped_overlap, skipped_catchup, lease_owner, lease_until, revision, created_at, updated_at`

func scanSchedule(sc interface{ Scan(...any) error }) (*store.Schedule, error) {
	s := &store.Schedule{}
	var next, last, buffered, lease sql.NullInt64
	var created, updated int64
	if err := sc.Scan(&s.Name, &s.Kind, &s.Workflow, &s.Spec, &s.Origin, &s.Paused, &s.Disabled, &next, &last,
		&s.LastExecution, &buffered, &s.SkippedOverlap, &s.SkippedCatchup, &s.LeaseOwner, &lease, &s.Revision,
		&created, &updated); err != nil {
		return nil, err
	}
	s.NextAt, s.LastAt, s.BufferedAt, s.LeaseUntil = fromMicros(next), fromMicros(last), fromMicros(buffered), fromMicros(lease)
	s.CreatedAt, s.UpdatedAt = time.UnixMicro(created), time.UnixMicro(updated)
	return s, nil
}

// micros is a time column's value: NULL for the zero time.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// InsertSchedule implements engine.Tx.
func (t *tx) InsertSchedule(s *store.Schedule) error {
	rows, err := t.query(`INSERT INTO cloacina_schedules (name, kind, workflow_name, spec, origin, paused, disabled,
			next_at, last_at, last_execution, buffered_at, skipped_overlap, skipped_catchup, lease_owner, lease_until,
			revision, created_at, updated_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 1, ?16, ?16)
		ON CONFLICT (name) DO NOTHING RETURNING revision`,
		s.Name, s.Kind, s.Workflow, s.Spec, s.Origin, s.Paused, s.Disabled, micros(s.NextAt), micros(s.LastAt),
		s.LastExecution, micros(s.BufferedAt), s.SkippedOverlap, s.SkippedCatchup, s.LeaseOwner, micros(s.LeaseUntil), t.now)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("%s: %w", s.Name, store.ErrScheduleExists)
	}
	if err := rows.Scan(&s.Revision); err != nil {
		return err
	}
	s.CreatedAt, s.UpdatedAt = time.UnixMicro(t.now), time.UnixMicro(t.now)
	return rows.Close()
}

// UpdateSchedule implements engine.Tx.
func (t *tx) UpdateSchedule(s *store.Schedule, rev int64) (bool, error) {
	var created int64
	err := t.queryRow(`UPDATE cloacina_schedules SET kind = ?3, workflow_name = ?4, spec = ?5, origin = ?6, paused = ?7,
			disabled = ?8, next_at = ?9, last_at = ?10, last_execution = ?11, buffered_at = ?12, skipped_overlap = ?13,
			skipped_catchup = ?14, lease_owner = ?15, lease_until = ?16, revision = revision + 1, updated_at = ?17
		WHERE name = ?1 AND revision = ?2 RETURNING revision, created_at`,
		s.Name, rev, s.Kind, s.Workflow, s.Spec, s.Origin, s.Paused, s.Disabled, micros(s.NextAt), micros(s.LastAt),
		s.LastExecution, micros(s.BufferedAt), s.SkippedOverlap, s.SkippedCatchup, s.LeaseOwner, micros(s.LeaseUntil),
		t.now).Scan(&s.Revision, &created)
	if errors.Is(err, sql.ErrNoRows) {
		var one int
		if err := t.queryRow(`SELECT 1 FROM cloacina_schedules WHERE name = ?`, s.Name).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return false, fmt.Errorf("%s: %w", s.Name, store.ErrScheduleNotFound)
		} else if err != nil {
			return false, err
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	s.CreatedAt, s.UpdatedAt = time.UnixMicro(created), time.UnixMicro(t.now)
	return true, nil
}

// DeleteSchedule implements engine.Tx.
func (t *tx) DeleteSchedule(name string) (bool, error) {
	if _, err := t.exec(`DELETE FROM cloacina_schedule_fires WHERE schedule_name = ?`, name); err != nil {
		return false, err
	}
	res, err := t.exec(`DELETE FROM cloacina_schedules WHERE name = ?`, name)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// UnfinishedDedupe implements engine.Tx.
func (t *tx) UnfinishedDedupe(name string, hashes []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := t.eachRows(func(r *sql.Rows) error {
		var h string
		if err := r.Scan(&h); err != nil {
			return err
		}
		out[h] = true
		return nil
	}, `SELECT DISTINCT f.dedupe FROM cloacina_schedule_fires f JOIN cloacina_executions e ON e.id = f.execution_id
		WHERE f.schedule_name = ?1 AND e.state IN ('pending', 'running', 'paused')
			AND f.dedupe IN (SELECT column1 FROM (VALUES {rows}))`, []any{name}, listRows(hashes))
	return out, err
}

// InsertFires implements engine.Tx.
func (t *tx) InsertFires(name string, fires []*store.Fire) ([]bool, error) {
	out := make([]bool, len(fires))
	for i, f := range fires {
		res, err := t.exec(`INSERT INTO cloacina_schedule_fires (schedule_name, scheduled_at, kind, outcome, execution_id, dedupe, fired_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			name, f.ScheduledAt.UnixMicro(), f.Kind, f.Outcome, f.ExecutionID, f.Dedupe, t.now)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		out[i] = n > 0
		f.FiredAt = time.UnixMicro(t.now)
	}
	return out, nil
}

// GetSchedule implements store.Store.
func (s *Store) GetSchedule(ctx context.Context, name string) (*store.Schedule, error) {
	sc, err := scanSchedule(s.readQueryRow(ctx, `SELECT `+scheduleColumns+` FROM cloacina_schedules WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("schedule %s: %w", name, store.ErrScheduleNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get schedule %s: %w", name, err)
	}
	return sc, nil
}

// ListSchedules implements store.Store.
func (s *Store) ListSchedules(ctx context.Context) ([]*store.Schedule, error) {
	rows, err := s.readQuery(ctx, `SELECT `+scheduleColumns+` FROM cloacina_schedules ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	defer rows.Close()
	var out []*store.Schedule
	for rows.Next() {
		sc, err := scanSchedule(rows)
		if err != nil {
			return nil, fmt.Errorf("list schedules: %w", err)
		}
		out = append(out, sc)
	}
	return out, rows.Err()
}

// ListFires implements store.Store.
func (s *Store) ListFires(ctx context.Context, name string, limit int) ([]*store.Fire, error) {
	rows, err := s.readQuery(ctx, `SELECT schedule_name, scheduled_at, kind, outcome, execution_id, dedupe, fired_at
		FROM cloacina_schedule_fires WHERE schedule_name = ? ORDER BY scheduled_at DESC LIMIT ?`, name, limit)
	if err != nil {
		return nil, fmt.Errorf("list fires of %s: %w", name, err)
	}
	defer rows.Close()
	var out []*store.Fire
	for rows.Next() {
		f := &store.Fire{}
		var at, fired int64
		if err := rows.Scan(&f.Schedule, &at, &f.Kind, &f.Outcome, &f.ExecutionID, &f.Dedupe, &fired); err != nil {
			return nil, fmt.Errorf("list fires of %s: %w", name, err)
		}
		f.ScheduledAt, f.FiredAt = time.UnixMicro(at), time.UnixMicro(fired)
		out = append(out, f)
	}
	return out, rows.Err()
}
