package ui

import (
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/runtime/store"
)

// An attempt whose end was not recorded runs to the time the page gives
// (now for a running execution, its completion for a finished one): the
// timeline's scale ends there, not later.
func TestGanttOpenAttemptEndsAtTheGivenTime(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	events := []runtime.Event{
		{Kind: store.EventExecutionCreated, At: t0},
		{TaskID: "a", Kind: store.EventTaskStarted, Attempt: 1, At: t0.Add(time.Second)},
		{TaskID: "a", Kind: store.EventTaskCompleted, Attempt: 1, At: t0.Add(2 * time.Second)},
		{TaskID: "b", Kind: store.EventTaskStarted, Attempt: 1, At: t0.Add(3 * time.Second)},
		{Kind: store.EventExecutionCancelled, At: t0.Add(11 * time.Second)},
	}
	g := buildGantt(events, []string{"a", "b"}, t0.Add(11*time.Second))
	if !g.End.Equal(t0.Add(11*time.Second)) || !g.Start.Equal(t0) {
		t.Fatalf("timeline from %s to %s, want 12:00:00 to 12:00:11", g.Start.Format(time.TimeOnly), g.End.Format(time.TimeOnly))
	}
	if len(g.Rows) != 2 || len(g.Rows[1].Bars) != 1 {
		t.Fatalf("rows = %+v", g.Rows)
	}
}
