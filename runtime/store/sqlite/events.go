package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// ReadEvents implements store.Store. One writer at a time appends events,
// in every process sharing the file, so ids are in commit order and the
// cursor is the id alone. One statement reads the events and the log's
// last id, from one snapshot, so a filtered read that finds nothing still
// moves the cursor to the end.
func (s *Store) ReadEvents(ctx context.Context, p *store.ReadEventsParams) (*store.ReadEventsResult, error) {
	limit := p.EventLimit()
	args := []any{p.After.ID}
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
	rows, err := s.readQuery(ctx, `SELECT h.head, ev.id, ev.execution_id, ev.task_id, ev.kind, ev.attempt, ev.runner_id,
			ev.message, ev.at, ev.workflow_name, ev.workflow_version
		FROM (SELECT COALESCE(MAX(id), 0) AS head FROM cloacina_events) AS h
		LEFT JOIN (
			SELECT ev.*, e.workflow_name, e.workflow_version
			FROM cloacina_events AS ev JOIN cloacina_executions AS e ON e.id = ev.execution_id
			WHERE ev.id > ?`+where.String()+`
			ORDER BY ev.id LIMIT ?) AS ev ON 1
		ORDER BY ev.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	res := &store.ReadEventsResult{Next: store.Cursor{ID: p.After.ID}}
	var head int64
	for rows.Next() {
		var id, at sql.NullInt64
		var exec, task, kind, runner, msg, wf, ver sql.NullString
		var attempt sql.NullInt64
		if err := rows.Scan(&head, &id, &exec, &task, &kind, &attempt, &runner, &msg, &at, &wf, &ver); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		if !id.Valid {
			continue
		}
		e := &store.Event{ID: id.Int64, ExecutionID: exec.String, TaskID: task.String, Kind: kind.String,
			Attempt: int(attempt.Int64), RunnerID: runner.String, Message: msg.String, At: fromMicros(at),
			WorkflowName: wf.String, WorkflowVersion: ver.String}
		res.Events = append(res.Events, e)
		res.Next = e.Cursor()
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	if len(res.Events) < limit && res.Next.ID < head {
		res.Next.ID = head
	}
	return res, nil
}

// EventCursor implements store.Store: the last id, with nothing to skip.
func (s *Store) EventCursor(ctx context.Context) (store.Cursor, []store.Cursor, error) {
	var head int64
	if err := s.readQueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM cloacina_events`).Scan(&head); err != nil {
		return store.Cursor{}, nil, fmt.Errorf("read the event log's end: %w", err)
	}
	return store.Cursor{ID: head}, nil, nil
}
