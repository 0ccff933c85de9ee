package store

import (
	"context"
	"errors"
	"time"
)

// Schedule errors.
var (
	// ErrScheduleExists: a schedule with the name is stored already.
	ErrScheduleExists = errors.New("a schedule with this name exists already")
	// ErrScheduleNotFound: no schedule with the name.
	ErrScheduleNotFound = errors.New("schedule not found")
	// ErrScheduleChanged: the schedule's revision is not the one the
	// caller read; another runner or call changed it since.
	ErrScheduleChanged = errors.New("schedule was changed concurrently")
)

// Kinds of stored schedule.
const (
	ScheduleCron    = "cron"    // fires on the ticks of a cron expression
	ScheduleTrigger = "trigger" // a polled trigger
)

// Origins of a stored schedule.
const (
	OriginCode = "code" // declared with a workflow; reconciled by runners
	OriginAPI  = "api"  // made through the runner's API; left alone by reconciliation
)

// Fire kinds: why an execution was started, or a tick handled.
const (
	FireScheduled = "scheduled" // a tick, on time
	FireCatchup   = "catchup"   // a tick missed while no runner was up
	FireBackfill  = "backfill"  // a tick of a backfilled time range
	FireManual    = "manual"    // started now through the API
	FireTrigger   = "trigger"   // a trigger's poll returned an input
)

// Fire outcomes.
const (
	FireStarted        = "started"         // an execution was created
	FireSkippedOverlap = "skipped_overlap" // the previous execution was unfinished
	FireSkippedRunning = "skipped_running" // a trigger with concurrency=forbid: one with this input is unfinished
)

// Schedule is a stored schedule or trigger: its definition, which the
// store keeps as an opaque JSON document, and its state, which runners
// update as they fire it. Every write of a schedule raises its Revision,
// and writes that name a revision apply only to that one, so two runners
// never both act on one state.
type Schedule struct {
	Name     string
	Kind     string // ScheduleCron or ScheduleTrigger
	Workflow string
	// Spec is the definition (cron expression, zone, policies, input), a
	// JSON document the runtime reads and writes.
	Spec     []byte
	Origin   string // OriginCode or OriginAPI
	Paused   bool
	Disabled bool // a code schedule its workflow no longer declares
	// NextAt is the next tick not yet handled; zero for none (ended, or a
	// trigger).
	NextAt time.Time
	// LastAt is the latest tick handled.
	LastAt time.Time
	// LastExecution is the execution the latest fire started, for the
	// overlap policy.
	LastExecution string
	// BufferedAt is a tick held back by overlap=buffer until LastExecution
	// ends; zero for none.
	BufferedAt                     time.Time
	SkippedOverlap, SkippedCatchup int64
	// LeaseOwner holds a trigger's polling lease until LeaseUntil.
	LeaseOwner string
	LeaseUntil time.Time
	Revision   int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Fire is one handled tick or trigger poll of a schedule. A schedule has
// at most one fire per ScheduledAt.
type Fire struct {
	Schedule    string
	ScheduledAt time.Time
	Kind        string // a Fire kind
	Outcome     string // a Fire outcome
	ExecutionID string // set when Outcome is FireStarted
	// Dedupe is a trigger's hash of its input, for concurrency=forbid.
	Dedupe  string
	FiredAt time.Time
}

// NewFire is a fire to record. Execution is created with it when set
// (Outcome FireStarted), in the same transaction.
type NewFire struct {
	ScheduledAt time.Time
	Kind        string
	Outcome     string
	Dedupe      string
	Execution   *NewExecution
}

// SaveScheduleParams are the arguments of SaveSchedule.
type SaveScheduleParams struct {
	RunnerID string
	Now      time.Time
	Schedule *Schedule
	// Revision is the revision the caller read, or 0 to insert a new
	// schedule.
	Revision int64
	// Quiet saves wake no other runner (NotifySchedulesChanged): for state
	// only the saving runner acts on, such as a trigger's lease.
	Quiet bool
}

// FireScheduleParams are the arguments of FireSchedule.
type FireScheduleParams struct {
	RunnerID string
	Now      time.Time
	Name     string
	// Revision, when not 0, makes the call apply only if the schedule is
	// still at this revision; State then holds the schedule's new state
	// (NextAt, LastAt, LastExecution, BufferedAt, the skip counts and the
	// lease), written with the fires. With 0 the state is left alone.
	Revision int64
	State    *Schedule
	Fires    []*NewFire
	Decide   DecideFunc
}

// FireScheduleResult is the answer of FireSchedule.
type FireScheduleResult struct {
	// Applied is false when the schedule's revision had changed: nothing
	// was written.
	Applied bool
	// Fires are the fires recorded, in the order given, less those whose
	// ScheduledAt the schedule had already fired. A fire whose Dedupe
	// matches an unfinished execution of the schedule is recorded with
	// outcome FireSkippedRunning and no execution.
	Fires []*Fire
	// Executions are the executions created, in the order of Fires.
	Executions []*Execution
	Finished   []FinishedExecution
	Readied    int
}

// ScheduleStore is the part of Store that keeps schedules.
type ScheduleStore interface {
	// SaveSchedule inserts a schedule (p.Revision 0; ErrScheduleExists if
	// the name is taken) or replaces one at p.Revision (ErrScheduleChanged
	// if it is at another, ErrScheduleNotFound if it is gone), and returns
	// it as stored, with its new revision.
	SaveSchedule(ctx context.Context, p *SaveScheduleParams) (*Schedule, error)
	// DeleteSchedule deletes a schedule and its fires (the executions it
	// started stay) and reports whether it existed.
	DeleteSchedule(ctx context.Context, name string) (bool, error)
	// FireSchedule records fires of a schedule and creates their
	// executions in one transaction; see FireScheduleParams.
	FireSchedule(ctx context.Context, p *FireScheduleParams) (*FireScheduleResult, error)
	// GetSchedule returns a schedule, or an error wrapping
	// ErrScheduleNotFound.
	GetSchedule(ctx context.Context, name string) (*Schedule, error)
	// ListSchedules returns every schedule, by name.
	ListSchedules(ctx context.Context) ([]*Schedule, error)
	// ListFires returns a schedule's most recent fires, newest first, at
	// most limit.
	ListFires(ctx context.Context, name string, limit int) ([]*Fire, error)
}
