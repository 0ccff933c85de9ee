package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/internal/engine"
)

// ReadEvents implements store.Store. One statement reads the snapshot's
// xmin and the rows of the log holding events after the cursor, in (tx,
// id) order, so both come from the same snapshot. Events of transactions
// older than xmin are final: each such transaction has ended, and any that
// starts later gets a larger id. The first row of a younger transaction
// (committed, but behind one still open) stops the read, and the result
// says so; the cursor then moves to (xmin, 0), past every final event.
// A row holds the events of one transaction and execution (see
// engine.PackEvents); the cursor can stand inside one, when a read filled
// its limit there.
func (s *Store) ReadEvents(ctx context.Context, p *store.ReadEventsParams) (*store.ReadEventsResult, error) {
	limit := p.EventLimit()
	args := []any{strconv.FormatUint(p.After.Tx, 10), p.After.ID, engine.RowStart(p.After.ID), limit}
	var where strings.Builder
	for _, f := range []struct{ col, val string }{
		{"ev.execution_id", p.ExecutionID}, {"e.workflow_name", p.WorkflowName}, {"ev.runner_id", p.RunnerID},
	} {
		if f.val != "" {
			args = append(args, f.val)
			fmt.Fprintf(&where, " AND %s = $%d", f.col, len(args))
		}
	}
	// The rows past (tx, RowStart(id)) are those that can hold an event
	// after the cursor, found by the index; the second comparison keeps
	// those whose last event is after it.
	rows, err := s.pool.Query(ctx, s.q(`SELECT s.xmin::text, ev.id, ev.tx::text, ev.execution_id, ev.runner_id,
			ev.at, ev.events, ev.workflow_name, ev.workflow_version
		FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) AS s
		LEFT JOIN LATERAL (
			SELECT ev.*, e.workflow_name, e.workflow_version
			FROM cloacina_events AS ev JOIN cloacina_executions AS e ON e.id = ev.execution_id
			WHERE (ev.tx, ev.id) > ($1::text::xid8, $3) AND (ev.tx, ev.id + ev.n - 1) > ($1::text::xid8, $2)`+where.String()+`
			ORDER BY ev.tx, ev.id LIMIT $4) AS ev ON true
		ORDER BY ev.tx, ev.id`), args...)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	res := &store.ReadEventsResult{Next: p.After}
	var xmin uint64
	n := 0          // rows read
	filled := false // the limit was reached inside a row
	for rows.Next() {
		var xminText string
		var id *int64
		var tx, exec, runner, events, wf, ver *string
		var at *time.Time
		if err := rows.Scan(&xminText, &id, &tx, &exec, &runner, &at, &events, &wf, &ver); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		if xmin, err = strconv.ParseUint(xminText, 10, 64); err != nil {
			return nil, fmt.Errorf("read events: snapshot xmin %q: %w", xminText, err)
		}
		if id == nil { // no event after the cursor: the one row of the left join
			continue
		}
		n++
		if res.Held || filled {
			continue
		}
		row := &store.Event{ID: *id, ExecutionID: *exec, RunnerID: *runner, At: *at, WorkflowName: *wf, WorkflowVersion: *ver}
		if row.Tx, err = strconv.ParseUint(*tx, 10, 64); err != nil {
			return nil, fmt.Errorf("read events: transaction id %q: %w", *tx, err)
		}
		if row.Tx >= xmin {
			res.Held = true
			continue
		}
		if res.Events, filled, err = engine.AppendEvents(res.Events, row, *events, p.After, limit); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	if len(res.Events) > 0 {
		res.Next = res.Events[len(res.Events)-1].Cursor()
	}
	// Every final event after the cursor that the filter keeps was read:
	// the cursor may skip to the first one that is not final.
	if head := (store.Cursor{Tx: xmin}); !filled && (res.Held || n < limit) && res.Next.Less(head) {
		res.Next = head
	}
	return res, nil
}

// EventCursor implements store.Store: (xmin, 0) of a snapshot, before
// every event of a transaction still open and after every other, and the
// events of that snapshot after it, committed by transactions younger than
// the oldest one open. One statement reads both from one snapshot.
func (s *Store) EventCursor(ctx context.Context) (store.Cursor, []store.Cursor, error) {
	rows, err := s.pool.Query(ctx, s.q(`SELECT s.xmin::text, ev.tx::text, ev.id, ev.n
		FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) AS s
		LEFT JOIN cloacina_events AS ev ON ev.tx >= s.xmin
		ORDER BY ev.tx, ev.id`))
	if err != nil {
		return store.Cursor{}, nil, fmt.Errorf("read the event log's end: %w", err)
	}
	defer rows.Close()
	var head store.Cursor
	var stored []store.Cursor
	for rows.Next() {
		var xmin string
		var tx *string
		var id *int64
		var n *int
		if err := rows.Scan(&xmin, &tx, &id, &n); err != nil {
			return store.Cursor{}, nil, fmt.Errorf("read the event log's end: %w", err)
		}
		if head.Tx, err = strconv.ParseUint(xmin, 10, 64); err != nil {
			return store.Cursor{}, nil, fmt.Errorf("read the event log's end: snapshot xmin %q: %w", xmin, err)
		}
		if tx == nil {
			continue
		}
		c := store.Cursor{ID: *id}
		if c.Tx, err = strconv.ParseUint(*tx, 10, 64); err != nil {
			return store.Cursor{}, nil, fmt.Errorf("read the event log's end: transaction id %q: %w", *tx, err)
		}
		for i := range *n { // each event of the row
			stored = append(stored, store.Cursor{Tx: c.Tx, ID: c.ID + int64(i)})
		}
	}
	if err := rows.Err(); err != nil {
		return store.Cursor{}, nil, fmt.Errorf("read the event log's end: %w", err)
	}
	return head, stored, nil
}

// EventLogBound implements store.Store: a snapshot's xmax, the first
// transaction id not yet assigned (a reader's position may reach it, an
// event's transaction is below it), and the events' row sequence past its
// last value by engine.EventStride, beyond the ids of a row's events. The
// rows stored before the log was packed have ids below the sequence's
// start.
func (s *Store) EventLogBound(ctx context.Context) (store.Cursor, error) {
	var xmax string
	var last int64
	err := s.pool.QueryRow(ctx, s.q(`SELECT pg_snapshot_xmax(pg_current_snapshot())::text, last_value FROM cloacina_events_row`)).Scan(&xmax, &last)
	if err != nil {
		return store.Cursor{}, fmt.Errorf("read the event log's bound: %w", err)
	}
	tx, err := strconv.ParseUint(xmax, 10, 64)
	if err != nil {
		return store.Cursor{}, fmt.Errorf("read the event log's bound: snapshot xmax %q: %w", xmax, err)
	}
	return store.Cursor{Tx: tx, ID: last + engine.EventStride}, nil
}
