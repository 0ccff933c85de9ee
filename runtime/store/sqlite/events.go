package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/internal/engine"
)

// ReadEvents implements store.Store. One writer at a time appends events,
// in every process sharing the file, so ids are in commit order and the
// cursor is the id alone. One statement reads the log's rows holding
// events after the cursor and the log's last event id, from one snapshot,
// so a filtered read that finds nothing still moves the cursor to the end.
// A row holds the events of one transaction and execution (see
// engine.PackEvents); the cursor can stand inside one, when a read filled
// its limit there.
func (s *Store) ReadEvents(ctx context.Context, p *store.ReadEventsParams) (*store.ReadEventsResult, error) {
	limit := p.EventLimit()
	args := []any{engine.RowStart(p.After.ID), p.After.ID}
	var where strings.Builder
	for _, f := range []struct{ col, val string }{
		{"ev.execution_id", p.ExecutionID}, {"e.workflow_name", p.WorkflowName}, {"ev.runner_id", p.RunnerID},
	} {
		if f.val != "" {
			args = append(args, f.val)
			fmt.Fprintf(&where, " AND %s = ?", f.col)
		}
	}
	args = append(args, limit)
	// The rows past RowStart(id) are those that can hold an event after
	// the cursor, found by the primary key; the second comparison keeps
	// those whose last event is after it.
	rows, err := s.readQuery(ctx, `SELECT h.head, ev.id, ev.execution_id, ev.runner_id, ev.at, ev.events,
			ev.workflow_name, ev.workflow_version
		FROM (SELECT COALESCE((`+lastEventSQL+`), 0) AS head) AS h
		LEFT JOIN (
			SELECT ev.*, e.workflow_name, e.workflow_version
			FROM cloacina_events AS ev JOIN cloacina_executions AS e ON e.id = ev.execution_id
			WHERE ev.id > ? AND ev.id + ev.n - 1 > ?`+where.String()+`
			ORDER BY ev.id LIMIT ?) AS ev ON 1
		ORDER BY ev.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	res := &store.ReadEventsResult{Next: store.Cursor{ID: p.After.ID}}
	var head int64
	filled := false // the limit was reached inside a row
	for rows.Next() {
		var id, at sql.NullInt64
		var exec, runner, events, wf, ver sql.NullString
		if err := rows.Scan(&head, &id, &exec, &runner, &at, &events, &wf, &ver); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		if !id.Valid || filled {
			continue
		}
		row := &store.Event{ID: id.Int64, ExecutionID: exec.String, RunnerID: runner.String, At: fromMicros(at),
			WorkflowName: wf.String, WorkflowVersion: ver.String}
		if res.Events, filled, err = engine.AppendEvents(res.Events, row, events.String, p.After, limit); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	if len(res.Events) > 0 {
		res.Next = res.Events[len(res.Events)-1].Cursor()
	}
	// Each row read holds an event after the cursor: fewer events than the
	// limit means every row the filter keeps was read, up to the head.
	if len(res.Events) < limit && res.Next.ID < head {
		res.Next.ID = head
	}
	return res, nil
}

// lastEventRowSQL is the largest row id the log ever held (AUTOINCREMENT
// keeps it in sqlite_sequence through purges), 0 for a log never written.
const lastEventRowSQL = `COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'cloacina_events'), 0)`

// lastEventSQL reads the id of the log's last event, the last of its last
// row.
const lastEventSQL = `SELECT id + n - 1 FROM cloacina_events ORDER BY id DESC LIMIT 1`

// EventCursor implements store.Store: the last event's id, with nothing to
// skip.
func (s *Store) EventCursor(ctx context.Context) (store.Cursor, []store.Cursor, error) {
	var head int64
	if err := s.readQueryRow(ctx, `SELECT COALESCE((`+lastEventSQL+`), 0)`).Scan(&head); err != nil {
		return store.Cursor{}, nil, fmt.Errorf("read the event log's end: %w", err)
	}
	return store.Cursor{ID: head}, nil, nil
}

// EventLogBound implements store.Store. Every row id is at most the
// largest one the log ever held, which AUTOINCREMENT keeps in
// sqlite_sequence through purges, and a row's events take ids below the
// next multiple of engine.EventStride. SQLite's events have Tx 0.
func (s *Store) EventLogBound(ctx context.Context) (store.Cursor, error) {
	var seq int64
	err := s.readQueryRow(ctx, `SELECT `+lastEventRowSQL).Scan(&seq)
	if err != nil {
		return store.Cursor{}, fmt.Errorf("read the event log's bound: %w", err)
	}
	return store.Cursor{ID: seq + engine.EventStride}, nil
}
