package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// Origins of executions, as ExecutionSummary.Origin reports them.
const (
	OriginSchedule = "schedule" // started by a schedule; OriginName names it
	OriginTrigger  = "trigger"  // started by a trigger; OriginName names it
)

// scheduleSpec is the stored definition of a schedule (store.Schedule.Spec).
type scheduleSpec struct {
	Cron       string          `json:"cron"`
	Timezone   string          `json:"timezone"`
	Catchup    string          `json:"catchup"`
	MaxCatchup int             `json:"max_catchup"`
	Overlap    string          `json:"overlap"`
	Input      json.RawMessage `json:"input"`
	Start      *time.Time      `json:"start,omitempty"`
	End        *time.Time      `json:"end,omitempty"`
	Jitter     string          `json:"jitter,omitempty"`
	// Paused is the state the definition declares; the schedule's live
	// state is store.Schedule.Paused.
	Paused bool `json:"paused,omitempty"`
}

// triggerSpec is the stored definition of a trigger.
type triggerSpec struct {
	Poll        string `json:"poll"`
	Timeout     string `json:"timeout"`
	Concurrency string `json:"concurrency"`
}

func encodeSchedule(s Schedule) []byte {
	sp := scheduleSpec{Cron: s.Cron, Timezone: s.Timezone, Catchup: string(s.Catchup), MaxCatchup: s.MaxCatchup,
		Overlap: string(s.Overlap), Input: s.Input, Paused: s.Paused}
	if !s.Start.IsZero() {
		t := s.Start.UTC()
		sp.Start = &t
	}
	if !s.End.IsZero() {
		t := s.End.UTC()
		sp.End = &t
	}
	if s.Jitter > 0 {
		sp.Jitter = s.Jitter.String()
	}
	b, _ := json.Marshal(sp) // plain fields: cannot fail
	return b
}

// decodeSchedule reads a stored schedule's definition.
func decodeSchedule(st *store.Schedule) (*schedDef, error) {
	var sp scheduleSpec
	if err := json.Unmarshal(st.Spec, &sp); err != nil {
		return nil, fmt.Errorf("schedule %s: stored definition: %w", st.Name, err)
	}
	s := Schedule{Name: st.Name, Workflow: st.Workflow, Cron: sp.Cron, Timezone: sp.Timezone,
		Catchup: CatchupPolicy(sp.Catchup), MaxCatchup: sp.MaxCatchup, Overlap: OverlapPolicy(sp.Overlap),
		Input: sp.Input, Paused: st.Paused}
	if sp.Start != nil {
		s.Start = *sp.Start
	}
	if sp.End != nil {
		s.End = *sp.End
	}
	if sp.Jitter != "" {
		d, err := time.ParseDuration(sp.Jitter)
		if err != nil {
			return nil, fmt.Errorf("schedule %s: stored jitter: %w", st.Name, err)
		}
		s.Jitter = d
	}
	n, expr, loc, err := s.normalized()
	if err != nil {
		return nil, err
	}
	return &schedDef{Schedule: n, expr: expr, loc: loc}, nil
}

func encodeTrigger(t Trigger) []byte {
	b, _ := json.Marshal(triggerSpec{Poll: t.Poll.String(), Timeout: t.Timeout.String(), Concurrency: string(t.Concurrency)})
	return b
}

// scheduler fires the schedules of the workflows its runner serves. One
// goroutine (run) owns the firing; it sleeps until the earliest fire, and
// is woken when schedules change (kick: this runner's API calls, and
// PostgreSQL notifications from other processes) or when an execution a
// buffered tick waits for ends.
type scheduler struct {
	r     *Runner
	kick  chan struct{} // buffered(1)
	since time.Time     // when the runner began watching schedules

	defs map[string]cachedDef // by schedule name; see def

	mu        sync.Mutex
	waitingOn map[string]bool // executions whose end a buffered tick waits for
}

func newScheduler(r *Runner) *scheduler {
	return &scheduler{r: r, kick: make(chan struct{}, 1), since: r.cfg.Clock.Now(), defs: map[string]cachedDef{}, waitingOn: map[string]bool{}}
}

// wake makes the scheduler look at its schedules again. The wake-up counts
// as work in progress until the scheduler has acted on it (see alarm.go).
func (s *scheduler) wake() {
	s.r.act.Add(1)
	select {
	case s.kick <- struct{}{}:
	default: // one is waiting already, and counted
		s.r.act.Add(-1)
	}
}

// ended tells the scheduler an execution ended.
func (s *scheduler) ended(id string) {
	s.mu.Lock()
	w := s.waitingOn[id]
	s.mu.Unlock()
	if w {
		s.wake()
	}
}

// serves reports whether this runner starts executions of the workflow.
func (r *Runner) serves(workflow string) (*Workflow, bool) {
	wf, err := r.reg.Lookup(workflow)
	if err != nil || (wf.Tenant() != "" && wf.Tenant() != r.tenant) {
		return nil, false
	}
	return wf, true
}

// run is the scheduler's goroutine; it exits when the runner shuts down.
func (s *scheduler) run() {
	defer s.r.bg.Done()
	r := s.r
	a := r.newAlarm()
	defer a.stop()
	started := false
	var handled func() // marks the wake-up just acted on as handled
	for {
		next := s.pass()
		// The fallback covers notifications lost and other processes
		// sharing a SQLite file, like the dispatcher's.
		wait := r.cfg.FallbackPollInterval
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(r.now()), 0))
		}
		a.set(wait)
		if !started {
			r.act.Add(-1) // the start, counted by NewRunner: the first wait is set
			started = true
		}
		if handled != nil {
			handled()
		}
		select {
		case <-r.bgCtx.Done():
			return
		case <-s.kick:
			handled = func() { r.act.Add(-1) }
		case <-a.C:
			handled = a.done
		}
	}
}

// pass fires every due schedule and returns when the next one is due
// (zero for none).
func (s *scheduler) pass() time.Time {
	r := s.r
	ctx, cancel := context.WithTimeout(r.bgCtx, storeCallTimeout)
	defer cancel()
	rows, err := r.store.ListSchedules(ctx)
	if err != nil {
		if r.bgCtx.Err() == nil {
			r.log.Error("list schedules", "error", err)
		}
		return r.cfg.Clock.Now().Add(time.Second) // try again soon; the store may be back
	}
	var next time.Time
	waiting := map[string]bool{}
	earliest := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, st := range rows {
		if st.Kind != store.ScheduleCron || st.Paused || st.Disabled {
			continue
		}
		if _, ok := r.serves(st.Workflow); !ok {
			continue
		}
		def, err := s.def(st)
		if err != nil {
			r.log.Error("schedule definition unreadable; not firing it", "schedule", st.Name, "error", err)
			continue
		}
		// Whether the last execution is unfinished is read only when it
		// matters: for a buffered tick, and for a tick that is due.
		prev, known := false, false
		if !st.BufferedAt.IsZero() {
			prev, known = s.unfinished(ctx, def, st), true
		}
		wake := def.wakeAt(st, prev)
		if !wake.IsZero() && !wake.After(r.cfg.Clock.Now()) {
			if !known {
				prev = s.unfinished(ctx, def, st)
			}
			after, err := s.fire(ctx, def, st, prev)
			switch {
			case errors.Is(err, ErrInvalidInput):
				// The input breaks the workflow's declared inputs (changed
				// since the schedule was stored): no retry can succeed until
				// one of them changes, so it is retried, and logged, once a
				// minute rather than once a second.
				if r.bgCtx.Err() == nil {
					r.log.Error("fire schedule: its input does not match the workflow's inputs; fix it with UpdateSchedule or change inputs=",
						"schedule", st.Name, "error", err)
				}
				earliest(r.cfg.Clock.Now().Add(time.Minute))
				continue
			case err != nil:
				if r.bgCtx.Err() == nil {
					r.log.Error("fire schedule", "schedule", st.Name, "error", err)
				}
				earliest(r.cfg.Clock.Now().Add(time.Second))
				continue
			case after == nil: // another runner changed it first: look again
				earliest(r.cfg.Clock.Now())
				continue
			}
			st, prev = after, after.LastExecution != ""
			wake = def.wakeAt(st, prev)
		}
		if !st.BufferedAt.IsZero() && prev {
			waiting[st.LastExecution] = true
		}
		earliest(wake)
	}
	s.mu.Lock()
	s.waitingOn = waiting
	s.mu.Unlock()
	return next
}

// def returns the checked definition of a stored schedule, parsed once
// per definition: passes come at every tick and every change, and a
// definition changes rarely. Only the scheduler's goroutine calls it
// (NewRunner's first pass runs before that goroutine starts).
func (s *scheduler) def(st *store.Schedule) (*schedDef, error) {
	key := st.Workflow + "\x00" + string(st.Spec)
	if c, ok := s.defs[st.Name]; ok && c.key == key {
		return c.def, nil
	}
	def, err := decodeSchedule(st)
	if err != nil {
		return nil, err
	}
	s.defs[st.Name] = cachedDef{key: key, def: def}
	return def, nil
}

// cachedDef is a parsed definition and what it was parsed from.
type cachedDef struct {
	key string
	def *schedDef
}

// unfinished reports whether the schedule's last execution is unfinished,
// when its overlap policy needs to know.
func (s *scheduler) unfinished(ctx context.Context, def *schedDef, st *store.Schedule) bool {
	if st.LastExecution == "" || (def.Overlap == OverlapAllow && st.BufferedAt.IsZero()) {
		return false
	}
	e, err := s.r.store.GetExecution(ctx, st.LastExecution)
	if errors.Is(err, store.ErrNotFound) {
		return false
	}
	return err != nil || !e.State.Terminal() // unknown counts as unfinished: never two at once by mistake
}

// fire handles the due ticks of one schedule. It returns the schedule's
// new state, or nil when another runner changed it first.
func (s *scheduler) fire(ctx context.Context, def *schedDef, st *store.Schedule, prev bool) (*store.Schedule, error) {
	r := s.r
	p := def.plan(st, r.cfg.Clock.Now(), s.since, prev)
	if len(p.Fires) == 0 && p.State.NextAt.Equal(st.NextAt) && p.State.BufferedAt.Equal(st.BufferedAt) {
		return st, nil
	}
	var fires []*store.NewFire
	for _, f := range p.Fires {
		nf := &store.NewFire{ScheduledAt: f.At, Kind: f.Kind, Outcome: f.Outcome}
		if f.Outcome == store.FireStarted {
			ne, err := r.scheduledExecution(def, f.At, f.Kind)
			if err != nil {
				return nil, err
			}
			nf.Execution = ne
			p.State.LastExecution = ne.ID
		}
		fires = append(fires, nf)
	}
	res, err := r.store.FireSchedule(ctx, &store.FireScheduleParams{RunnerID: r.id, Now: r.storeNow(), Name: st.Name, Revision: st.Revision,
		State: &p.State, Fires: fires, Decide: r.decide})
	if err != nil {
		return nil, err
	}
	if !res.Applied {
		return nil, nil
	}
	r.created(res.Executions, res.Finished)
	now := r.cfg.Clock.Now()
	for _, f := range res.Fires {
		level := r.log.Info
		if f.Outcome != store.FireStarted {
			level = r.log.Warn
		}
		level("schedule fired", "schedule", st.Name, "workflow", st.Workflow, "scheduled_time", f.ScheduledAt.In(def.loc).Format(time.RFC3339Nano),
			"kind", f.Kind, "outcome", f.Outcome, "execution_id", f.ExecutionID, "late", now.Sub(def.fireAt(f.ScheduledAt)))
	}
	if n := p.State.SkippedCatchup - st.SkippedCatchup; n > 0 {
		r.log.Warn("schedule skipped missed ticks", "schedule", st.Name, "catchup", string(def.Catchup), "skipped", n)
	}
	stored := p.State
	stored.Revision = st.Revision + 1
	return &stored, nil
}

// scheduledExecution prepares the execution of a tick: its input is the
// schedule's, plus the fire keys.
func (r *Runner) scheduledExecution(def *schedDef, at time.Time, kind string) (*store.NewExecution, error) {
	input := NewContext()
	if err := json.Unmarshal(def.Input, input); err != nil {
		return nil, fmt.Errorf("schedule %s: input: %w", def.Name, err)
	}
	if err := addFireKeys(input, def.Name, at.In(def.loc), kind); err != nil {
		return nil, fmt.Errorf("schedule %s: %w", def.Name, err)
	}
	ne, err := r.newExecution(Submission{Workflow: def.Workflow, Input: input})
	if err != nil {
		return nil, fmt.Errorf("schedule %s: %w", def.Name, err)
	}
	ne.Origin, ne.OriginName = OriginSchedule, def.Name
	return ne, nil
}

// addFireKeys adds to the input of an execution a schedule or trigger
// starts the documented keys: when, by which, and how.
func addFireKeys(c *Context, name string, at time.Time, kind string) error {
	for k, v := range map[string]string{InputScheduledTime: at.Format(time.RFC3339Nano), InputSchedule: name, InputFireKind: kind} {
		if err := c.Set(k, v); err != nil {
			return err
		}
	}
	return nil
}

// created tells the rest of the runner about executions it stored.
func (r *Runner) created(execs []*store.Execution, finished []store.FinishedExecution) {
	for _, e := range execs {
		if e != nil && !e.Deadline.IsZero() {
			r.deadlines.add(e.ID, e.Deadline)
		}
	}
	r.feed.fire()
	for _, f := range finished {
		r.logEnded(f)
		r.finished(f.ID) // every task was skipped at creation
	}
	r.signal()
}
