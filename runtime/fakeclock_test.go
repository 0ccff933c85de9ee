package runtime_test

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

// manualClock is a runtime.Clock that moves only when a test advances it.
type manualClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*manualTimer
	changed chan struct{} // closed and replaced whenever a timer is set
}

func newManualClock(t time.Time) *manualClock {
	return &manualClock{now: t, changed: make(chan struct{})}
}

// waitTimerAt waits until a timer is set to fire at exactly at: the sign
// that the loop the test drives has gone back to sleep, so that moving the
// clock now cannot race with the loop computing its next wait.
func (c *manualClock) waitTimerAt(t testing.TB, at time.Time) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		c.mu.Lock()
		for _, tm := range c.timers {
			if tm.active && tm.at.Equal(at) {
				c.mu.Unlock()
				return
			}
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("no timer was set for %s within 20s", at.Format(time.TimeOnly))
		}
	}
}

type manualTimer struct {
	c      *manualClock
	at     time.Time
	active bool
	ch     chan time.Time
	f      func()
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) NewTimer(d time.Duration) runtime.Timer {
	t := &manualTimer{c: c, ch: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

func (c *manualClock) AfterFunc(d time.Duration, f func()) runtime.Timer {
	t := &manualTimer{c: c, f: f}
	t.Reset(d)
	return t
}

// Advance moves the clock forward and fires the timers that came due, in
// order.
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	due := c.dueLocked()
	c.mu.Unlock()
	for _, t := range due {
		t.fire()
	}
}

func (c *manualClock) dueLocked() []*manualTimer {
	var due, keep []*manualTimer
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.active = false
			due = append(due, t)
		} else {
			keep = append(keep, t)
		}
	}
	c.timers = keep
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	return due
}

func (t *manualTimer) fire() {
	if t.f != nil {
		go t.f()
		return
	}
	select {
	case t.ch <- t.c.Now():
	default:
	}
}

func (t *manualTimer) C() <-chan time.Time { return t.ch }

func (t *manualTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.active
	t.remove()
	return was
}

// remove takes the timer off the clock; the clock's lock is held.
func (t *manualTimer) remove() {
	t.active = false
	for i, x := range t.c.timers {
		if x == t {
			t.c.timers = append(t.c.timers[:i], t.c.timers[i+1:]...)
			return
		}
	}
}

func (t *manualTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	was := t.active
	t.remove()
	t.at = t.c.now.Add(d)
	if d <= 0 {
		t.c.mu.Unlock()
		t.fire()
		return was
	}
	t.active = true
	t.c.timers = append(t.c.timers, t)
	close(t.c.changed)
	t.c.changed = make(chan struct{})
	t.c.mu.Unlock()
	return was
}
