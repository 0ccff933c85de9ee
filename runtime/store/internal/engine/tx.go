package engine

import (
	"context"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// Backend runs write transactions for the engine.
type Backend interface {
	// Write runs op in one write transaction and commits it; it returns
	// op's error (after rolling back) or the commit's. now is the
	// transaction's time: zero means the backend's clock. runner is the
	// runner the transaction writes for (claims and events name it).
	Write(ctx context.Context, now time.Time, runner string, op func(Tx) error) error
}

// Key names a task of an execution.
type Key struct{ Exec, Task string }

// Less orders keys by execution, then task: the order the engine passes
// rows in (see Lock order in the package documentation).
func (k Key) Less(o Key) bool {
	if k.Exec != o.Exec {
		return k.Exec < o.Exec
	}
	return k.Task < o.Task
}

// TaskRow is the part of a stored task the write paths need.
type TaskRow struct {
	ID              int64
	Exec            string
	Task            string
	WorkflowName    string
	WorkflowVersion string
	Deps            []string
	RuleTasks       []string
	Dependents      []string
	// Claim is what claiming the task in the same transaction needs; only
	// Unblock fills it.
	Claim *ClaimInfo
}

// ClaimInfo is what an unblocked task's claim needs beyond its row: the
// task's claim state and its execution's deadline and meta.
type ClaimInfo struct {
	Held        bool // the execution is paused
	Attempt     int  // attempts so far
	MaxAttempts int
	Deadline    time.Time // zero for none
	FirstClaim  bool      // the execution has not started
	Meta        []byte
	Now         time.Time // the transaction's time, when the task becomes claimable
	Created     time.Time // the execution's creation: the task's place in the ready queue
}

// Key returns the row's key.
func (r *TaskRow) Key() Key { return Key{Exec: r.Exec, Task: r.Task} }

// ExecValue is an out-of-line value of an execution.
type ExecValue struct {
	Exec  string
	Value store.Value
}

// ExecRow is an execution to insert, with its pending state.
type ExecRow struct {
	ID, WorkflowName, WorkflowVersion, Tenant string
	Input                                     store.Doc
	TasksTotal                                int
	// Leaves counts the tasks nothing depends on: the execution ends when
	// they are all terminal (see Counter).
	Leaves                             int
	Timeout                            time.Duration // > 0 sets the deadline
	IdempotencyKey, Origin, OriginName string
	Meta                               []byte
	// CreatedAt and Deadline are set by the backend once Write returns.
	CreatedAt, Deadline time.Time
}

// NewTaskRow is a task to insert. A root task is inserted in its decided
// state (ready, skipped or failed); the others as not started.
type NewTaskRow struct {
	Exec, Task                  string
	WorkflowName, Version       string
	Position                    int
	Deps, RuleTasks, Dependents []string
	MaxAttempts                 int
	State                       store.TaskState
	Input                       *store.Doc // decided roots
	Reason                      string     // skip reason (skipped) or error (failed)
}

// OutcomeRow is an outcome to record, with its kind's fields.
type OutcomeRow struct {
	Key
	Attempt     int
	Output      *store.Doc // succeeded; nil: the output is the input
	Error       string
	ErrorDetail []byte
	RetryDelay  time.Duration
}

// Decided is a decision to store for a task that was not started.
type Decided struct {
	ID     int64
	State  store.TaskState // ready, skipped or failed
	Input  *store.Doc      // ready and skipped
	Reason string          // skip reason, or the error of a failed decision
	// Claim, for a Ready task, claims it at once for the transaction's
	// runner: it is stored Running at its next attempt, as Claim would.
	Claim bool
	// Queue, for a Ready task, is its place in the ready queue (its
	// retry_at): its execution's creation time, zero for now.
	Queue time.Time
}

// Claimed is a task a claim took, with what the engine needs beyond it.
type Claimed struct {
	store.ClaimedTask
	// FirstClaim is true when the task's execution had not started: the
	// claim starts it.
	FirstClaim bool
}

// StaleRow is a running task whose heartbeat is older than the horizon,
// locked by StaleClaims.
type StaleRow struct {
	TaskRow
	Attempt, Recoveries int
	Owner               string
}

// EndedTask is a task FinishExecution ended.
type EndedTask struct {
	Task    string
	Attempt int
	State   store.TaskState // skipped or cancelled
}

// Counter is the change a transaction makes to an execution's counters.
// An execution ends when its leaves (the tasks nothing depends on) are all
// terminal: a task is decided only once its dependencies are terminal, and
// every task is a leaf or upstream of one, so the leaves end last. Counting
// only them leaves the execution's row alone while inner tasks finish.
type Counter struct {
	Exec string
	// Terminal counts leaves that became terminal, Failed any task that
	// failed.
	Terminal, Failed int
	// FirstError is the error of the first task that failed, for the
	// execution's error.
	FirstError string
	// Start makes a Pending execution Running.
	Start bool
}

// CounterSet returns the SET list of the UPDATE that applies Counters to
// their executions' rows, aliased e, from a row source aliased d with the
// columns id, n (Terminal), f (Failed), m (FirstError) and s (Start); now
// is the dialect's expression of the operation's time. SET expressions see
// the row as it was, so the CASEs test the counts before the update: the
// execution ends, failed if any task failed, when its last leaves became
// terminal. Both dialects share it, so the rule is written once.
func CounterSet(now string) string {
	return `leaves_remaining = e.leaves_remaining - d.n,
		tasks_failed = e.tasks_failed + d.f,
		error = CASE WHEN e.error = '' THEN d.m ELSE e.error END,
		state = CASE WHEN e.leaves_remaining - d.n <= 0 AND e.state IN ('pending', 'running', 'paused')
			THEN CASE WHEN e.tasks_failed + d.f > 0 THEN 'failed' ELSE 'completed' END
			WHEN d.s AND e.state = 'pending' THEN 'running'
			ELSE e.state END,
		started_at = CASE WHEN d.s AND e.started_at IS NULL THEN ` + now + ` ELSE e.started_at END,
		completed_at = CASE WHEN e.leaves_remaining - d.n <= 0 AND e.state IN ('pending', 'running', 'paused')
			THEN ` + now + ` ELSE e.completed_at END`
}

// Event is an event to append.
type Event struct {
	Exec, Task, Kind, Message string
	Attempt                   int
}

// Final is what Finish writes at the end of every operation.
type Final struct {
	// Events to append, in order.
	Events []Event
	// Counters to apply, sorted by execution id. Applying them ends every
	// execution left with no task to run (Completed, or Failed when a task
	// failed); Finish appends an execution_completed or execution_failed
	// event for each, notifies NotifyExecutionFinished, and returns them.
	Counters []Counter
	// Ready asks for NotifyTasksReady: tasks became claimable that this
	// operation did not claim itself.
	Ready bool
	// Changed and Ended ask for NotifyExecutionChanged and
	// NotifyExecutionFinished about these executions.
	Changed, Ended []string
	// Schedules asks for NotifySchedulesChanged.
	Schedules bool
}

// Tx is the statements of one write transaction. See the package
// documentation for what may be deferred. Rows are passed sorted by Key
// unless a method says otherwise.
type Tx interface {
	ScheduleTx
	HistoryTx

	// InsertValues stores out-of-line values, keeping one already stored
	// for its execution.
	InsertValues(vals []ExecValue) error
	// ExecutionsByKey returns the stored executions that have one of the
	// idempotency keys, by key (ID, workflow, version, tenant, state and
	// key are enough).
	ExecutionsByKey(keys []string) (map[string]*store.Execution, error)
	// InsertExecutions inserts executions as Pending, their deadlines
	// from Timeout, and sets CreatedAt and Deadline. An idempotency key
	// that another transaction stored first fails it with ErrKeyTaken.
	InsertExecutions(rows []*ExecRow) error
	// InsertTasks inserts tasks; not-started tasks count their deps as
	// pending.
	InsertTasks(rows []*NewTaskRow) error

	// RecordOutcomes records outcomes of one kind, each only if its task
	// is Running, claimed by this transaction's runner, at its attempt,
	// and returns the rows it changed. Succeeded: Completed with its
	// output (or its input); Retry: Ready again at now + RetryDelay with
	// the error; Failed: Failed with the error, its output its input.
	RecordOutcomes(kind store.OutcomeKind, outs []*OutcomeRow) ([]*TaskRow, error)
	// Unblock lowers the count of pending dependencies of not-started
	// tasks by n and returns those left with none, and the state and output
	// of every dependency and rule task of those, with Claim filled. The
	// tasks it returns must be locked and decided with SetDecided; a
	// backend may leave their count as it was, since a decided task's
	// count is never read again.
	Unblock(keys []Key, n []int) ([]*TaskRow, map[Key]*store.DepResult, error)
	// LoadInputs returns the input contexts of executions.
	LoadInputs(ids []string) (map[string]store.Doc, error)
	// LoadValues returns out-of-line values of an execution.
	LoadValues(exec string, hashes []string) (map[string][]byte, error)
	// SetDecided stores decisions about not-started tasks, by row id: a
	// Ready task is claimable from now, queued at Queue (or Running for the
	// runner from now, with Claim), a Skipped or Failed one is complete
	// now.
	SetDecided(ds []*Decided) error

	// Claim marks up to limit Ready tasks claimable at now as Running for
	// the runner (oldest retry time first, skipping paused executions and
	// rows another transaction holds), restricted to workflows unless it
	// is nil. It returns them, and the earliest retry time after now of a
	// Ready task (zero for none).
	Claim(limit int, workflows []string) ([]*Claimed, time.Time, error)
	// Heartbeat refreshes the heartbeat of those of the given tasks the
	// runner holds, and returns which it holds.
	Heartbeat(refs []store.TaskRef) (map[Key]bool, error)
	// StaleClaims locks and returns Running tasks whose heartbeat is older
	// than now - staleAfter, skipping rows another transaction holds.
	StaleClaims(staleAfter time.Duration) ([]*StaleRow, error)
	// Requeue makes stale tasks Ready now, counting a recovery.
	Requeue(ids []int64) error
	// Abandon fails stale tasks with the given errors.
	Abandon(ids []int64, errs []string) error

	// ExecutionState returns an execution's state, or an error wrapping
	// store.ErrNotFound.
	ExecutionState(id string) (store.ExecutionState, error)
	// EndTasks ends an execution's non-terminal tasks with reason as
	// their skip reason: those that had started (Running, or Ready after
	// an attempt) become Cancelled, the others Skipped. Claims are dropped.
	EndTasks(exec, reason string) ([]*EndedTask, error)
	// EndExecution ends a Pending, Running or Paused execution in state
	// with reason as its error, and reports whether it did.
	EndExecution(exec string, state store.ExecutionState, reason string) (bool, error)
	// SetHeld holds (or releases) an execution's non-terminal tasks, so
	// that claims skip them.
	SetHeld(exec string, held bool) error
	// SetPausedState makes a Pending or Running execution Paused, or a
	// Paused one Pending (if it never started) or Running, and reports
	// whether it did.
	SetPausedState(exec string, paused bool) (bool, error)

	// Finish writes f, ends the executions its counters finish, and
	// returns them. It is the last call of an operation.
	Finish(f *Final) ([]store.FinishedExecution, error)
}
