package cloacinatest

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/cloacina-go/cloacina/internal/quiesce"
	"github.com/cloacina-go/cloacina/runtime"
)

// clockHook makes the runners on a FakeClock report their activity to it
// (an alias, so that the embedded field stays unexported).
type clockHook = quiesce.Hook

// FakeClock is a runtime.Clock whose time moves only when told to: by
// Advance, or, while AutoAdvance is on, by itself whenever every runner on
// the clock is idle. Give it to a runner in runtime.Config.Clock; a Harness
// makes one of its own.
//
// Idle means that no attempt is running, nothing is claimable now and no
// store call is in flight: the runner counts its work in progress for the
// clock, and a running attempt stops counting while it waits in Block,
// Hang or FakeClock.Sleep. Only then can nothing happen but what the clock
// makes happen, so jumping to the next timer (a retry coming due, an
// attempt's timeout, a workflow's deadline, a sleep ending) changes no
// outcome: the result is the same, run after run, however long the delays.
//
// Timers fire in order of their time, those due at the same time in the
// order they were set, one at a time. A timer set for a duration of zero
// or less fires at once, as on the system clock. AfterFunc callbacks run
// in their own goroutines and count as work in progress until they
// return. A value sent on a NewTimer channel is not followed: a program
// that sleeps on one is seen as idle again as soon as it is sent.
//
// A FakeClock is safe for concurrent use.
type FakeClock struct {
	clockHook
	group *quiesce.Group

	mu     sync.Mutex
	now    time.Time
	timers timerHeap
	seq    uint64
	kick   chan struct{} // buffered(1): a timer was set
	auto   int           // AutoAdvance calls not stopped yet
	quit   chan struct{} // closed to stop the advancing goroutine
	exited chan struct{} // closed when it has stopped
}

var _ runtime.Clock = (*FakeClock)(nil)

// NewFakeClock returns a fake clock reading start, with AutoAdvance off.
func NewFakeClock(start time.Time) *FakeClock {
	g := quiesce.NewGroup()
	return &FakeClock{clockHook: quiesce.NewHook(g), group: g, now: start, kick: make(chan struct{}, 1)}
}

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that sends the clock's time on its channel
// once d has passed on the clock. Its Stop and Reset discard a value not
// yet received, as those of time.Timer do since Go 1.23.
func (c *FakeClock) NewTimer(d time.Duration) runtime.Timer {
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1), index: -1}
	c.set(t, d)
	return t
}

// AfterFunc calls f in its own goroutine once d has passed on the clock.
// The returned timer's channel is nil.
func (c *FakeClock) AfterFunc(d time.Duration, f func()) runtime.Timer {
	t := &fakeTimer{c: c, fn: f, index: -1}
	c.set(t, d)
	return t
}

// Sleep waits until d has passed on the clock or ctx ends, and returns
// nil or ctx's cause. Called from a task with its context, it parks the
// attempt meanwhile (see FakeClock), so the clock may jump to the end of
// the sleep: a task that sleeps on the clock an hour ends at once.
func (c *FakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return nil
	}
	woke := make(chan struct{})
	t := &fakeTimer{c: c, index: -1}
	c.mu.Lock()
	// Parked and scheduled at once: the clock never sees the attempt idle
	// without the timer that ends its wait.
	unpark := quiesce.FromContext(ctx).Park()
	t.wake = func() {
		unpark()
		close(woke)
	}
	t.when, t.seq = c.now.Add(d), c.nextSeq()
	heap.Push(&c.timers, t)
	c.mu.Unlock()
	c.poke()
	select {
	case <-woke:
		return nil
	case <-ctx.Done():
		t.Stop()
		unpark()
		return context.Cause(ctx)
	}
}

// Advance moves the clock forward by d, firing on the way, in order, every
// timer that comes due, with the clock reading each one's time as it
// fires. It does not wait for what the timers set off.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	for len(c.timers) > 0 && !c.timers[0].when.After(target) {
		c.fireNext()
		c.mu.Lock()
	}
	if target.After(c.now) {
		c.now = target
	}
	c.mu.Unlock()
}

// AutoAdvance makes the clock jump to its next timer whenever every runner
// on it is idle, until the returned function is called (which waits for
// the advancing to stop). Calls nest: the clock advances by itself while
// any has not been stopped.
//
// Turn it on while waiting for something the clock will bring, as
// Harness.Wait does: submit the execution, call AutoAdvance, wait for the
// execution, stop. With nothing to wait for, an idle runner's clock runs
// ahead through the runner's periodic timers (its fallback polls and
// sweeps), and an execution submitted meanwhile starts at whatever time
// the clock has reached.
func (c *FakeClock) AutoAdvance() (stop func()) {
	c.mu.Lock()
	c.auto++
	if c.auto == 1 {
		c.quit, c.exited = make(chan struct{}), make(chan struct{})
		go c.advance(c.quit, c.exited) // stopped by the last stop; stop waits for it
	}
	c.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			c.auto--
			if c.auto > 0 {
				c.mu.Unlock()
				return
			}
			quit, exited := c.quit, c.exited
			c.mu.Unlock()
			close(quit)
			<-exited
		})
	}
}

// Idle reports whether every runner on the clock is idle and no timer
// callback is running.
func (c *FakeClock) Idle() bool { return c.group.Idle() }

// Next returns the time of the next timer, and false when none is set.
func (c *FakeClock) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	return c.timers[0].when, true
}

// advance is the goroutine of AutoAdvance: each time the runners may have
// gone idle, or a timer was set, it fires timers one by one while they are
// idle.
func (c *FakeClock) advance(quit, exited chan struct{}) {
	defer close(exited)
	for {
		for c.step() {
		}
		select {
		case <-quit:
			return
		case <-c.group.Quiet():
		case <-c.kick:
		}
	}
}

// step fires the next timer if every runner is idle, and reports whether
// it did.
func (c *FakeClock) step() bool {
	c.mu.Lock()
	if len(c.timers) == 0 || !c.group.Idle() {
		c.mu.Unlock()
		return false
	}
	c.fireNext()
	return true
}

// fireNext, called with c.mu held and a timer pending, takes the earliest
// timer, moves the clock to its time (never back) and fires it with c.mu
// released; it returns with c.mu released.
func (c *FakeClock) fireNext() {
	t := heap.Pop(&c.timers).(*fakeTimer)
	if t.when.After(c.now) {
		c.now = t.when
	}
	now := c.now
	c.mu.Unlock()
	c.fire(t, now)
}

// set schedules t to fire after d, or fires it at once when d <= 0.
func (c *FakeClock) set(t *fakeTimer, d time.Duration) {
	c.mu.Lock()
	now := c.now
	t.when, t.seq = now.Add(d), c.nextSeq()
	if d > 0 {
		heap.Push(&c.timers, t)
	}
	c.mu.Unlock()
	if d <= 0 {
		c.fire(t, now)
		return
	}
	c.poke()
}

func (c *FakeClock) nextSeq() uint64 {
	c.seq++
	return c.seq
}

// fire delivers a timer that came due (called without c.mu held).
func (c *FakeClock) fire(t *fakeTimer, now time.Time) {
	switch {
	case t.wake != nil:
		t.wake()
	case t.fn != nil:
		c.group.Add(1)
		go func() { // counted until f returns
			defer c.group.Add(-1)
			t.fn()
		}()
	default:
		select {
		case t.ch <- now:
		default: // a value is waiting already
		}
	}
}

// poke tells the advancing goroutine that a timer was set.
func (c *FakeClock) poke() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// fakeTimer is a timer of a FakeClock.
type fakeTimer struct {
	c     *FakeClock
	when  time.Time
	seq   uint64
	index int            // in c.timers; -1 when not scheduled
	ch    chan time.Time // NewTimer
	fn    func()         // AfterFunc
	wake  func()         // Sleep
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	return t.unschedule()
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	active := t.unschedule()
	t.c.mu.Unlock()
	t.c.set(t, d)
	return active
}

// unschedule removes t from its clock's timers and discards a value it
// sent that was not received. c.mu is held.
func (t *fakeTimer) unschedule() bool {
	active := t.index >= 0
	if active {
		heap.Remove(&t.c.timers, t.index)
	}
	if t.ch != nil {
		select {
		case <-t.ch:
		default:
		}
	}
	return active
}

// timerHeap orders timers by time, then by when they were set.
type timerHeap []*fakeTimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].when.Equal(h[j].when) {
		return h[i].when.Before(h[j].when)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*fakeTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}
