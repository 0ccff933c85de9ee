package quiesce

import (
	"context"
	"testing"
)

type clock struct{ Hook }

func TestGroupOf(t *testing.T) {
	g := NewGroup()
	if GroupOf(clock{NewHook(g)}) != g {
		t.Fatal("a clock embedding a Hook has no group")
	}
	if GroupOf(struct{}{}) != nil || GroupOf(nil) != nil {
		t.Fatal("a clock without a Hook has a group")
	}
}

// TestAttemptParking walks an attempt through park, unpark, wake and end,
// checking the group's count at each step.
func TestAttemptParking(t *testing.T) {
	g := NewGroup()
	tr := g.Tracker()
	busy := func(want bool) {
		t.Helper()
		if g.Idle() == want {
			t.Fatalf("idle = %v, want %v", g.Idle(), !want)
		}
	}
	a := tr.Attempt()
	busy(true)
	unpark := a.Park()
	busy(false)
	select {
	case <-g.Quiet():
	default:
		t.Fatal("no quiet signal when the count reached zero")
	}
	if again := a.Park(); again == nil {
		t.Fatal("nil unpark")
	}
	busy(false) // parking twice does not count twice
	unpark()
	unpark() // idempotent
	busy(true)
	a.Park()
	a.Wake() // the waker counts it again before waking it
	busy(true)
	a.Park() // a woken attempt does not park: its context is over
	busy(true)
	a.End()
	a.Release()
	busy(false)

	b := tr.Attempt()
	b.Park()
	b.End() // a goroutine it left parked does not keep it parked
	busy(true)
	tr.Add(5)
	tr.Close() // drops whatever the tracker counts
	busy(false)
	tr.Add(1) // a closed tracker counts nothing
	busy(false)
}

func TestNilTrackerAndAttemptDoNothing(t *testing.T) {
	var tr *Tracker
	tr.Add(1)
	tr.Close()
	a := tr.Attempt()
	if a != nil {
		t.Fatal("a nil tracker made an attempt")
	}
	a.Park()()
	a.Wake()
	a.End()
	a.Release()
	if FromContext(context.Background()) != nil {
		t.Fatal("an attempt in a bare context")
	}
	real := NewGroup().Tracker().Attempt()
	if FromContext(NewContext(context.Background(), real)) != real {
		t.Fatal("the context lost its attempt")
	}
}

func TestCountBelowZeroPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	NewGroup().Add(-1)
}
