package engine

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// TestPackEvents: rows by execution in the order each first appears, each
// in its events' order, and back again with ids numbered from the row's.
func TestPackEvents(t *testing.T) {
	in := []Event{
		{Exec: "e2", Task: "a", Kind: store.EventTaskStarted, Attempt: 1},
		{Exec: "e1", Kind: store.EventExecutionCreated},
		{Exec: "e2", Task: "b", Kind: store.EventTaskRetrying, Attempt: 2, Message: `boom "x"`},
		{Exec: "e1", Task: "a", Kind: store.EventTaskStarted, Attempt: 1},
	}
	rows, err := PackEvents(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []EventRow{
		{Exec: "e2", N: 2, Events: `[{"t":"a","k":"task_started","a":1},{"t":"b","k":"task_retrying","a":2,"m":"boom \"x\""}]`},
		{Exec: "e1", N: 2, Events: `[{"k":"execution_created"},{"t":"a","k":"task_started","a":1}]`},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("PackEvents = %+v\nwant %+v", rows, want)
	}
	row := &store.Event{ID: 3 * EventStride, Tx: 7, ExecutionID: "e2", RunnerID: "r1", WorkflowName: "w"}
	got, err := UnpackEvents(row, rows[0].Events)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range got {
		if e.ID != row.ID+int64(i) || e.Tx != 7 || e.ExecutionID != "e2" || e.RunnerID != "r1" || e.WorkflowName != "w" ||
			e.TaskID != in[2*i].Task || e.Kind != in[2*i].Kind || e.Attempt != in[2*i].Attempt || e.Message != in[2*i].Message {
			t.Fatalf("event %d unpacked = %+v, want %+v with the row's fields and id %d", i, e, in[2*i], row.ID+int64(i))
		}
	}
	if len(got) != 2 {
		t.Fatalf("unpacked %d events, want 2", len(got))
	}
}

// TestPackEventsSplitsAtStride: an execution's events beyond EventStride
// go on in a row of their own, after the rows opened before.
func TestPackEventsSplitsAtStride(t *testing.T) {
	in := []Event{{Exec: "e0", Kind: "k"}}
	for i := range EventStride + 1 {
		in = append(in, Event{Exec: "e1", Kind: "k", Attempt: i})
	}
	in = append(in, Event{Exec: "e0", Kind: "k"})
	rows, err := PackEvents(in)
	if err != nil {
		t.Fatal(err)
	}
	var shape []string
	for _, r := range rows {
		shape = append(shape, fmt.Sprintf("%s:%d", r.Exec, r.N))
	}
	if want := []string{"e0:2", "e1:65536", "e1:1"}; !reflect.DeepEqual(shape, want) {
		t.Fatalf("rows = %v, want %v", shape, want)
	}
	if !strings.Contains(rows[2].Events, fmt.Sprintf(`"a":%d`, EventStride)) {
		t.Fatalf("the last row = %s, want the last event", rows[2].Events)
	}
}

// TestAppendEvents: only events after the cursor, and no more than the
// limit, saying when it stopped inside the row.
func TestAppendEvents(t *testing.T) {
	rows, err := PackEvents([]Event{{Exec: "e", Kind: "a"}, {Exec: "e", Kind: "b"}, {Exec: "e", Kind: "c"}, {Exec: "e", Kind: "d"}})
	if err != nil {
		t.Fatal(err)
	}
	row := &store.Event{ID: EventStride, Tx: 5}
	for _, tc := range []struct {
		after  store.Cursor
		limit  int
		want   string
		filled bool
	}{
		{store.Cursor{}, 10, "abcd", false},
		{store.Cursor{Tx: 5, ID: EventStride}, 10, "bcd", false},
		{store.Cursor{Tx: 5, ID: EventStride}, 2, "bc", true},
		{store.Cursor{Tx: 5, ID: EventStride + 1}, 2, "cd", false},
		{store.Cursor{Tx: 5, ID: EventStride + 3}, 2, "", false},
	} {
		got, filled, err := AppendEvents(nil, row, rows[0].Events, tc.after, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		kinds := ""
		for _, e := range got {
			kinds += e.Kind
		}
		if kinds != tc.want || filled != tc.filled {
			t.Errorf("AppendEvents after %+v, limit %d = %q, filled %v; want %q, %v", tc.after, tc.limit, kinds, filled, tc.want, tc.filled)
		}
	}
	if _, err := UnpackEvents(row, `[{"k":`); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("row %d", EventStride)) {
		t.Fatalf("UnpackEvents of a damaged row: %v, want an error naming the row", err)
	}
}
