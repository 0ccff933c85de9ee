package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// scheduleColumns are the columns scanSchedule reads.
const scheduleColumns = `name, kind, workflow_name, spec::text, origin, paused, disabled, next_at, last_at, last_execution,
	buffered_at, skipped_overlap, skipped_catchup, lease_owner, lease_until, revision, created_at, updated_at`

func scanSchedule(row pgx.Row) (*store.Schedule, error) {
	s := &store.Schedule{}
	var spec string
	var next, last, buffered, lease *time.Time
	if err := row.Scan(&s.Name, &s.Kind, &s.Workflow, &spec, &s.Origin, &s.Paused, &s.Disabled, &next, &last,
		&s.LastExecution, &buffered, &s.SkippedOverlap, &s.SkippedCatchup, &s.LeaseOwner, &lease, &s.Revision,
		&s.CreatedAt, &s.UpdatedAt); err != nil {
		return nil, err
	}
	s.Spec = []byte(spec)
	s.NextAt, s.LastAt, s.BufferedAt, s.LeaseUntil = orZero(next), orZero(last), orZero(buffered), orZero(lease)
	return s, nil
}

// timeArg is a time column's value: NULL for the zero time.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// scheduleArgs are the values of a schedule's columns from kind on, as $3
// to $16 of InsertSchedule and UpdateSchedule.
func scheduleArgs(s *store.Schedule) []any {
	return []any{s.Kind, s.Workflow, string(s.Spec), s.Origin, s.Paused, s.Disabled, timeArg(s.NextAt), timeArg(s.LastAt),
		s.LastExecution, timeArg(s.BufferedAt), s.SkippedOverlap, s.SkippedCatchup, s.LeaseOwner, timeArg(s.LeaseUntil)}
}

// InsertSchedule implements engine.Tx.
func (t *tx) InsertSchedule(s *store.Schedule) error {
	found := false
	args := append([]any{t.now, s.Name}, scheduleArgs(s)...)
	err := t.query(func(r pgx.Rows) error {
		found = true
		return r.Scan(&s.Revision, &s.CreatedAt)
	}, `INSERT INTO cloacina_schedules (name, kind, workflow_name, spec, origin, paused, disabled, next_at, last_at,
			last_execution, buffered_at, skipped_overlap, skipped_catchup, lease_owner, lease_until, revision,
			created_at, updated_at)
		VALUES ($2, $3, $4, $5::json, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1, `+nowSQL+`, `+nowSQL+`)
		ON CONFLICT (name) DO NOTHING RETURNING revision, created_at`, args...)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%s: %w", s.Name, store.ErrScheduleExists)
	}
	s.UpdatedAt = s.CreatedAt
	return nil
}

// UpdateSchedule implements engine.Tx.
func (t *tx) UpdateSchedule(s *store.Schedule, rev int64) (bool, error) {
	found, applied := false, false
	args := append([]any{t.now, s.Name}, scheduleArgs(s)...)
	args = append(args, rev)
	// One statement answers both questions: the CTE updates the row if it
	// is at rev, the outer query says whether the name exists at all.
	err := t.query(func(r pgx.Rows) error {
		found = true
		var rv *int64
		var created, updated *time.Time
		if err := r.Scan(&rv, &created, &updated); err != nil {
			return err
		}
		if rv != nil {
			applied = true
			s.Revision, s.CreatedAt, s.UpdatedAt = *rv, *created, *updated
		}
		return nil
	}, `WITH upd AS (
			UPDATE cloacina_schedules SET kind = $3, workflow_name = $4, spec = $5::json, origin = $6, paused = $7,
				disabled = $8, next_at = $9, last_at = $10, last_execution = $11, buffered_at = $12,
				skipped_overlap = $13, skipped_catchup = $14, lease_owner = $15, lease_until = $16,
				revision = revision + 1, updated_at = `+nowSQL+`
			WHERE name = $2 AND revision = $17
			RETURNING revision, created_at, updated_at)
		SELECT upd.revision, upd.created_at, upd.updated_at FROM cloacina_schedules s LEFT JOIN upd ON true
		WHERE s.name = $2`, args...)
	if err != nil {
		return false, err
	}
	if !found {
		return false, fmt.Errorf("%s: %w", s.Name, store.ErrScheduleNotFound)
	}
	return applied, nil
}

// DeleteSchedule implements engine.Tx.
func (t *tx) DeleteSchedule(name string) (bool, error) {
	t.later(`DELETE FROM cloacina_schedule_fires WHERE schedule_name = $1`, name)
	n, err := t.exec(`DELETE FROM cloacina_schedules WHERE name = $1`, name)
	return n > 0, err
}

// UnfinishedDedupe implements engine.Tx.
func (t *tx) UnfinishedDedupe(name string, hashes []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := t.query(func(r pgx.Rows) error {
		var h string
		if err := r.Scan(&h); err != nil {
			return err
		}
		out[h] = true
		return nil
	}, `SELECT DISTINCT f.dedupe FROM cloacina_schedule_fires f JOIN cloacina_executions e ON e.id = f.execution_id
		WHERE f.schedule_name = $1 AND f.dedupe = ANY($2) AND e.state IN ('pending', 'running', 'paused')`, name, hashes)
	return out, err
}

// InsertFires implements engine.Tx.
func (t *tx) InsertFires(name string, fires []*store.Fire) ([]bool, error) {
	n := len(fires)
	at, kinds, outcomes, execs, dedupes := make([]time.Time, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, f := range fires {
		at[i], kinds[i], outcomes[i], execs[i], dedupes[i] = f.ScheduledAt, f.Kind, f.Outcome, f.ExecutionID, f.Dedupe
	}
	inserted := map[int64]time.Time{}
	err := t.query(func(r pgx.Rows) error {
		var at, fired time.Time
		if err := r.Scan(&at, &fired); err != nil {
			return err
		}
		inserted[at.UnixMicro()] = fired
		return nil
	}, `INSERT INTO cloacina_schedule_fires (schedule_name, scheduled_at, kind, outcome, execution_id, dedupe, fired_at)
		SELECT $2, a, k, o, e, d, `+nowSQL+` FROM unnest($3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[])
			WITH ORDINALITY AS u(a, k, o, e, d, n) ORDER BY n
		ON CONFLICT DO NOTHING RETURNING scheduled_at, fired_at`, t.now, name, at, kinds, outcomes, execs, dedupes)
	if err != nil {
		return nil, err
	}
	out := make([]bool, n)
	for i, f := range fires {
		if fired, ok := inserted[f.ScheduledAt.UnixMicro()]; ok {
			out[i], f.FiredAt = true, fired
			delete(inserted, f.ScheduledAt.UnixMicro()) // the same time twice in one call: the first one
		}
	}
	return out, nil
}

// GetSchedule implements store.Store.
func (s *Store) GetSchedule(ctx context.Context, name string) (*store.Schedule, error) {
	sc, err := scanSchedule(s.pool.QueryRow(ctx, s.q(`SELECT `+scheduleColumns+` FROM cloacina_schedules WHERE name = $1`), name))
	if isNoRows(err) {
		return nil, fmt.Errorf("schedule %s: %w", name, store.ErrScheduleNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get schedule %s: %w", name, err)
	}
	return sc, nil
}

// ListSchedules implements store.Store.
func (s *Store) ListSchedules(ctx context.Context) ([]*store.Schedule, error) {
	rows, err := s.pool.Query(ctx, s.q(`SELECT `+scheduleColumns+` FROM cloacina_schedules ORDER BY name`))
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	var out []*store.Schedule
	err = readAll(rows, func(r pgx.Rows) error {
		sc, err := scanSchedule(r)
		out = append(out, sc)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	return out, nil
}

// ListFires implements store.Store.
func (s *Store) ListFires(ctx context.Context, name string, limit int) ([]*store.Fire, error) {
	rows, err := s.pool.Query(ctx, s.q(`SELECT schedule_name, scheduled_at, kind, outcome, execution_id, dedupe, fired_at
		FROM cloacina_schedule_fires WHERE schedule_name = $1 ORDER BY scheduled_at DESC LIMIT $2`), name, limit)
	if err != nil {
		return nil, fmt.Errorf("list fires of %s: %w", name, err)
	}
	var out []*store.Fire
	err = readAll(rows, func(r pgx.Rows) error {
		f := &store.Fire{}
		out = append(out, f)
		return r.Scan(&f.Schedule, &f.ScheduledAt, &f.Kind, &f.Outcome, &f.ExecutionID, &f.Dedupe, &f.FiredAt)
	})
	if err != nil {
		return nil, fmt.Errorf("list fires of %s: %w", name, err)
	}
	return out, nil
}
