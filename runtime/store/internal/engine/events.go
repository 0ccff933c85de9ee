package engine

import (
	"encoding/json"
	"fmt"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// The event log is stored packed: one row of cloacina_events holds the
// events one transaction appended to one execution, in order. A task's
// claim and its outcome are each one event, and a transaction that claims
// or records many tasks of an execution (a wide fan-out, a batch of small
// executions) wrote a row for each; packed, it writes one per execution,
// and a row, not its bytes, is what the write costs.
//
// Each event keeps an id of its own, as the log's cursors need: a row's
// events are numbered from the row's id, the first event taking the id
// itself. Row ids are multiples of EventStride, so a row holds at most
// EventStride events, and the events of rows stored before the log was
// packed (one event each) keep their ids.

// EventStride is the distance between the ids of two packed rows, and the
// most events one row holds.
const EventStride = 1 << 16

// EventRow is one stored row of the log: the events of one execution,
// appended by one transaction.
type EventRow struct {
	Exec string
	// Events is the row's events, encoded by PackEvents.
	Events string
	// N is how many events the row holds.
	N int
}

// packedEvent is one event inside a row. The field names are short: they
// repeat in every event stored.
type packedEvent struct {
	Task    string `json:"t,omitempty"`
	Kind    string `json:"k"`
	Attempt int    `json:"a,omitempty"`
	Message string `json:"m,omitempty"`
}

// PackEvents groups events into rows: by execution, in the order each
// execution first appears, each row keeping its events' order and holding
// at most EventStride of them.
func PackEvents(events []Event) ([]EventRow, error) {
	type group struct {
		exec   string
		events []packedEvent
	}
	var groups []*group
	open := map[string]*group{} // the group of each execution still taking events
	for _, e := range events {
		g := open[e.Exec]
		if g == nil || len(g.events) == EventStride {
			g = &group{exec: e.Exec}
			groups = append(groups, g)
			open[e.Exec] = g
		}
		g.events = append(g.events, packedEvent{Task: e.Task, Kind: e.Kind, Attempt: e.Attempt, Message: e.Message})
	}
	rows := make([]EventRow, len(groups))
	for i, g := range groups {
		b, err := json.Marshal(g.events)
		if err != nil {
			return nil, fmt.Errorf("encode the events of %s: %w", g.exec, err)
		}
		rows[i] = EventRow{Exec: g.exec, Events: string(b), N: len(g.events)}
	}
	return rows, nil
}

// UnpackEvents decodes the events of a stored row. row carries what its
// events share (the row's id, which is its first event's, and its
// transaction, execution, runner, time and workflow); each event is a
// copy of it with its own id, task, kind, attempt and message.
func UnpackEvents(row *store.Event, events string) ([]*store.Event, error) {
	var pe []packedEvent
	if err := json.Unmarshal([]byte(events), &pe); err != nil {
		return nil, fmt.Errorf("decode the events of row %d of the event log: %w", row.ID, err)
	}
	out := make([]*store.Event, len(pe))
	for i, p := range pe {
		e := *row
		e.ID += int64(i)
		e.TaskID, e.Kind, e.Attempt, e.Message = p.Task, p.Kind, p.Attempt, p.Message
		out[i] = &e
	}
	return out, nil
}

// RowStart is the id below which no row holds an event after id: the
// rows to read from a cursor at id are those past (its Tx, RowStart(id)).
func RowStart(id int64) int64 { return id - EventStride }

// AppendEvents decodes a row read from cursor after and appends to dst its
// events after the cursor, until dst holds limit events. filled reports
// that the limit was reached before the row's last event: the read must
// stop there, and the cursor stays inside the row.
func AppendEvents(dst []*store.Event, row *store.Event, events string, after store.Cursor, limit int) (out []*store.Event, filled bool, err error) {
	es, err := UnpackEvents(row, events)
	if err != nil {
		return dst, false, err
	}
	for _, e := range es {
		if !after.Less(e.Cursor()) {
			continue // read before, in the row the cursor stands in
		}
		if len(dst) == limit {
			return dst, true, nil
		}
		dst = append(dst, e)
	}
	return dst, false, nil
}
