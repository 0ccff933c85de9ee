package runtime

import (
	"hash/fnv"
	"time"

	"github.com/cloacina-go/cloacina/internal/cron"
	"github.com/cloacina-go/cloacina/runtime/store"
)

// lateGrace is how late a tick may be handled and still count as on time
// rather than missed, when it came due while the runner was watching: a
// slow store or a long pause of the process must not turn a tick into a
// catch-up.
const lateGrace = time.Minute

// maxTicksPerPlan bounds the ticks one plan walks (a schedule that fires
// every second and was down for a month). Beyond it the walk resumes from
// the most recent ticks, and the older ones count as skipped by catch-up.
const maxTicksPerPlan = 100_000

// schedDef is a checked schedule definition with its parsed expression.
type schedDef struct {
	Schedule
	expr *cron.Expr
	loc  *time.Location
}

// next returns the first tick strictly after t, within the schedule's
// bounds, or zero when there is none.
func (d *schedDef) next(t time.Time) time.Time {
	if !d.Start.IsZero() && t.Before(d.Start) {
		t = d.Start.Add(-time.Nanosecond) // the start itself may be a tick
	}
	n := d.expr.Next(t, d.loc, d.Start)
	if n.IsZero() || (!d.End.IsZero() && n.After(d.End)) {
		return time.Time{}
	}
	return n.Truncate(time.Microsecond)
}

// jitter returns the delay of the fire of tick: the same on every runner,
// in [0, Jitter).
func (d *schedDef) jitter(tick time.Time) time.Duration {
	if d.Jitter <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(d.Name))
	var b [8]byte
	n := tick.UnixNano()
	for i := range b {
		b[i] = byte(n >> (8 * i))
	}
	h.Write(b[:])
	return time.Duration(h.Sum64() % uint64(d.Jitter))
}

// fireAt is when tick fires: the tick plus its jitter.
func (d *schedDef) fireAt(tick time.Time) time.Time { return tick.Add(d.jitter(tick)) }

// plannedFire is a tick a plan handles.
type plannedFire struct {
	At      time.Time
	Kind    string // store.FireScheduled or store.FireCatchup
	Outcome string // store.FireStarted or store.FireSkippedOverlap
}

// schedPlan is what firing a schedule now does: the fires to record and
// the schedule's state after them. Empty means nothing is due.
type schedPlan struct {
	Fires []plannedFire
	State store.Schedule
}

// wakeAt returns when the schedule next needs its runner: its next tick's
// fire time, or zero when it needs nothing (paused, disabled, ended, or
// waiting for an execution to end before a buffered tick).
func (d *schedDef) wakeAt(st *store.Schedule, prevUnfinished bool) time.Time {
	if st.Paused || st.Disabled {
		return time.Time{}
	}
	if !st.BufferedAt.IsZero() && !prevUnfinished {
		return st.BufferedAt // due now
	}
	if st.NextAt.IsZero() {
		return time.Time{}
	}
	return d.fireAt(st.NextAt)
}

// plan decides what the schedule does at now. watchingSince is when the
// runner began watching schedules: a tick that came due before it, or more
// than lateGrace before now, is missed (the catch-up policy applies); a
// later one is on time. prevUnfinished says whether the execution the
// schedule started last is still unfinished (the overlap policy applies).
func (d *schedDef) plan(st *store.Schedule, now, watchingSince time.Time, prevUnfinished bool) *schedPlan {
	p := &schedPlan{State: *st}
	if st.Paused || st.Disabled {
		return p
	}
	unfinished := prevUnfinished
	if !st.BufferedAt.IsZero() && !prevUnfinished {
		p.Fires = append(p.Fires, plannedFire{At: st.BufferedAt, Kind: store.FireScheduled, Outcome: store.FireStarted})
		p.State.BufferedAt = time.Time{}
		unfinished = true
	}
	// The due ticks, oldest first; at most maxTicksPerPlan are kept, the
	// older ones counted.
	var due []time.Time
	dropped := 0
	t := st.NextAt
	for !t.IsZero() && !d.fireAt(t).After(now) {
		if len(due) == maxTicksPerPlan {
			due = append(due[:0], due[maxTicksPerPlan/2:]...)
			dropped += maxTicksPerPlan / 2
		}
		due = append(due, t)
		t = d.next(t)
	}
	p.State.NextAt = t
	if len(due) == 0 {
		return p
	}
	p.State.LastAt = due[len(due)-1]
	var missed []time.Time
	var onTime []time.Time
	for _, tick := range due {
		at := d.fireAt(tick)
		if at.Before(watchingSince) || now.Sub(at) > lateGrace {
			missed = append(missed, tick)
		} else {
			onTime = append(onTime, tick)
		}
	}
	var fire []plannedFire
	skipped := dropped
	switch d.Catchup {
	case CatchupSkip:
		skipped += len(missed)
	case CatchupLatest:
		if len(missed) > 0 && len(onTime) == 0 {
			fire = append(fire, plannedFire{At: missed[len(missed)-1], Kind: store.FireCatchup})
			skipped += len(missed) - 1
		} else {
			skipped += len(missed)
		}
	case CatchupAll:
		keep := min(len(missed), d.MaxCatchup)
		skipped += len(missed) - keep
		for _, tick := range missed[len(missed)-keep:] {
			fire = append(fire, plannedFire{At: tick, Kind: store.FireCatchup})
		}
	}
	for _, tick := range onTime {
		fire = append(fire, plannedFire{At: tick, Kind: store.FireScheduled})
	}
	p.State.SkippedCatchup += int64(skipped)
	// The ticks CatchupAll catches up are one unit for the overlap policy:
	// the policy decides about the first against the execution before
	// them, and the others follow it (they would otherwise be skipped as
	// overlapping each other, having come due at the same instant).
	catchingUp := false
	for _, f := range fire {
		switch {
		case catchingUp && f.Kind == store.FireCatchup:
			f.Outcome = store.FireStarted
		case !unfinished || d.Overlap == OverlapAllow:
			catchingUp = f.Kind == store.FireCatchup && d.Catchup == CatchupAll
			f.Outcome = store.FireStarted
			unfinished = true
		case d.Overlap == OverlapBuffer && p.State.BufferedAt.IsZero():
			p.State.BufferedAt = f.At // started once the previous execution ends
			continue
		default:
			f.Outcome = store.FireSkippedOverlap
			p.State.SkippedOverlap++
		}
		p.Fires = append(p.Fires, f)
	}
	return p
}
