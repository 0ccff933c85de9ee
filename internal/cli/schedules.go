package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/cloacina-go/cloacina/internal/suggest"
	"github.com/cloacina-go/cloacina/runtime"
)

// scheduleJSON is a schedule in --json output.
type scheduleJSON struct {
	Name            string    `json:"name"`
	Workflow        string    `json:"workflow"`
	Cron            string    `json:"cron"`
	Timezone        string    `json:"timezone"`
	Catchup         string    `json:"catchup"`
	Overlap         string    `json:"overlap"`
	State           string    `json:"state"`
	Origin          string    `json:"origin"`
	NextFire        time.Time `json:"next_fire,omitzero"`
	LastTick        time.Time `json:"last_tick,omitzero"`
	LastExecutionID string    `json:"last_execution_id,omitempty"`
	SkippedOverlap  int64     `json:"skipped_overlap"`
	SkippedCatchup  int64     `json:"skipped_catchup"`
	// NextFires and RecentFires are filled by describe.
	NextFires   []time.Time `json:"next_fires,omitempty"`
	RecentFires []fireJSON  `json:"recent_fires,omitempty"`
}

type fireJSON struct {
	ScheduledAt time.Time `json:"scheduled_at"`
	Kind        string    `json:"kind"`
	Outcome     string    `json:"outcome"`
	ExecutionID string    `json:"execution_id,omitempty"`
	Status      string    `json:"status,omitempty"`
	FiredAt     time.Time `json:"fired_at,omitzero"`
}

// scheduleState is "active", "paused" or "disabled".
func scheduleState(s runtime.ScheduleInfo) string {
	switch {
	case s.Disabled:
		return "disabled"
	case s.Paused:
		return "paused"
	}
	return "active"
}

func toScheduleJSON(s runtime.ScheduleInfo) scheduleJSON {
	return scheduleJSON{Name: s.Name, Workflow: s.Workflow, Cron: s.Cron, Timezone: s.Timezone, Catchup: string(s.Catchup),
		Overlap: string(s.Overlap), State: scheduleState(s), Origin: s.Origin, NextFire: s.NextFire, LastTick: s.LastTick,
		LastExecutionID: s.LastExecutionID, SkippedOverlap: s.SkippedOverlap, SkippedCatchup: s.SkippedCatchup}
}

func schedList(ctx context.Context, c *call) error {
	if len(c.args) > 0 {
		return usagef("unexpected argument %q", c.args[0])
	}
	return c.withRunner(ctx, func(r *runtime.Runner) error {
		scheds, err := r.ListSchedules(ctx)
		if err != nil {
			return fmt.Errorf("list schedules: %w", err)
		}
		if c.g.json {
			out := make([]scheduleJSON, len(scheds))
			for i, s := range scheds {
				out[i] = toScheduleJSON(s)
			}
			return writeJSON(c.env.Stdout, out)
		}
		if len(scheds) == 0 {
			fmt.Fprintln(c.env.Stderr, "no schedules")
			return nil
		}
		t := newTable(c.env.Stdout, "NAME", "WORKFLOW", "CRON", "TIMEZONE", "STATE", "NEXT FIRE", "LAST EXECUTION", "ORIGIN")
		for _, s := range scheds {
			t.row(s.Name, s.Workflow, s.Cron, s.Timezone, scheduleState(s), fmtTime(s.NextFire), s.LastExecutionID, s.Origin)
		}
		return t.flush()
	})
}

// scheduleErr explains a schedule that is not stored, with the closest
// names.
func scheduleErr(ctx context.Context, r *runtime.Runner, name string, err error) error {
	if !errors.Is(err, runtime.ErrScheduleNotFound) {
		return err
	}
	msg := fmt.Sprintf("no schedule %q", name)
	if scheds, lerr := r.ListSchedules(ctx); lerr == nil {
		var names []string
		for _, s := range scheds {
			names = append(names, s.Name)
		}
		msg += suggest.DidYouMean(name, names)
	}
	return errors.New(msg + "\n  hint: 'cloacina schedules list' shows them")
}

func schedDescribeFlags(fs *flag.FlagSet) {
	fs.Int("fires", 5, "how many next and recent fires to show")
}

func schedDescribe(ctx context.Context, c *call) error {
	name, err := c.oneID("schedule name")
	if err != nil {
		return err
	}
	n := c.flagInt("fires")
	if n <= 0 {
		return usagef("--fires must be positive")
	}
	return c.withRunner(ctx, func(r *runtime.Runner) error {
		d, err := r.DescribeSchedule(ctx, name, n)
		if err != nil {
			return scheduleErr(ctx, r, name, err)
		}
		if c.g.json {
			out := toScheduleJSON(d.ScheduleInfo)
			out.NextFires = d.NextFires
			for _, f := range d.RecentFires {
				out.RecentFires = append(out.RecentFires, toFireJSON(f))
			}
			return writeJSON(c.env.Stdout, out)
		}
		w := c.env.Stdout
		t := newTable(w)
		t.row("Schedule", d.Name)
		t.row("Workflow", d.Workflow)
		t.row("Cron", d.Cron+" ("+d.Timezone+")")
		t.row("State", scheduleState(d.ScheduleInfo))
		t.row("Origin", d.Origin)
		t.row("Catch-up", string(d.Catchup))
		t.row("Overlap", string(d.Overlap))
		if d.Jitter > 0 {
			t.row("Jitter", d.Jitter.String())
		}
		t.row("Last tick", fmtTime(d.LastTick))
		t.row("Skipped", fmt.Sprintf("%d overlapping, %d catch-up", d.SkippedOverlap, d.SkippedCatchup))
		if err := t.flush(); err != nil {
			return err
		}
		fmt.Fprintln(w, "\nNext fires:")
		if len(d.NextFires) == 0 {
			fmt.Fprintln(w, "  none")
		}
		for _, f := range d.NextFires {
			fmt.Fprintf(w, "  %s\n", fmtTime(f))
		}
		fmt.Fprintln(w, "\nRecent fires:")
		if len(d.RecentFires) == 0 {
			fmt.Fprintln(w, "  none")
			return nil
		}
		t = newTable(w, "SCHEDULED", "KIND", "OUTCOME", "EXECUTION", "STATUS")
		for _, f := range d.RecentFires {
			j := toFireJSON(f)
			t.row(fmtTime(f.ScheduledAt), f.Kind, f.Outcome, f.ExecutionID, j.Status)
		}
		return t.flush()
	})
}

func toFireJSON(f runtime.ScheduleFire) fireJSON {
	j := fireJSON{ScheduledAt: f.ScheduledAt, Kind: f.Kind, Outcome: f.Outcome, ExecutionID: f.ExecutionID, FiredAt: f.FiredAt}
	if f.Status != nil {
		j.Status = f.Status.String()
	}
	return j
}

// schedAct pauses or resumes a schedule.
func schedAct(ctx context.Context, c *call, verb string, act func(r *runtime.Runner, name string) (bool, error)) error {
	name, err := c.oneID("schedule name")
	if err != nil {
		return err
	}
	return c.withRunner(ctx, func(r *runtime.Runner) error {
		changed, err := act(r, name)
		if err != nil {
			return scheduleErr(ctx, r, name, err)
		}
		if c.g.json {
			return writeJSON(c.env.Stdout, struct {
				Name    string `json:"name"`
				Changed bool   `json:"changed"`
			}{name, changed})
		}
		if changed {
			fmt.Fprintf(c.env.Stdout, "%s schedule %s\n", verb, name)
		} else {
			fmt.Fprintf(c.env.Stdout, "schedule %s was already %s\n", name, verb)
		}
		return nil
	})
}

func schedPause(ctx context.Context, c *call) error {
	return schedAct(ctx, c, "paused", func(r *runtime.Runner, name string) (bool, error) { return r.PauseSchedule(ctx, name) })
}

func schedResume(ctx context.Context, c *call) error {
	return schedAct(ctx, c, "resumed", func(r *runtime.Runner, name string) (bool, error) { return r.ResumeSchedule(ctx, name) })
}

func schedTrigger(ctx context.Context, c *call) error {
	name, err := c.oneID("schedule name")
	if err != nil {
		return err
	}
	return c.withRunner(ctx, func(r *runtime.Runner) error {
		ex, err := r.TriggerSchedule(ctx, name)
		if err != nil {
			return scheduleErr(ctx, r, name, err)
		}
		if !c.flagBool("wait") {
			return printStarted(c, ex)
		}
		return follow(ctx, c, r, ex)
	})
}

func trigList(ctx context.Context, c *call) error {
	if len(c.args) > 0 {
		return usagef("unexpected argument %q", c.args[0])
	}
	return c.withRunner(ctx, func(r *runtime.Runner) error {
		trs, err := r.ListTriggers(ctx)
		if err != nil {
			return fmt.Errorf("list triggers: %w", err)
		}
		if c.g.json {
			type trigJSON struct {
				Name        string    `json:"name"`
				Workflow    string    `json:"workflow"`
				PollMS      int64     `json:"poll_ms"`
				TimeoutMS   int64     `json:"timeout_ms,omitempty"`
				Concurrency string    `json:"concurrency"`
				Origin      string    `json:"origin"`
				Disabled    bool      `json:"disabled"`
				LeaseOwner  string    `json:"lease_owner,omitempty"`
				LeaseUntil  time.Time `json:"lease_until,omitzero"`
			}
			out := []trigJSON{}
			for _, t := range trs {
				out = append(out, trigJSON{t.Name, t.Workflow, t.Poll.Milliseconds(), t.Timeout.Milliseconds(), string(t.Concurrency),
					t.Origin, t.Disabled, t.LeaseOwner, t.LeaseUntil})
			}
			return writeJSON(c.env.Stdout, out)
		}
		if len(trs) == 0 {
			fmt.Fprintln(c.env.Stderr, "no triggers")
			return nil
		}
		t := newTable(c.env.Stdout, "NAME", "WORKFLOW", "POLL", "CONCURRENCY", "STATE", "POLLED BY", "LEASE UNTIL")
		for _, tr := range trs {
			state := "active"
			if tr.Disabled {
				state = "disabled"
			}
			t.row(tr.Name, tr.Workflow, tr.Poll.String(), string(tr.Concurrency), state, tr.LeaseOwner, fmtTime(tr.LeaseUntil))
		}
		return t.flush()
	})
}
