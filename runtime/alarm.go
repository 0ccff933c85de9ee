package runtime

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/cloacina-go/cloacina/internal/quiesce"
)

// This file holds what the runner does with its Clock: the alarms its
// loops sleep on, the deadlines of attempts, and the times it passes to
// the store.
//
// On a clock that follows the runner's activity (a fake clock of package
// cloacinatest, which embeds a quiesce.Hook), the runner counts its work in
// progress in r.act: each loop until it has set its first timers, each
// running attempt until the dispatcher holds its outcome, each wake-up sent
// to one of its loops until the loop has acted on it, the dispatcher while
// it holds outcomes or store calls, and each store call made outside the
// loops. Whoever hands work on counts the next piece before letting go of
// its own, so the count is zero only when nothing but the clock can make
// anything happen; the clock moves on only then, and never jumps past
// something the runner was about to do. A running attempt that waits in
// the harness's Block or Sleep is parked (quiesce.Attempt.Park) and stops
// counting; whatever cancels its context wakes it first (Attempt.Wake).
// Everything here is a no-op on other clocks (r.act is nil).
//
// Code that waits on the clock inside the runner must therefore use an
// alarm (or an AfterFunc whose callback counts what it starts) rather
// than a Clock.NewTimer channel, which the count cannot follow.

// alarm is a timer on the runner's clock that wakes one of the runner's
// loops through C. A wake-up counts as work in progress from the moment it
// is sent until the loop calls done, after acting on it.
type alarm struct {
	C     chan struct{} // buffered(1)
	clock Clock
	act   *quiesce.Tracker
	t     Timer // nil until first set
}

func (r *Runner) newAlarm() *alarm {
	return &alarm{C: make(chan struct{}, 1), clock: r.cfg.Clock, act: r.act}
}

// set arms the alarm to fire after d, replacing any earlier setting.
func (a *alarm) set(d time.Duration) {
	if a.t == nil {
		a.t = a.clock.AfterFunc(d, a.fire)
		return
	}
	a.t.Reset(d)
}

// stop disarms the alarm. A wake-up already sent stays in C.
func (a *alarm) stop() {
	if a.t != nil {
		a.t.Stop()
	}
}

func (a *alarm) fire() {
	a.act.Add(1)
	select {
	case a.C <- struct{}{}:
	default: // one is waiting already, and counted
		a.act.Add(-1)
	}
}

// done marks the wake-up received from C as handled.
func (a *alarm) done() { a.act.Add(-1) }

// now returns the time on the runner's clock.
func (r *Runner) now() time.Time { return r.cfg.Clock.Now() }

// storeNow returns the Now the runner passes with its writes: zero on the
// system clock, so the store uses its own (the database server's, on
// PostgreSQL, which runners on hosts with skewed clocks agree on), and
// the runner's clock's time otherwise.
func (r *Runner) storeNow() time.Time {
	if r.systemClock {
		return time.Time{}
	}
	return r.cfg.Clock.Now()
}

// busy counts a piece of work in progress until the returned function is
// called.
func (r *Runner) busy() (done func()) {
	r.act.Add(1)
	return func() { r.act.Add(-1) }
}

// withDeadline returns a context that ends with cause at the deadline at
// on the runner's clock. On the system clock it is
// context.WithDeadlineCause. On another clock the context is cancelled by
// a timer of that clock; its Deadline and Err are those of a deadline
// context (Err is context.DeadlineExceeded once it expired), and
// context.Cause gives cause. Contexts derived from it see
// context.Canceled as their Err, with the same cause. att, the attempt
// the context belongs to, is woken before the cancellation.
func (r *Runner) withDeadline(ctx context.Context, at time.Time, cause error, att *quiesce.Attempt) (context.Context, context.CancelFunc) {
	if r.systemClock {
		return context.WithDeadlineCause(ctx, at, cause)
	}
	inner, cancel := context.WithCancelCause(ctx)
	dc := &clockDeadline{Context: inner, deadline: at}
	if pd, ok := ctx.Deadline(); ok && pd.Before(at) {
		dc.deadline = pd
	}
	t := r.cfg.Clock.AfterFunc(at.Sub(r.now()), func() {
		if inner.Err() == nil {
			dc.expired.Store(true)
		}
		att.Wake()
		cancel(cause)
	})
	return dc, func() {
		t.Stop()
		cancel(nil)
	}
}

// clockDeadline is a context cancelled at a deadline on a Clock other than
// the system's: see Runner.withDeadline.
type clockDeadline struct {
	context.Context
	deadline time.Time
	expired  atomic.Bool
}

func (c *clockDeadline) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *clockDeadline) Err() error {
	err := c.Context.Err()
	if err != nil && c.expired.Load() {
		return context.DeadlineExceeded
	}
	return err
}
