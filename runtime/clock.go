package runtime

import "time"

// Clock is the runner's source of time: what it stamps on what it stores,
// and the timers behind retry delays, attempt timeouts, workflow deadlines,
// heartbeats, stale-claim sweeps, fallback polls and schedules. The default
// is the system clock. A test passes a fake one (package cloacinatest has
// one) so that an hour of retry delay passes at once and deterministically.
//
// On the system clock the runner lets the store stamp its writes with its
// own clock (the database server's, on PostgreSQL) and bounds attempts
// with context deadlines. On any other clock it passes the clock's time
// with every write, so every stored time and every horizon (retry times,
// stale heartbeats, deadlines) is the clock's, and it ends an attempt with
// an AfterFunc timer of the clock: the task's context then reports the
// deadline and context.DeadlineExceeded as a deadline context does, and
// context.Cause gives the *TimeoutError or ErrWorkflowTimeout. The backoff
// after a failing store call, and the bounds on store calls and on
// Shutdown, stay on real time: they pace a real database.
//
// A Clock must be safe for concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a timer that sends the time on its channel once d
	// has passed.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f in its own goroutine once d has passed. The
	// returned timer's channel is nil. The runner arms all its timers
	// with AfterFunc.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a timer made by a Clock. Its methods mean what they mean on
// *time.Timer.
type Timer interface {
	// C returns the channel the time is sent on (nil for AfterFunc timers).
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it did.
	Stop() bool
	// Reset changes the timer to fire after d; it reports whether the timer
	// had been active.
	Reset(d time.Duration) bool
}

// SystemClock is the Clock of the operating system, the default.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer returns a timer made by time.NewTimer.
func (SystemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

// AfterFunc returns a timer made by time.AfterFunc.
func (SystemClock) AfterFunc(d time.Duration, f func()) Timer {
	return systemTimer{time.AfterFunc(d, f)}
}

type systemTimer struct{ t *time.Timer }

func (s systemTimer) C() <-chan time.Time        { return s.t.C }
func (s systemTimer) Stop() bool                 { return s.t.Stop() }
func (s systemTimer) Reset(d time.Duration) bool { return s.t.Reset(d) }
