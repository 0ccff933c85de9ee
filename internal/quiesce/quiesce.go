// Package quiesce lets a fake clock learn when the runners it drives have
// nothing left to do but wait for it.
//
// A clock that wants to know embeds a Hook holding a Group. A runner whose
// clock has one (see GroupOf) takes a Tracker from the group and counts in
// it every piece of work in progress: each running attempt, each wake-up
// on its way to one of its loops or being handled there, each store call
// in flight. Whoever starts a piece of work counts it before the work can
// be seen by anyone else, and whoever finishes it uncounts it only after
// counting the work it led to, so the sum never touches zero while
// something is still on its way. The group is idle when the sum over its
// trackers (plus the clock's own timer callbacks) is zero: nothing runs,
// nothing is claimable now, and only the clock can make anything happen.
//
// A running attempt that waits for its context to end, or for a sleep on
// the clock, parks (Attempt.Park): it stops counting while it waits.
// Whoever wakes it (the runner cancelling its context, the clock firing
// its sleep) unparks it before waking it, so the group is never idle
// between the wake-up and the attempt noticing it.
//
// A nil *Tracker and a nil *Attempt do nothing, so a runner on a clock
// without a group pays one nil check per call.
package quiesce

import (
	"context"
	"sync"
)

// Group sums the work in progress of the runners sharing one clock. It is
// safe for concurrent use.
type Group struct {
	mu   sync.Mutex
	busy int
	idle chan struct{} // buffered(1): busy went down to zero
}

// NewGroup returns an idle group.
func NewGroup() *Group { return &Group{idle: make(chan struct{}, 1)} }

// Add adds n (which may be negative) to the group's own count, such as a
// clock's timer callback while it runs.
func (g *Group) Add(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.busy += n
	if g.busy < 0 {
		panic("quiesce: work in progress went below zero")
	}
	if n < 0 && g.busy == 0 {
		select {
		case g.idle <- struct{}{}:
		default:
		}
	}
}

// Idle reports whether no work is in progress.
func (g *Group) Idle() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.busy == 0
}

// Quiet returns a channel that receives a value after the work in
// progress went down to zero. It is meant for one reader, which checks
// Idle on receiving: the group may have become busy again since.
func (g *Group) Quiet() <-chan struct{} { return g.idle }

// Tracker returns a new tracker whose counts add to the group's.
func (g *Group) Tracker() *Tracker { return &Tracker{g: g} }

// Hook is embedded in a clock to make the runners it drives report their
// activity to g (see GroupOf).
type Hook struct{ g *Group }

// NewHook returns a Hook reporting to g.
func NewHook(g *Group) Hook { return Hook{g: g} }

func (h Hook) quiesceGroup() *Group { return h.g }

// GroupOf returns the group of a clock that embeds a Hook, or nil.
func GroupOf(clock any) *Group {
	if s, ok := clock.(interface{ quiesceGroup() *Group }); ok {
		return s.quiesceGroup()
	}
	return nil
}

// Tracker counts the work in progress of one runner. Close drops whatever
// it still counts, for a runner that has stopped. Safe for concurrent use.
type Tracker struct {
	g      *Group
	mu     sync.Mutex
	n      int
	closed bool
}

// Add adds n (which may be negative) to the work in progress.
func (t *Tracker) Add(n int) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	t.n += n
	t.g.Add(n)
}

// Close removes the tracker's count from the group; later calls do
// nothing.
func (t *Tracker) Close() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.closed {
		t.closed = true
		t.g.Add(-t.n)
		t.n = 0
	}
}

// Attempt counts one running attempt: it counts as work in progress from
// Tracker.Attempt until Release, except while parked.
type Attempt struct {
	t      *Tracker
	mu     sync.Mutex
	parked bool
	woken  bool // its context was cancelled (Wake): it never parks again
	ended  bool // its function returned (End)
}

// Attempt counts a new running attempt. It returns nil for a nil tracker.
func (t *Tracker) Attempt() *Attempt {
	if t == nil {
		return nil
	}
	t.Add(1)
	return &Attempt{t: t}
}

// Park marks the attempt as waiting for its context to end or for the
// clock, and returns the function that marks it running again (which may
// be called more than once). It does nothing (and returns a function that
// does nothing) for a nil attempt, one already parked or woken, or one
// whose function returned.
func (a *Attempt) Park() (unpark func()) {
	if a == nil {
		return func() {}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.parked || a.woken || a.ended {
		return func() {}
	}
	a.parked = true
	a.t.Add(-1)
	return a.unpark
}

func (a *Attempt) unpark() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.parked {
		a.parked = false
		a.t.Add(1)
	}
}

// Wake unparks the attempt for good: call it before cancelling the
// attempt's context.
func (a *Attempt) Wake() {
	if a == nil {
		return
	}
	a.mu.Lock()
	a.woken = true
	a.mu.Unlock()
	a.unpark()
}

// End records that the attempt's function returned, unparking it if a
// goroutine it left behind was parked.
func (a *Attempt) End() {
	if a == nil {
		return
	}
	a.mu.Lock()
	a.ended = true
	a.mu.Unlock()
	a.unpark()
}

// Release stops counting the attempt: its outcome has been taken over by
// work counted elsewhere.
func (a *Attempt) Release() {
	if a == nil {
		return
	}
	a.t.Add(-1)
}

type attemptKey struct{}

// NewContext returns ctx carrying a.
func NewContext(ctx context.Context, a *Attempt) context.Context {
	return context.WithValue(ctx, attemptKey{}, a)
}

// FromContext returns the attempt ctx carries, or nil.
func FromContext(ctx context.Context) *Attempt {
	a, _ := ctx.Value(attemptKey{}).(*Attempt)
	return a
}
