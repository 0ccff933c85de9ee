package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// reconcile stores the schedules and triggers the runner's registry
// declares: a new one is inserted, a changed one updated by name (its
// history kept), and a code schedule of a workflow this runner serves that
// the code no longer declares is disabled. Schedules made through the API
// are left alone. Workflows the runner does not serve are not its
// business: another runner's registry speaks for them.
func (r *Runner) reconcile(ctx context.Context) error {
	rows, err := r.store.ListSchedules(ctx)
	if err != nil {
		return fmt.Errorf("reconcile schedules: %w", err)
	}
	stored := map[string]*store.Schedule{}
	for _, st := range rows {
		stored[st.Name] = st
	}
	declared := map[string]bool{}
	var errs []error
	for _, wf := range r.reg.Workflows() {
		if _, ok := r.serves(wf.Name()); !ok {
			continue
		}
		for _, sc := range wf.Schedules() {
			declared[sc.Name] = true
			want := &store.Schedule{Name: sc.Name, Kind: store.ScheduleCron, Workflow: wf.Name(), Spec: encodeSchedule(sc),
				Origin: store.OriginCode, Paused: sc.Paused}
			if err := r.reconcileOne(ctx, stored[sc.Name], want); err != nil {
				errs = append(errs, err)
			}
		}
		for _, tr := range wf.Triggers() {
			declared[tr.Name] = true
			want := &store.Schedule{Name: tr.Name, Kind: store.ScheduleTrigger, Workflow: wf.Name(), Spec: encodeTrigger(tr),
				Origin: store.OriginCode}
			if err := r.reconcileOne(ctx, stored[tr.Name], want); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, st := range rows {
		if st.Origin != store.OriginCode || declared[st.Name] || st.Disabled {
			continue
		}
		if _, ok := r.serves(st.Workflow); !ok {
			continue
		}
		off := *st
		off.Disabled = true
		if _, err := r.store.SaveSchedule(ctx, &store.SaveScheduleParams{RunnerID: r.id, Now: r.storeNow(), Schedule: &off, Revision: st.Revision}); err != nil &&
			!errors.Is(err, store.ErrScheduleChanged) {
			errs = append(errs, fmt.Errorf("disable schedule %s: %w", st.Name, err))
			continue
		}
		r.log.Info("schedule disabled: its workflow no longer declares it", "schedule", st.Name, "workflow", st.Workflow)
	}
	if len(errs) > 0 {
		return fmt.Errorf("reconcile schedules: %w", errors.Join(errs...))
	}
	return nil
}

// reconcileOne brings one stored code schedule in line with its
// declaration; have is nil when it is not stored.
func (r *Runner) reconcileOne(ctx context.Context, have, want *store.Schedule) error {
	for try := 0; ; try++ {
		var err error
		switch {
		case have == nil:
			want.NextAt, err = r.firstTick(want)
			if err == nil {
				_, err = r.store.SaveSchedule(ctx, &store.SaveScheduleParams{RunnerID: r.id, Now: r.storeNow(), Schedule: want})
			}
		case have.Origin != store.OriginCode:
			r.log.Warn("a schedule made through the API has the name of one declared in code; the code's is not applied",
				"schedule", want.Name, "workflow", want.Workflow)
			return nil
		case have.Kind == want.Kind && have.Workflow == want.Workflow && bytes.Equal(have.Spec, want.Spec) && !have.Disabled:
			return nil
		default:
			upd := *have
			upd.Kind, upd.Workflow, upd.Spec, upd.Disabled = want.Kind, want.Workflow, want.Spec, false
			if paused, was := want.Paused, declaredPaused(have); paused != was {
				upd.Paused = paused
			}
			if ticksChanged(have, &upd) {
				upd.NextAt, err = r.firstTick(&upd)
			}
			if err == nil {
				_, err = r.store.SaveSchedule(ctx, &store.SaveScheduleParams{RunnerID: r.id, Now: r.storeNow(), Schedule: &upd, Revision: have.Revision})
			}
			if err == nil {
				r.log.Info("schedule updated from its declaration", "schedule", want.Name, "workflow", want.Workflow)
			}
		}
		// Another runner starting at the same time stored it first: look
		// again at what it stored.
		if (errors.Is(err, store.ErrScheduleExists) || errors.Is(err, store.ErrScheduleChanged)) && try < 3 {
			if have, err = r.store.GetSchedule(ctx, want.Name); err != nil {
				return err
			}
			continue
		}
		return err
	}
}

// declaredPaused is the paused state a stored cron schedule's definition
// declares.
func declaredPaused(st *store.Schedule) bool {
	var sp scheduleSpec
	return st.Kind == store.ScheduleCron && json.Unmarshal(st.Spec, &sp) == nil && sp.Paused
}

// firstTick is the next tick of a schedule from now (or from its latest
// fire, if that is later): ticks before a definition changed are not
// owed. Triggers have none.
func (r *Runner) firstTick(st *store.Schedule) (time.Time, error) {
	if st.Kind != store.ScheduleCron {
		return time.Time{}, nil
	}
	def, err := decodeSchedule(st)
	if err != nil {
		return time.Time{}, err
	}
	from := r.cfg.Clock.Now()
	if st.LastAt.After(from) {
		from = st.LastAt
	}
	return def.next(from), nil
}

// ticksChanged reports whether a schedule's new definition has other ticks
// than its stored one (expression, zone, bounds): then ticks owed under the
// old one are dropped. A change of policy or input keeps them.
func ticksChanged(old, upd *store.Schedule) bool {
	if old.Kind != store.ScheduleCron || upd.Kind != store.ScheduleCron || old.Disabled {
		return true
	}
	var a, b scheduleSpec
	if json.Unmarshal(old.Spec, &a) != nil || json.Unmarshal(upd.Spec, &b) != nil {
		return true
	}
	same := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	return a.Cron != b.Cron || a.Timezone != b.Timezone || !same(a.Start, b.Start) || !same(a.End, b.End)
}
