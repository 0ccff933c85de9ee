package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloacina-go/cloacina/internal/suggest"
	"github.com/cloacina-go/cloacina/runtime/store"
)

// Schedule errors, for errors.Is.
var (
	// ErrScheduleNotFound: no schedule (or trigger) with the name.
	ErrScheduleNotFound = store.ErrScheduleNotFound
	// ErrScheduleExists: CreateSchedule with a name that is taken.
	ErrScheduleExists = store.ErrScheduleExists
)

// maxBackfill bounds the ticks of one BackfillSchedule call.
const maxBackfill = 10_000

// ScheduleInfo is a stored schedule as the runner's API reports it.
type ScheduleInfo struct {
	// Schedule is the definition with its defaults filled in; Paused is
	// the schedule's live state.
	Schedule
	// Origin is "code" (declared with its workflow, reconciled when a
	// runner starts) or "api" (made with CreateSchedule).
	Origin string
	// Disabled is set on a code schedule its workflow no longer declares.
	Disabled bool
	// NextFire is when the next tick fires (its time plus jitter); zero
	// when none will (paused, disabled or past End).
	NextFire time.Time
	// LastTick is the latest tick handled; zero before the first.
	LastTick time.Time
	// Buffered is a tick held back by OverlapBuffer; zero for none.
	Buffered time.Time
	// SkippedOverlap and SkippedCatchup count the ticks the overlap and
	// catch-up policies skipped.
	SkippedOverlap, SkippedCatchup int64
	// LastExecutionID is the execution the latest tick started (the one
	// OverlapPolicy looks at). TriggerSchedule and BackfillSchedule fire
	// outside the ticks and leave it as it is; RecentFires lists them.
	LastExecutionID string
}

// ScheduleFire is one handled tick of a schedule (or poll of a trigger).
type ScheduleFire struct {
	ScheduledAt time.Time
	// Kind is "scheduled", "catchup", "backfill", "manual" or "trigger".
	Kind string
	// Outcome is "started", "skipped_overlap" or "skipped_running".
	Outcome string
	// ExecutionID is the execution started, "" when skipped.
	ExecutionID string
	// Status is the execution's status now; nil when none was started or
	// it no longer exists.
	Status  *PipelineStatus
	FiredAt time.Time
}

// ScheduleDescription is DescribeSchedule's answer.
type ScheduleDescription struct {
	ScheduleInfo
	// NextFires are the fire times of the next ticks.
	NextFires []time.Time
	// RecentFires are the latest fires, newest first.
	RecentFires []ScheduleFire
}

// TriggerInfo is a stored trigger.
type TriggerInfo struct {
	Name, Workflow string
	Poll, Timeout  time.Duration
	Concurrency    TriggerConcurrency
	Origin         string
	Disabled       bool
	// LeaseOwner is the runner that polls it, until LeaseUntil.
	LeaseOwner string
	LeaseUntil time.Time
}

func (r *Runner) scheduleInfo(st *store.Schedule) (ScheduleInfo, *schedDef, error) {
	def, err := decodeSchedule(st)
	if err != nil {
		return ScheduleInfo{}, nil, err
	}
	info := ScheduleInfo{Schedule: def.Schedule, Origin: st.Origin, Disabled: st.Disabled, LastTick: st.LastAt,
		Buffered: st.BufferedAt, SkippedOverlap: st.SkippedOverlap, SkippedCatchup: st.SkippedCatchup,
		LastExecutionID: st.LastExecution}
	if !st.Paused && !st.Disabled && !st.NextAt.IsZero() {
		info.NextFire = def.fireAt(st.NextAt)
	}
	return info, def, nil
}

// CreateSchedule stores a new schedule of a workflow registered with this
// runner. Any runner serving the workflow fires it. Reconciliation leaves
// it alone. An Input that breaks the workflow's declared inputs (see
// WorkflowBuilder.Inputs) is refused with an *InputError.
func (r *Runner) CreateSchedule(ctx context.Context, s Schedule) (*ScheduleInfo, error) {
	wf, ok := r.serves(s.Workflow)
	if !ok {
		return nil, fmt.Errorf("create schedule %s: workflow %q is not registered with this runner for tenant %q%s",
			s.Name, s.Workflow, r.tenant, suggest.DidYouMean(s.Workflow, r.reg.Names()))
	}
	n, _, _, err := s.normalized()
	if err != nil {
		return nil, err
	}
	if err := wf.checkScheduleInput(n); err != nil {
		return nil, err
	}
	st := &store.Schedule{Name: n.Name, Kind: store.ScheduleCron, Workflow: n.Workflow, Spec: encodeSchedule(n),
		Origin: store.OriginAPI, Paused: n.Paused}
	if st.NextAt, err = r.firstTick(st); err != nil {
		return nil, err
	}
	saved, err := r.store.SaveSchedule(ctx, &store.SaveScheduleParams{RunnerID: r.id, Now: r.storeNow(), Schedule: st})
	if errors.Is(err, store.ErrScheduleExists) {
		return nil, fmt.Errorf("create schedule %s: %w; change it with UpdateSchedule", n.Name, ErrScheduleExists)
	}
	if err != nil {
		return nil, r.closedErr(err)
	}
	r.sched.wake()
	info, _, err := r.scheduleInfo(saved)
	return &info, err
}

// UpdateSchedule replaces the definition of a stored schedule, keeping its
// history; its next tick is computed again from now. A schedule declared in
// code returns to its declaration when a runner serving it next starts. On
// a runner serving the workflow, an Input that breaks its declared inputs
// is refused with an *InputError.
func (r *Runner) UpdateSchedule(ctx context.Context, s Schedule) (*ScheduleInfo, error) {
	n, _, _, err := s.normalized()
	if err != nil {
		return nil, err
	}
	return r.changeSchedule(ctx, n.Name, func(st *store.Schedule) error {
		wf, ok := r.serves(n.Workflow)
		if !ok && st.Workflow != n.Workflow {
			return fmt.Errorf("workflow %q is not registered with this runner", n.Workflow)
		}
		if ok {
			if err := wf.checkScheduleInput(n); err != nil {
				return err
			}
		}
		st.Workflow, st.Spec, st.Paused = n.Workflow, encodeSchedule(n), n.Paused
		st.BufferedAt = time.Time{}
		var err error
		st.NextAt, err = r.firstTick(st)
		return err
	})
}

// PauseSchedule stops a schedule from firing; it reports whether it was
// running.
func (r *Runner) PauseSchedule(ctx context.Context, name string) (bool, error) {
	changed := false
	_, err := r.changeSchedule(ctx, name, func(st *store.Schedule) error {
		changed = !st.Paused
		st.Paused = true
		return nil
	})
	return changed, err
}

// ResumeSchedule lets a paused schedule fire again, from its next tick
// after now: ticks that passed while it was paused are not fired. It
// reports whether it was paused.
func (r *Runner) ResumeSchedule(ctx context.Context, name string) (bool, error) {
	changed := false
	_, err := r.changeSchedule(ctx, name, func(st *store.Schedule) error {
		changed = st.Paused
		if !st.Paused {
			return nil
		}
		st.Paused = false
		var err error
		st.NextAt, err = r.firstTick(st)
		return err
	})
	return changed, err
}

// changeSchedule reads a schedule, changes it with fn and saves it, again
// if another runner changed it meanwhile.
func (r *Runner) changeSchedule(ctx context.Context, name string, fn func(*store.Schedule) error) (*ScheduleInfo, error) {
	defer r.busy()()
	for try := 0; ; try++ {
		st, err := r.getSchedule(ctx, name)
		if err != nil {
			return nil, err
		}
		if st.Kind != store.ScheduleCron {
			return nil, fmt.Errorf("schedule %s: it is a trigger, not a schedule", name)
		}
		upd := *st
		if err := fn(&upd); err != nil {
			return nil, fmt.Errorf("schedule %s: %w", name, err)
		}
		saved, err := r.store.SaveSchedule(ctx, &store.SaveScheduleParams{RunnerID: r.id, Now: r.storeNow(), Schedule: &upd, Revision: st.Revision})
		if errors.Is(err, store.ErrScheduleChanged) && try < 10 {
			continue
		}
		if err != nil {
			return nil, r.closedErr(err)
		}
		r.sched.wake()
		info, _, err := r.scheduleInfo(saved)
		return &info, err
	}
}

// DeleteSchedule deletes a schedule and its fire history (the executions
// it started stay). A schedule declared in code is stored again when a
// runner serving it next starts. It reports whether the schedule existed.
func (r *Runner) DeleteSchedule(ctx context.Context, name string) (bool, error) {
	found, err := r.store.DeleteSchedule(ctx, name)
	if err != nil {
		return false, r.closedErr(err)
	}
	r.sched.wake()
	return found, nil
}

// TriggerSchedule starts an execution of a schedule now, whatever its
// policies and even while it is paused. Its InputFireKind is "manual".
func (r *Runner) TriggerSchedule(ctx context.Context, name string) (*Execution, error) {
	st, def, err := r.loadSchedule(ctx, name)
	if err != nil {
		return nil, err
	}
	execs, err := r.fireTicks(ctx, st, def, []time.Time{r.cfg.Clock.Now().Truncate(time.Microsecond)}, store.FireManual)
	if err != nil {
		return nil, err
	}
	if len(execs) == 0 {
		return nil, fmt.Errorf("trigger schedule %s: it fired at this instant already; try again", name)
	}
	return execs[0], nil
}

// BackfillSchedule starts one execution for each tick of the schedule in
// [from, to], oldest first, whatever its policies, and returns them. Ticks
// the schedule has fired already (on time, caught up, or by an earlier
// backfill) are left out, so a backfill may be repeated safely. At most
// 10,000 ticks are backfilled in one call.
func (r *Runner) BackfillSchedule(ctx context.Context, name string, from, to time.Time) ([]*Execution, error) {
	st, def, err := r.loadSchedule(ctx, name)
	if err != nil {
		return nil, err
	}
	if to.Before(from) {
		return nil, fmt.Errorf("backfill schedule %s: to (%s) is before from (%s)", name, to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	var ticks []time.Time
	for t := def.next(from.Add(-time.Nanosecond)); !t.IsZero() && !t.After(to); t = def.next(t) {
		if len(ticks) == maxBackfill {
			return nil, fmt.Errorf("backfill schedule %s: more than %d ticks from %s to %s; backfill a shorter range at a time",
				name, maxBackfill, from.Format(time.RFC3339), to.Format(time.RFC3339))
		}
		ticks = append(ticks, t)
	}
	if len(ticks) == 0 {
		return nil, nil
	}
	return r.fireTicks(ctx, st, def, ticks, store.FireBackfill)
}

func (r *Runner) loadSchedule(ctx context.Context, name string) (*store.Schedule, *schedDef, error) {
	st, err := r.getSchedule(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if st.Kind != store.ScheduleCron {
		return nil, nil, fmt.Errorf("schedule %s: it is a trigger, not a schedule", name)
	}
	if _, ok := r.serves(st.Workflow); !ok {
		return nil, nil, fmt.Errorf("schedule %s: its workflow %q is not registered with this runner", name, st.Workflow)
	}
	def, err := decodeSchedule(st)
	return st, def, err
}

// fireTicks starts executions for ticks without a revision guard (manual
// fires and backfills leave the schedule's state alone) and returns
// handles on those created.
func (r *Runner) fireTicks(ctx context.Context, st *store.Schedule, def *schedDef, ticks []time.Time, kind string) ([]*Execution, error) {
	fires := make([]*store.NewFire, len(ticks))
	for i, at := range ticks {
		ne, err := r.scheduledExecution(def, at, kind)
		if err != nil {
			return nil, err
		}
		fires[i] = &store.NewFire{ScheduledAt: at, Kind: kind, Outcome: store.FireStarted, Execution: ne}
	}
	return r.fireWithHandles(ctx, st.Name, fires)
}

// fireWithHandles records fires without a revision guard and returns
// handles on the executions created. Waiters are registered before the
// store call, so an execution that ends at once is not missed.
func (r *Runner) fireWithHandles(ctx context.Context, name string, fires []*store.NewFire) ([]*Execution, error) {
	defer r.busy()()
	dones := map[string]chan struct{}{}
	defer func() {
		for id := range dones {
			r.removeWaiter(id)
		}
	}()
	for _, f := range fires {
		if f.Execution == nil {
			continue
		}
		done, err := r.addWaiter(f.Execution.ID)
		if err != nil {
			return nil, err
		}
		dones[f.Execution.ID] = done
	}
	res, err := r.store.FireSchedule(ctx, &store.FireScheduleParams{RunnerID: r.id, Now: r.storeNow(), Name: name, Fires: fires, Decide: r.decide})
	if err != nil {
		return nil, r.closedErr(err)
	}
	r.created(res.Executions, res.Finished)
	out := make([]*Execution, 0, len(res.Executions))
	for _, e := range res.Executions {
		out = append(out, &Execution{r: r, id: e.ID, workflow: e.WorkflowName, done: dones[e.ID]})
		delete(dones, e.ID) // kept: the handle owns it
	}
	return out, nil
}

// ListSchedules returns every stored schedule (of any workflow), by name.
func (r *Runner) ListSchedules(ctx context.Context) ([]ScheduleInfo, error) {
	rows, err := r.store.ListSchedules(ctx)
	if err != nil {
		return nil, r.closedErr(err)
	}
	var out []ScheduleInfo
	for _, st := range rows {
		if st.Kind != store.ScheduleCron {
			continue
		}
		info, _, err := r.scheduleInfo(st)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// DescribeSchedule returns a schedule with its next n fire times and its
// n most recent fires with their executions' status.
func (r *Runner) DescribeSchedule(ctx context.Context, name string, n int) (*ScheduleDescription, error) {
	st, err := r.getSchedule(ctx, name)
	if err != nil {
		return nil, err
	}
	if st.Kind != store.ScheduleCron {
		return nil, fmt.Errorf("schedule %s: it is a trigger, not a schedule", name)
	}
	info, def, err := r.scheduleInfo(st)
	if err != nil {
		return nil, err
	}
	d := &ScheduleDescription{ScheduleInfo: info}
	if !info.NextFire.IsZero() {
		for t := st.NextAt; !t.IsZero() && len(d.NextFires) < n; t = def.next(t) {
			d.NextFires = append(d.NextFires, def.fireAt(t))
		}
	}
	if d.RecentFires, err = r.recentFires(ctx, name, n); err != nil {
		return nil, err
	}
	return d, nil
}

// recentFires lists a schedule's latest fires with their executions'
// status.
func (r *Runner) recentFires(ctx context.Context, name string, n int) ([]ScheduleFire, error) {
	fires, err := r.store.ListFires(ctx, name, n)
	if err != nil {
		return nil, r.closedErr(err)
	}
	var ids []string
	for _, f := range fires {
		if f.ExecutionID != "" {
			ids = append(ids, f.ExecutionID)
		}
	}
	status := map[string]*PipelineStatus{}
	if len(ids) > 0 {
		execs, err := r.store.ListExecutions(ctx, &store.ListExecutionsParams{IDs: ids, Limit: len(ids)})
		if err != nil {
			return nil, r.closedErr(err)
		}
		for _, e := range execs {
			if ps, err := fromStoreExecState(e.State); err == nil {
				status[e.ID] = &ps
			}
		}
	}
	out := make([]ScheduleFire, len(fires))
	for i, f := range fires {
		out[i] = ScheduleFire{ScheduledAt: f.ScheduledAt, Kind: f.Kind, Outcome: f.Outcome, ExecutionID: f.ExecutionID,
			Status: status[f.ExecutionID], FiredAt: f.FiredAt}
	}
	return out, nil
}

// ListTriggers returns every stored trigger, by name.
func (r *Runner) ListTriggers(ctx context.Context) ([]TriggerInfo, error) {
	rows, err := r.store.ListSchedules(ctx)
	if err != nil {
		return nil, r.closedErr(err)
	}
	var out []TriggerInfo
	for _, st := range rows {
		if st.Kind != store.ScheduleTrigger {
			continue
		}
		sp, err := decodeTrigger(st)
		if err != nil {
			return nil, err
		}
		out = append(out, TriggerInfo{Name: st.Name, Workflow: st.Workflow, Poll: sp.Poll, Timeout: sp.Timeout,
			Concurrency: sp.Concurrency, Origin: st.Origin, Disabled: st.Disabled, LeaseOwner: st.LeaseOwner, LeaseUntil: st.LeaseUntil})
	}
	return out, nil
}

// getSchedule reads a stored schedule; for a name that is not stored, the
// error suggests the closest stored names.
func (r *Runner) getSchedule(ctx context.Context, name string) (*store.Schedule, error) {
	st, err := r.store.GetSchedule(ctx, name)
	if errors.Is(err, store.ErrScheduleNotFound) {
		var names []string
		if all, lerr := r.store.ListSchedules(ctx); lerr == nil {
			for _, s := range all {
				names = append(names, s.Name)
			}
		}
		return nil, fmt.Errorf("schedule %q: %w%s", name, ErrScheduleNotFound, suggest.DidYouMean(name, names))
	}
	if err != nil {
		return nil, r.closedErr(err)
	}
	return st, nil
}
