package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cloacina-go/cloacina/internal/cron"
	"github.com/cloacina-go/cloacina/internal/spec"
)

// CatchupPolicy says what a schedule does with ticks it missed while no
// runner was up (see Schedules in the package documentation).
type CatchupPolicy string

// Catch-up policies.
const (
	CatchupSkip   CatchupPolicy = spec.CatchupSkip   // fire none of the missed ticks
	CatchupLatest CatchupPolicy = spec.CatchupLatest // fire the most recent one, once (the default)
	CatchupAll    CatchupPolicy = spec.CatchupAll    // fire each, in order, at most MaxCatchup
)

// OverlapPolicy says what a tick does while the schedule's previous
// execution is unfinished.
type OverlapPolicy string

// Overlap policies.
const (
	OverlapSkip   OverlapPolicy = spec.OverlapSkip   // record the tick as skipped (the default)
	OverlapAllow  OverlapPolicy = spec.OverlapAllow  // start an execution regardless
	OverlapBuffer OverlapPolicy = spec.OverlapBuffer // start one once the previous ends
)

// TriggerConcurrency says whether a trigger may start an execution while
// one it started with the same input is unfinished.
type TriggerConcurrency string

// Trigger concurrency policies.
const (
	ConcurrencyForbid TriggerConcurrency = spec.ConcurrencyForbid // the default
	ConcurrencyAllow  TriggerConcurrency = spec.ConcurrencyAllow
)

// DefaultMaxCatchup bounds CatchupAll when MaxCatchup is 0.
const DefaultMaxCatchup = spec.DefaultMaxCatchup

// Keys every execution a schedule or trigger starts finds in its input,
// besides the schedule's Input.
const (
	// InputScheduledTime is the tick's time, RFC 3339 in the schedule's
	// time zone (for a trigger, the time of the poll).
	InputScheduledTime = spec.InputScheduledTime
	// InputSchedule is the schedule's or trigger's name.
	InputSchedule = spec.InputSchedule
	// InputFireKind says how it was started: "scheduled", "catchup",
	// "backfill", "manual" or "trigger".
	InputFireKind = spec.InputFireKind
)

// Schedule starts a workflow on the ticks of a cron expression. Declare
// one in code with //cloacina:schedule (or WorkflowBuilder.Schedule), or
// make one at run time with Runner.CreateSchedule. Zero fields take their
// defaults.
type Schedule struct {
	// Name identifies the schedule in its store. A schedule declared with
	// a workflow defaults to the workflow's name.
	Name string
	// Workflow is the workflow it starts. WorkflowBuilder.Schedule sets it.
	Workflow string
	// Cron is the expression: 5 fields (minute hour day-of-month month
	// day-of-week), 6 with seconds first, a descriptor (@daily, @hourly,
	// ...) or @every <duration>.
	Cron string
	// Timezone is the IANA zone Cron is read in (default "UTC"). The zone
	// database is embedded, so any name works in a minimal container.
	Timezone string
	// Catchup is the catch-up policy (default CatchupLatest), MaxCatchup
	// its bound for CatchupAll (default DefaultMaxCatchup).
	Catchup    CatchupPolicy
	MaxCatchup int
	// Overlap is the overlap policy (default OverlapSkip).
	Overlap OverlapPolicy
	// Input is a JSON object, the input of every execution it starts
	// (with the keys InputScheduledTime, InputSchedule and InputFireKind
	// added). Nil means {}.
	Input json.RawMessage
	// Start and End, when set, bound the ticks: none before Start, none
	// after End. An @every schedule's ticks are counted from Start (or the
	// Unix epoch).
	Start, End time.Time
	// Jitter delays each fire by up to this much, the same amount on every
	// runner (derived from the name and the tick), to spread load.
	Jitter time.Duration
	// Paused schedules fire nothing until resumed.
	Paused bool
}

// TriggerFunc is polled by a trigger. It returns the input of an
// execution to start, or nil to start nothing this time. An error or a
// panic is logged, and the trigger is polled again on its next interval.
type TriggerFunc func(ctx context.Context) (*Context, error)

// Trigger starts a workflow when a polled function says so. Declare one
// with //cloacina:trigger (or WorkflowBuilder.Trigger).
type Trigger struct {
	// Name identifies the trigger (for a generated one, the function's
	// name in snake case).
	Name string
	// Workflow is the workflow it starts. WorkflowBuilder.Trigger sets it.
	Workflow string
	// Func is polled.
	Func TriggerFunc
	// Poll is the interval between polls; it must be positive.
	Poll time.Duration
	// Timeout bounds one poll (default Poll, at most one minute).
	Timeout time.Duration
	// Concurrency is ConcurrencyForbid (the default) or ConcurrencyAllow.
	Concurrency TriggerConcurrency
}

// normalized returns a copy with defaults filled in, the input compacted,
// the bounds truncated to what a store keeps (microseconds), and checks
// it, reporting every problem.
func (s Schedule) normalized() (Schedule, *cron.Expr, *time.Location, error) {
	var errs []error
	if !spec.ValidWorkflowName(s.Name) {
		errs = append(errs, fmt.Errorf("Name %q: must match %s", s.Name, spec.WorkflowNameSyntax))
	}
	if !spec.ValidWorkflowName(s.Workflow) {
		errs = append(errs, fmt.Errorf("Workflow %q: must match %s", s.Workflow, spec.WorkflowNameSyntax))
	}
	expr, err := cron.Parse(s.Cron)
	if err != nil {
		errs = append(errs, fmt.Errorf("Cron: %w", err))
	}
	if s.Timezone == "" {
		s.Timezone = spec.DefaultTimezone
	}
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil || s.Timezone == "Local" {
		errs = append(errs, fmt.Errorf("Timezone %q: not an IANA time zone name", s.Timezone))
	}
	if s.Catchup == "" {
		s.Catchup = CatchupPolicy(spec.DefaultCatchup)
	}
	if !slices.Contains(spec.CatchupPolicies(), string(s.Catchup)) {
		errs = append(errs, fmt.Errorf("Catchup %q: must be skip, latest or all", s.Catchup))
	}
	if s.MaxCatchup == 0 {
		s.MaxCatchup = DefaultMaxCatchup
	}
	if s.MaxCatchup < 0 {
		errs = append(errs, fmt.Errorf("MaxCatchup must be positive, got %d", s.MaxCatchup))
	}
	if s.Overlap == "" {
		s.Overlap = OverlapPolicy(spec.DefaultOverlap)
	}
	if !slices.Contains(spec.OverlapPolicies(), string(s.Overlap)) {
		errs = append(errs, fmt.Errorf("Overlap %q: must be skip, allow or buffer", s.Overlap))
	}
	if len(s.Input) == 0 {
		s.Input = json.RawMessage(`{}`)
	}
	var v any
	var buf bytes.Buffer
	if err := json.Unmarshal(s.Input, &v); err != nil {
		errs = append(errs, fmt.Errorf("Input: not valid JSON: %w", err))
	} else if _, ok := v.(map[string]any); !ok {
		errs = append(errs, fmt.Errorf(`Input: must be a JSON object such as {"mode":"full"}, not %s`, spec.JSONKind(v)))
	} else if err := json.Compact(&buf, s.Input); err == nil {
		s.Input = buf.Bytes()
	}
	s.Start, s.End = s.Start.Truncate(time.Microsecond), s.End.Truncate(time.Microsecond)
	if !s.Start.IsZero() && !s.End.IsZero() && !s.End.After(s.Start) {
		errs = append(errs, fmt.Errorf("End (%s) must be after Start (%s)", s.End.Format(time.RFC3339), s.Start.Format(time.RFC3339)))
	}
	if s.Jitter < 0 {
		errs = append(errs, fmt.Errorf("Jitter must not be negative, got %s", s.Jitter))
	}
	if len(errs) > 0 {
		return s, nil, nil, fmt.Errorf("schedule %s: %w", s.Name, errors.Join(errs...))
	}
	return s, expr, loc, nil
}

// normalized returns a copy with defaults filled in and checks it.
func (t Trigger) normalized() (Trigger, error) {
	var errs []error
	if !spec.ValidWorkflowName(t.Name) {
		errs = append(errs, fmt.Errorf("Name %q: must match %s", t.Name, spec.WorkflowNameSyntax))
	}
	if t.Func == nil {
		errs = append(errs, errors.New("Func is nil"))
	}
	if t.Poll <= 0 {
		errs = append(errs, fmt.Errorf("Poll must be positive, got %s", t.Poll))
	}
	if t.Timeout < 0 {
		errs = append(errs, fmt.Errorf("Timeout must not be negative, got %s", t.Timeout))
	}
	if t.Timeout == 0 {
		t.Timeout = min(t.Poll, spec.DefaultTriggerTimeout)
	}
	if t.Concurrency == "" {
		t.Concurrency = TriggerConcurrency(spec.DefaultConcurrency)
	}
	if !slices.Contains(spec.ConcurrencyPolicies(), string(t.Concurrency)) {
		errs = append(errs, fmt.Errorf("Concurrency %q: must be forbid or allow", t.Concurrency))
	}
	if len(errs) > 0 {
		return t, fmt.Errorf("trigger %s: %w", t.Name, errors.Join(errs...))
	}
	return t, nil
}

// Schedule adds a schedule that starts this workflow. Its Workflow is set
// to the workflow's name, and an empty Name to the same. Build checks it.
func (b *WorkflowBuilder) Schedule(s Schedule) *WorkflowBuilder {
	b.schedules = append(b.schedules, s)
	return b
}

// Trigger adds a trigger that starts this workflow. Its Workflow is set to
// the workflow's name. Build checks it.
func (b *WorkflowBuilder) Trigger(t Trigger) *WorkflowBuilder {
	b.triggers = append(b.triggers, t)
	return b
}

// buildSchedules checks the builder's schedules and triggers into w.
func (b *WorkflowBuilder) buildSchedules(w *Workflow, fail func(kind ValidationKind, task, detail string) *ValidationError) {
	names := map[string]string{}
	taken := func(name, what string) bool {
		if prev, ok := names[name]; ok {
			fail(InvalidSchedule, "", fmt.Sprintf("%s %q: the name is taken by a %s of the workflow", what, name, prev))
			return true
		}
		names[name] = what
		return false
	}
	for _, s := range b.schedules {
		s.Workflow = w.name
		if s.Name == "" {
			s.Name = w.name
		}
		n, _, _, err := s.normalized()
		if err != nil {
			fail(InvalidSchedule, "", err.Error())
			continue
		}
		if err := w.checkScheduleInput(n); err != nil {
			fail(InvalidSchedule, "", err.Error())
			continue
		}
		if !taken(n.Name, "schedule") {
			w.schedules = append(w.schedules, n)
		}
	}
	for _, t := range b.triggers {
		t.Workflow = w.name
		n, err := t.normalized()
		if err != nil {
			fail(InvalidSchedule, "", err.Error())
			continue
		}
		if !taken(n.Name, "trigger") {
			w.triggers = append(w.triggers, n)
		}
	}
}

// checkScheduleInput checks a normalized schedule's input against the
// workflow's declared inputs, so that a schedule every fire of which would
// be refused does not build.
func (w *Workflow) checkScheduleInput(s Schedule) error {
	if !w.inputsDeclared {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(s.Input, &obj); err != nil {
		return fmt.Errorf("schedule %s: Input: %w", s.Name, err) // unreachable: normalized checked it
	}
	if err := checkInput(w.name, w.inputs, obj); err != nil {
		return fmt.Errorf("schedule %s: Input: %w", s.Name, err)
	}
	return nil
}

// Schedules returns the schedules declared with the workflow, with their
// defaults filled in.
func (w *Workflow) Schedules() []Schedule { return append([]Schedule(nil), w.schedules...) }

// Triggers returns the triggers declared with the workflow, with their
// defaults filled in.
func (w *Workflow) Triggers() []Trigger { return append([]Trigger(nil), w.triggers...) }
