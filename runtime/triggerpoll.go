package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// triggerDef is a stored trigger's definition.
type triggerDef struct {
	Poll, Timeout time.Duration
	Concurrency   TriggerConcurrency
}

func decodeTrigger(st *store.Schedule) (*triggerDef, error) {
	var sp triggerSpec
	if err := json.Unmarshal(st.Spec, &sp); err != nil {
		return nil, fmt.Errorf("trigger %s: stored definition: %w", st.Name, err)
	}
	poll, err1 := time.ParseDuration(sp.Poll)
	timeout, err2 := time.ParseDuration(sp.Timeout)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("trigger %s: stored definition: %w", st.Name, err)
	}
	return &triggerDef{Poll: poll, Timeout: timeout, Concurrency: TriggerConcurrency(sp.Concurrency)}, nil
}

// leaseTTL is how long a trigger's polling lease lasts: a holder renews it
// on every poll, so it outlives two polls and a slow one; a runner that
// dies holding it is replaced once it runs out.
func leaseTTL(t *Trigger) time.Duration { return 2*t.Poll + t.Timeout }

// runTrigger polls one trigger on its interval while this runner holds its
// lease. The runner owns it; it exits at shutdown. NewRunner counts its
// start as work in progress (see alarm.go); each poll counts until done.
func (r *Runner) runTrigger(t Trigger) {
	defer r.bg.Done()
	a := r.newAlarm()
	defer a.stop()
	a.set(0)
	r.act.Add(-1) // the start: the first poll is set
	for {
		select {
		case <-r.bgCtx.Done():
			return
		case <-a.C:
		}
		// The interval counts from the start of a poll, so a slow poll or
		// store does not stretch it.
		start := r.now()
		wait := r.pollTrigger(&t)
		a.set(start.Add(wait).Sub(r.now()))
		a.done()
	}
}

// pollTrigger polls the trigger once if this runner holds (or can take)
// its lease, and returns how long to wait before the next try.
func (r *Runner) pollTrigger(t *Trigger) time.Duration {
	ctx, cancel := context.WithTimeout(r.bgCtx, storeCallTimeout)
	defer cancel()
	log := r.log.With("trigger", t.Name, "workflow", t.Workflow)
	st, err := r.store.GetSchedule(ctx, t.Name)
	if err != nil {
		if r.bgCtx.Err() == nil {
			log.Error("read trigger", "error", err)
		}
		return t.Poll
	}
	if st.Kind != store.ScheduleTrigger || st.Origin != store.OriginCode || st.Disabled {
		return t.Poll // replaced through the API, or no longer declared by some runner
	}
	now := r.cfg.Clock.Now()
	if st.LeaseOwner != r.id && st.LeaseUntil.After(now) {
		return st.LeaseUntil.Sub(now) // another runner polls it; look again when its lease may have run out
	}
	held := *st
	held.LeaseOwner, held.LeaseUntil = r.id, now.Add(leaseTTL(t)).Truncate(time.Microsecond)
	saved, err := r.store.SaveSchedule(ctx, &store.SaveScheduleParams{RunnerID: r.id, Now: r.storeNow(), Schedule: &held, Revision: st.Revision, Quiet: true})
	if errors.Is(err, store.ErrScheduleChanged) {
		return t.Poll // another runner took it first
	}
	if err != nil {
		if r.bgCtx.Err() == nil {
			log.Error("take trigger lease", "error", err)
		}
		return t.Poll
	}
	if st.LeaseOwner != r.id {
		log.Info("trigger lease taken", "previous_owner", st.LeaseOwner)
	}
	input, err := r.callTrigger(t)
	if err != nil {
		if r.bgCtx.Err() == nil {
			log.Warn("trigger poll failed; polling again at the next interval", "error", err)
		}
		return t.Poll
	}
	if input == nil {
		return t.Poll
	}
	if err := r.fireTrigger(ctx, t, saved, input, now); err != nil && r.bgCtx.Err() == nil {
		log.Error("fire trigger", "error", err)
	}
	return t.Poll
}

// callTrigger calls the trigger's function with its timeout, turning a
// panic into an error.
func (r *Runner) callTrigger(t *Trigger) (c *Context, err error) {
	ctx, cancel := context.WithTimeoutCause(r.bgCtx, t.Timeout, &TimeoutError{After: t.Timeout})
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: string(debug.Stack())}
		}
	}()
	c, err = t.Func(ctx)
	if err == nil && ctx.Err() != nil {
		err = context.Cause(ctx) // it returned an input after its deadline: not trusted
		c = nil
	}
	return c, err
}

// fireTrigger starts the trigger's workflow with input, guarded by the
// lease just taken (revision of st), deduplicated on the input under
// ConcurrencyForbid.
func (r *Runner) fireTrigger(ctx context.Context, t *Trigger, st *store.Schedule, input *Context, at time.Time) error {
	raw, err := input.MarshalJSON()
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	var dedupe string
	if t.Concurrency == ConcurrencyForbid {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("input: %w", err)
		}
		sum := sha256.Sum256([]byte(canonicalJSON(v)))
		dedupe = hex.EncodeToString(sum[:])
	}
	at = at.Truncate(time.Microsecond)
	full := input.Clone()
	if err := addFireKeys(full, t.Name, at, store.FireTrigger); err != nil {
		return err
	}
	ne, err := r.newExecution(Submission{Workflow: t.Workflow, Input: full})
	if err != nil {
		return err
	}
	ne.Origin, ne.OriginName = OriginTrigger, t.Name
	res, err := r.store.FireSchedule(ctx, &store.FireScheduleParams{RunnerID: r.id, Now: r.storeNow(), Name: t.Name, Revision: st.Revision, State: st,
		Fires:  []*store.NewFire{{ScheduledAt: at, Kind: store.FireTrigger, Outcome: store.FireStarted, Dedupe: dedupe, Execution: ne}},
		Decide: r.decide})
	if err != nil {
		return err
	}
	r.created(res.Executions, res.Finished)
	log := r.log.With("trigger", t.Name, "workflow", t.Workflow)
	switch {
	case !res.Applied:
		log.Warn("trigger lease lost before its execution was stored; the next holder polls again")
	case len(res.Executions) == 1:
		log.Info("trigger fired", "execution_id", res.Executions[0].ID)
	case len(res.Fires) == 1 && res.Fires[0].Outcome == store.FireSkippedRunning:
		log.Debug("trigger skipped: an execution it started with the same input is unfinished", "concurrency", string(t.Concurrency))
	}
	return nil
}
