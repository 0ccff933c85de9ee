package storetest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// CheckUpgradedEvents checks the event log of execution e1 after a
// backend's upgrade test: the test stored, in the first schema, event 1
// (execution_created) and event 2 (task_completed of task a, attempt 1, by
// runner r0, message `done "a"`), upgraded the store, and ran e1's last
// task to the end. The two old events keep their ids and fields, and the
// run's three events come after them, in order.
func CheckUpgradedEvents(t *testing.T, s store.Store) {
	t.Helper()
	events, err := s.ListEvents(context.Background(), "e1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, fmt.Sprintf("%d %s %s %d %s %q", e.ID, e.Kind, e.TaskID, e.Attempt, e.RunnerID, e.Message))
	}
	want := []string{`1 execution_created  0  ""`, `2 task_completed a 1 r0 "done \"a\""`}
	if len(got) != 5 || !reflect.DeepEqual(got[:2], want) {
		t.Fatalf("events after the upgrade:\n%s\nwant the first two\n%s\nand 3 more", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i, kind := range []string{store.EventTaskStarted, store.EventTaskCompleted, store.EventExecutionCompleted} {
		if e := events[2+i]; e.Kind != kind || e.ID <= events[1+i].ID {
			t.Fatalf("events after the upgrade:\n%s\nwant task_started, task_completed and execution_completed after the old ones, in order", strings.Join(got, "\n"))
		}
	}
	// A cursor taken before the upgrade reads on from where it stood, one
	// event a page.
	p := store.ReadEventsParams{After: events[0].Cursor(), ExecutionID: "e1", Limit: 1}
	var read []*store.Event
	for deadline := time.Now().Add(30 * time.Second); len(read) < 4 && time.Now().Before(deadline); {
		res, err := s.ReadEvents(context.Background(), &p)
		if err != nil {
			t.Fatal(err)
		}
		read = append(read, res.Events...)
		p.After = res.Next
	}
	key := func(es []*store.Event) (out []string) {
		for _, e := range es {
			out = append(out, fmt.Sprintf("%+v %s %s", e.Cursor(), e.Kind, e.TaskID))
		}
		return out
	}
	if got, want := key(read), key(events[1:]); !reflect.DeepEqual(got, want) {
		t.Fatalf("reading on from event 1 after the upgrade gave\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
