// Package store is the storage seam of the executor: the interface every
// backend implements, the rows it stores, and the errors it returns.
//
// A backend persists executions, their tasks, the contexts flowing between
// tasks and an append-only event log. It knows nothing of Go task functions
// or trigger rules: whenever a task's dependencies are all terminal, it asks
// the caller's DecideFunc whether the task runs (and with which input) or is
// skipped, inside the same transaction that made the last dependency
// terminal. That is the push scheduling of the execution model: readiness is
// decided where the completion is recorded, so nothing needs to poll.
//
// Backends: runtime/store/sqlite (embedded default) and
// runtime/store/postgres. Both are thin dialects of one engine
// (runtime/store/internal/engine), which holds the algorithm, and both pass
// the conformance suite in runtime/store/storetest.
//
// # Guarantees a backend gives
//
//   - Every write about a claimed task is guarded by its claim: the runner id,
//     the Running state and the attempt number. A runner that lost a claim
//     (its task was recovered by another) changes nothing.
//   - ClaimTasks never hands the same Ready task to two callers.
//   - Completing a task, deciding its dependents, finishing its execution
//     and appending the events happen in one transaction.
//   - Each terminal transition of a task is recorded exactly once.
//
// # Time
//
// Every write takes a Now. The zero value means the store's own clock: the
// database server's on PostgreSQL (so runners on hosts with skewed clocks
// agree), the process's on SQLite. A caller with a clock of its own, such as
// a test on a fake clock, passes its time, and every stored time and every
// horizon (retry times, stale heartbeats, deadlines) is then computed from
// it.
//
// # The event log
//
// Every write appends events in its own transaction. ListEvents reads one
// execution's; ReadEvents follows the whole log from a Cursor, in the
// order its events became visible, so that a follower in any process,
// reading on from the cursor it was given, sees each event once and
// misses none. On SQLite one writer at a time appends, and ids are in
// commit order; on PostgreSQL ids are not, and the cursor orders events by
// their transaction (see Cursor). A backend that can notify other
// processes (Notifier) tells them whenever it appended events.
//
// # Contexts
//
// A context is stored as a Doc: a JSON object of the values kept inline,
// and references to values kept out of line. A value larger than
// InlineLimit is stored once per execution as a Value, addressed by a
// hash of its JSON (BLAKE3-256; SHA-256 for values stored by earlier
// versions), and every context that holds it unchanged refers to it by
// that hash. A store treats the hash as an opaque key. So a large input flows through any number of tasks but
// is written once, and a task that does not read it never loads it
// (LoadValues fetches values on demand).
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors shared by every backend. Backends wrap them with what was
// being done; compare with errors.Is.
var (
	// ErrNotFound: no execution with the given id.
	ErrNotFound = errors.New("not found")
	// ErrSchemaTooNew: the database was migrated by a newer version of this
	// library than the running one; the store refuses to touch it.
	ErrSchemaTooNew = errors.New("database schema is newer than this version of cloacina supports")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store is closed")
	// ErrDuplicateID: an execution with the given id exists already.
	ErrDuplicateID = errors.New("an execution with this id exists already")
)

// TaskState is a task's state as stored.
type TaskState string

// Task states. The runtime's TaskStatus has one for each.
const (
	TaskNotStarted TaskState = "not_started"
	TaskReady      TaskState = "ready"
	TaskRunning    TaskState = "running"
	TaskCompleted  TaskState = "completed"
	TaskFailed     TaskState = "failed"
	TaskSkipped    TaskState = "skipped"
	// TaskCancelled: the task had started (it was running, or waiting to
	// retry) when its execution was cancelled or timed out.
	TaskCancelled TaskState = "cancelled"
)

// TaskStates lists every task state.
var TaskStates = []TaskState{TaskNotStarted, TaskReady, TaskRunning, TaskCompleted, TaskFailed, TaskSkipped, TaskCancelled}

// Terminal reports whether the state is final.
func (s TaskState) Terminal() bool {
	return s == TaskCompleted || s == TaskFailed || s == TaskSkipped || s == TaskCancelled
}

// ExecutionState is an execution's state as stored.
type ExecutionState string

// Execution states. The runtime's PipelineStatus has one for each.
const (
	ExecutionPending   ExecutionState = "pending"
	ExecutionRunning   ExecutionState = "running"
	ExecutionCompleted ExecutionState = "completed"
	ExecutionFailed    ExecutionState = "failed"
	ExecutionCancelled ExecutionState = "cancelled"
	ExecutionPaused    ExecutionState = "paused"
)

// ExecutionStates lists every execution state.
var ExecutionStates = []ExecutionState{ExecutionPending, ExecutionRunning, ExecutionCompleted, ExecutionFailed, ExecutionCancelled, ExecutionPaused}

// Terminal reports whether the state is final.
func (s ExecutionState) Terminal() bool {
	return s == ExecutionCompleted || s == ExecutionFailed || s == ExecutionCancelled
}

// Event kinds written to the execution event log.
const (
	EventExecutionCreated   = "execution_created"
	EventExecutionCompleted = "execution_completed"
	EventExecutionFailed    = "execution_failed"
	EventExecutionCancelled = "execution_cancelled"
	EventExecutionPaused    = "execution_paused"
	EventExecutionResumed   = "execution_resumed"
	EventTaskSkipped        = "task_skipped"
	EventTaskStarted        = "task_started"
	EventTaskCompleted      = "task_completed"
	EventTaskRetrying       = "task_retrying"
	EventTaskFailed         = "task_failed"
	EventTaskCancelled      = "task_cancelled"
	EventTaskRecovered      = "task_recovered"
	EventTaskAbandoned      = "task_abandoned"
)

// DefaultTenant is the tenant of a runner that names none: PostgreSQL's
// default schema, and the one tenant of a SQLite file.
const DefaultTenant = "public"

// InlineLimit is the size in bytes of the largest JSON value a Doc keeps
// inline; larger values are stored out of line, once per execution.
const InlineLimit = 1024

// CommitGrouper is implemented by a store that already stores concurrent
// writes in shared transactions (SQLite's single writer does). A runner
// whose store is not one merges concurrent submissions itself.
type CommitGrouper interface {
	// GroupsCommits reports whether concurrent writes share commits.
	GroupsCommits() bool
}

// Store is the storage seam. Implementations are safe for concurrent use.
type Store interface {
	// CreateExecutions stores new executions with their tasks and input
	// contexts in one transaction, decides their root tasks with p.Decide,
	// and returns the stored executions in order. Either all are stored or
	// none: an id that exists fails the call with ErrDuplicateID. An
	// execution whose IdempotencyKey is stored already (or earlier in the
	// call) is not created: its place in the result holds the stored one.
	CreateExecutions(ctx context.Context, p *CreateExecutionsParams) (*CreateExecutionsResult, error)

	// ClaimTasks marks up to p.Limit Ready tasks whose retry time has come
	// as Running for p.RunnerID, oldest first, skipping paused executions
	// and workflows not in p.Workflows. It returns them with their input
	// context, and the time the next Ready task becomes claimable (zero
	// when none waits).
	ClaimTasks(ctx context.Context, p *ClaimTasksParams) (*ClaimTasksResult, error)

	// CompleteTasks records the outcomes of claimed tasks, decides the
	// dependents they unblock, finishes executions with nothing left to
	// run, and, when p.ClaimLimit > 0, claims more tasks in the same
	// transaction. Outcomes whose claim was lost are reported in Lost and
	// change nothing.
	CompleteTasks(ctx context.Context, p *CompleteTasksParams) (*CompleteTasksResult, error)

	// Heartbeat refreshes the heartbeat of the given running tasks held by
	// p.RunnerID and returns those it no longer holds.
	Heartbeat(ctx context.Context, p *HeartbeatParams) (*HeartbeatResult, error)

	// RecoverStale returns Running tasks whose heartbeat is older than
	// p.StaleAfter to Ready (counting a recovery), and fails as abandoned
	// those already recovered p.MaxRecoveries times, deciding their
	// dependents as CompleteTasks does.
	RecoverStale(ctx context.Context, p *RecoverStaleParams) (*RecoverStaleResult, error)

	// FinishExecution ends a non-terminal execution as Cancelled or Failed:
	// its tasks that had started become Cancelled, the others Skipped, with
	// p.Reason, and running claims are dropped. It reports whether the
	// execution changed.
	FinishExecution(ctx context.Context, p *FinishExecutionParams) (bool, error)

	// SetPaused pauses a Pending or Running execution, or resumes a Paused
	// one. It reports whether the execution changed.
	SetPaused(ctx context.Context, p *SetPausedParams) (bool, error)

	// GetExecution returns one execution, or an error wrapping ErrNotFound.
	GetExecution(ctx context.Context, id string) (*Execution, error)

	// ExecutionIDsWithPrefix returns the ids of up to limit executions
	// whose id starts with prefix (not empty), in byte order: what a user
	// who types the start of an id means. It reads an index range. Ids
	// are ASCII, so a prefix that is not matches none.
	ExecutionIDsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, error)

	// ListExecutions returns executions, newest first.
	ListExecutions(ctx context.Context, p *ListExecutionsParams) ([]*Execution, error)

	// ListTasks returns the tasks of an execution in position order, with
	// their input and output contexts.
	ListTasks(ctx context.Context, executionID string) ([]*Task, error)

	// ListEvents returns an execution's event log in order.
	ListEvents(ctx context.Context, executionID string) ([]*Event, error)

	// ReadEvents returns events of the whole log appended after p.After,
	// in the order they became visible (see Cursor), filtered by p, and the
	// cursor to read on from. Events committed after After are returned
	// only once nothing can commit behind them any more: a reader that
	// reads on from Next never misses one.
	ReadEvents(ctx context.Context, p *ReadEventsParams) (*ReadEventsResult, error)

	// EventCursor returns where to read from to get only the events not
	// stored yet: a cursor, and the events after it that are stored
	// already, to be skipped (on PostgreSQL, those of transactions younger
	// than one still open; none on SQLite).
	EventCursor(ctx context.Context) (Cursor, []Cursor, error)

	// EventLogBound returns a bound on the log's cursors: every event the
	// log holds, is being given or has had purged, and every position a
	// reader reaches, has a Tx at most the bound's and an ID below it. A
	// cursor past the bound was not read from this log (it is another
	// database's, or mistyped).
	EventLogBound(ctx context.Context) (Cursor, error)

	// LoadValues returns the out-of-line values of an execution with the
	// given hashes. A hash it does not hold is missing from the map.
	LoadValues(ctx context.Context, executionID string, hashes []string) (map[string][]byte, error)

	ScheduleStore
	HistoryStore

	// Close releases the store's resources.
	Close() error
}

// Notifier is implemented by backends that can wake runners in other
// processes (PostgreSQL's LISTEN/NOTIFY, SQLite's data version). A runner calls Listen once; the
// channel receives a value whenever another process may have made tasks
// claimable, finished an execution or appended events, and is closed when
// ctx ends.
type Notifier interface {
	Listen(ctx context.Context) (<-chan Notification, error)
}

// ParallelWriter is implemented by backends whose write transactions run
// in parallel (PostgreSQL). A runner keeps up to WriteParallelism of its
// store calls in flight on them, so one transaction records and claims
// while another commits; on other backends it keeps one.
type ParallelWriter interface {
	WriteParallelism() int
}

// NotificationKind says what a Notification is about.
type NotificationKind int

const (
	// NotifyTasksReady: tasks may have become claimable.
	NotifyTasksReady NotificationKind = iota + 1
	// NotifyExecutionFinished: the execution in ExecutionID reached a
	// terminal state.
	NotifyExecutionFinished
	// NotifyExecutionChanged: the execution was paused, resumed or
	// cancelled; runners holding its tasks should look again.
	NotifyExecutionChanged
	// NotifyReconnected: the notification connection was re-established;
	// notifications may have been lost meanwhile.
	NotifyReconnected
	// NotifySchedulesChanged: a schedule was saved or deleted.
	NotifySchedulesChanged
	// NotifyEventsAppended: events were appended to the log, and no other
	// notification said so. Every notification means the log may have
	// grown: a follower of the log reads it again on any of them.
	NotifyEventsAppended
	// NotifyDatabaseChanged: another process (or another store in this
	// one) committed to the database, and what it changed is not known,
	// as on SQLite, which carries no message between processes: a runner
	// looks at everything again, as after NotifyReconnected.
	NotifyDatabaseChanged
)

// Notification wakes a runner.
type Notification struct {
	Kind        NotificationKind
	ExecutionID string
}

// Doc is a stored context.
type Doc struct {
	// Data is a JSON object holding the values kept inline.
	Data []byte
	// Refs maps the keys whose values are stored out of line to the hash
	// of each value's JSON (see Value); nil when there are none.
	// A key is in Data or in Refs, never in both.
	Refs map[string]string
}

// EmptyDoc is the empty context.
var EmptyDoc = Doc{Data: []byte("{}")}

// Value is a JSON value stored out of line, addressed by Hash: the hex
// BLAKE3-256 of Data (SHA-256 for values stored by earlier versions).
type Value struct {
	Hash string
	Data []byte
}

// Execution is a stored execution.
type Execution struct {
	ID              string
	WorkflowName    string
	WorkflowVersion string
	Tenant          string
	State           ExecutionState
	// Input is the execution's input context.
	Input Doc
	// Error says why a Failed or Cancelled execution ended.
	Error       string
	TasksTotal  int
	TasksFailed int
	CreatedAt   time.Time
	StartedAt   time.Time // zero until the first claim
	CompletedAt time.Time // zero until terminal
	// Deadline is when the execution times out; zero for none.
	Deadline time.Time
	// IdempotencyKey, Origin, OriginName and Meta are as given at creation.
	IdempotencyKey string
	Origin         string
	OriginName     string
	Meta           []byte
}

// Task is a stored task of an execution.
type Task struct {
	ExecutionID string
	TaskID      string
	Position    int
	State       TaskState
	Deps        []string
	Attempt     int
	MaxAttempts int
	Recoveries  int
	// RetryAt is, for a Ready task, when it is claimable from and its place
	// in the ready queue: its creation for a root, its execution's creation
	// for a task readied by its dependencies, the end of the delay for a
	// retry.
	RetryAt   time.Time
	ClaimedBy string
	// Error is the last failed attempt's message, ErrorDetail what the
	// runner recorded about it (opaque to the store).
	Error       string
	ErrorDetail []byte
	SkipReason  string
	StartedAt   time.Time
	CompletedAt time.Time
	// Input is the context the task was given; nil until it was decided.
	Input *Doc
	// Output is the task's output context: its input plus its writes for
	// a Completed task, its input for one that did not complete. Nil while
	// the task is not terminal.
	Output *Doc
}

// Event is one entry of an execution's event log.
type Event struct {
	// ID is the event's own, increasing within a transaction. Ids are not
	// dense: the log stores the events one transaction appends to one
	// execution together, numbered from an id of their own, and leaves
	// gaps between such groups.
	ID int64
	// Tx orders events by commit where ids do not: on PostgreSQL, the
	// transaction that appended the event; 0 on SQLite, whose ids are in
	// commit order. See Cursor.
	Tx          uint64
	ExecutionID string
	TaskID      string // empty for execution events
	Kind        string
	Attempt     int
	RunnerID    string
	Message     string
	At          time.Time
	// WorkflowName and WorkflowVersion are the execution's; ReadEvents
	// sets them.
	WorkflowName, WorkflowVersion string
}

// Cursor returns the position of the event in the log.
func (e *Event) Cursor() Cursor { return Cursor{Tx: e.Tx, ID: e.ID} }

// Cursor is a position in the event log: the events at or before it, in
// (Tx, ID) order, are behind a reader holding it. The zero Cursor is the
// start of the log.
//
// Ids alone would not do on PostgreSQL: they come from a sequence, so a
// transaction can take a smaller id than another and commit after it, and
// a reader past the larger id would skip the smaller one. Events there are
// ordered by their transaction id first, and a reader takes only events of
// transactions older than every transaction still open (its snapshot's
// xmin); every later transaction gets a larger id, so no event can appear
// behind the cursor once the reader has passed it.
type Cursor struct {
	Tx uint64
	ID int64
}

// Less reports whether c is before o.
func (c Cursor) Less(o Cursor) bool {
	if c.Tx != o.Tx {
		return c.Tx < o.Tx
	}
	return c.ID < o.ID
}

// TaskSpec describes one task of a new execution.
type TaskSpec struct {
	TaskID string
	// Deps are the ids of its dependencies in declared order.
	Deps []string
	// RuleTasks are tasks its trigger rule names that are not direct
	// dependencies; their states are passed to DecideFunc too.
	RuleTasks   []string
	MaxAttempts int
}

// NewExecution is one execution to create.
type NewExecution struct {
	ID              string
	WorkflowName    string
	WorkflowVersion string
	Tenant          string
	// Input is the input context (EmptyDoc when zero); Values holds the
	// out-of-line values it refers to.
	Input  Doc
	Values []Value
	// Tasks in topological order; Position is the index in this slice.
	Tasks []TaskSpec
	// Timeout, when positive, sets the execution's deadline.
	Timeout time.Duration
	// IdempotencyKey, when set, is stored with the execution.
	IdempotencyKey string
	// Origin says what started the execution ("" for a direct call), and
	// OriginName which schedule, trigger or execution did.
	Origin     string
	OriginName string
	// RetryOf, when set, names the execution this one retries: an
	// execution_retried event naming the new one is appended to it.
	RetryOf string
	// Meta is a JSON object stored with the execution for its runners
	// (such as a trace context); nil for none.
	Meta []byte
}

// CreateExecutionsParams are the arguments of CreateExecutions.
type CreateExecutionsParams struct {
	RunnerID   string
	Now        time.Time
	Executions []*NewExecution
	Decide     DecideFunc
}

// CreateExecutionsResult is the answer of CreateExecutions.
type CreateExecutionsResult struct {
	// Executions are the stored executions, in the order given.
	Executions []*Execution
	// Finished are executions that ended at creation (every task skipped).
	Finished []FinishedExecution
	// Readied counts tasks that became Ready.
	Readied int
}

// DecideFunc decides, once all of a task's dependencies are terminal,
// whether it runs. It is called inside the store's transaction and must
// not call the store.
type DecideFunc func(in *DecideInput) (*Decision, error)

// DecideInput is what a DecideFunc sees.
type DecideInput struct {
	ExecutionID     string
	WorkflowName    string
	WorkflowVersion string
	TaskID          string
	// ExecutionInput is set for tasks without dependencies.
	ExecutionInput *Doc
	// Deps are the task's dependencies in declared order, then the
	// RuleTasks, all terminal.
	Deps []DepResult
	// LoadValues reads out-of-line values of the execution inside the
	// transaction, for a decision that must look into one.
	LoadValues func(hashes []string) (map[string][]byte, error)
}

// DepResult is a terminal upstream task as seen by a DecideFunc.
type DepResult struct {
	TaskID string
	State  TaskState
	// Direct is false for RuleTasks that are not dependencies: their
	// output is not part of the input merge.
	Direct bool
	Output *Doc
}

// Decision is a DecideFunc's answer.
type Decision struct {
	// Run is true to make the task Ready, false to skip it.
	Run bool
	// Reason says why a task is skipped.
	Reason string
	// Input is the task's input context, and Values the out-of-line
	// values it refers to that the execution does not hold yet.
	Input  Doc
	Values []Value
}

// ClaimTasksParams are the arguments of ClaimTasks.
type ClaimTasksParams struct {
	RunnerID string
	Now      time.Time
	Limit    int
	// Workflows restricts claims to these workflow names; nil means any,
	// and an empty list none (ClaimTasks then returns at once).
	Workflows []string
}

// ClaimedTask is a task claimed for execution.
type ClaimedTask struct {
	ExecutionID     string
	WorkflowName    string
	WorkflowVersion string
	TaskID          string
	Attempt         int // this attempt, 1-based
	MaxAttempts     int
	Input           Doc
	Deadline        time.Time // the execution's deadline, zero for none
	// ReadyAt is when the task became claimable, for queue latency.
	ReadyAt time.Time
	// Meta is the execution's Meta.
	Meta []byte
}

// ClaimTasksResult is the answer of ClaimTasks.
type ClaimTasksResult struct {
	Tasks []*ClaimedTask
	// NextRetryAt is when the earliest Ready task not yet claimable (a
	// retry waiting for its delay) becomes claimable; zero for none.
	NextRetryAt time.Time
}

// OutcomeKind is how an attempt ended.
type OutcomeKind int

const (
	// OutcomeSucceeded: the task completed with Output.
	OutcomeSucceeded OutcomeKind = iota + 1
	// OutcomeRetry: the attempt failed; the task is Ready again after
	// RetryDelay.
	OutcomeRetry
	// OutcomeFailed: the attempt failed and no retry follows.
	OutcomeFailed
)

// Outcome is the result of one claimed attempt.
type Outcome struct {
	ExecutionID string
	TaskID      string
	Attempt     int
	Kind        OutcomeKind
	// Output is the context the task wrote (Succeeded); nil means the
	// task did not change its input. Values are the out-of-line values
	// Output refers to that are new.
	Output *Doc
	Values []Value
	// Error is the failure's message and ErrorDetail what the caller wants
	// stored about it (Retry, Failed).
	Error       string
	ErrorDetail []byte
	RetryDelay  time.Duration // Retry
}

// CompleteTasksParams are the arguments of CompleteTasks.
type CompleteTasksParams struct {
	RunnerID string
	Now      time.Time
	Outcomes []Outcome
	Decide   DecideFunc
	// ClaimLimit > 0 claims up to that many tasks after recording the
	// outcomes, in the same transaction; ClaimWorkflows filters them as
	// ClaimTasksParams.Workflows does. Tasks these outcomes made ready are
	// claimed first, as soon as they are decided, then the oldest ready
	// tasks; those beyond the limit are left ready.
	ClaimLimit     int
	ClaimWorkflows []string
}

// TaskRef names a task of an execution.
type TaskRef struct {
	ExecutionID string
	TaskID      string
	Attempt     int
}

// FinishedExecution reports an execution that reached a terminal state.
type FinishedExecution struct {
	ID           string
	State        ExecutionState
	WorkflowName string
	// CreatedAt and CompletedAt are the execution's.
	CreatedAt, CompletedAt time.Time
}

// CompleteTasksResult is the answer of CompleteTasks.
type CompleteTasksResult struct {
	// Lost are outcomes whose claim was no longer held: nothing was written
	// for them.
	Lost []TaskRef
	// Finished are executions that reached a terminal state.
	Finished []FinishedExecution
	// Readied counts tasks that became Ready.
	Readied int
	// Claimed holds the tasks claimed when ClaimLimit > 0.
	Claimed *ClaimTasksResult
}

// HeartbeatParams are the arguments of Heartbeat.
type HeartbeatParams struct {
	RunnerID string
	Now      time.Time
	Tasks    []TaskRef
}

// HeartbeatResult is the answer of Heartbeat.
type HeartbeatResult struct {
	// Lost are the given tasks the runner no longer holds: recovered by
	// another runner, or their execution was cancelled.
	Lost []TaskRef
}

// RecoverStaleParams are the arguments of RecoverStale.
type RecoverStaleParams struct {
	// RunnerID is recorded in the events as the recovering runner.
	RunnerID string
	Now      time.Time
	// StaleAfter is how old a heartbeat must be for its claim to count as
	// abandoned by a dead runner.
	StaleAfter time.Duration
	// MaxRecoveries is how many times a task may be recovered; the next
	// stale claim fails it as abandoned.
	MaxRecoveries int
	Decide        DecideFunc
}

// RecoverStaleResult is the answer of RecoverStale.
type RecoverStaleResult struct {
	Requeued  []TaskRef
	Abandoned []TaskRef
	Finished  []FinishedExecution
}

// FinishExecutionParams are the arguments of FinishExecution.
type FinishExecutionParams struct {
	ExecutionID string
	// State is ExecutionCancelled or ExecutionFailed.
	State    ExecutionState
	Reason   string
	RunnerID string
	Now      time.Time
}

// SetPausedParams are the arguments of SetPaused.
type SetPausedParams struct {
	ExecutionID string
	Paused      bool
	RunnerID    string
	Now         time.Time
}

// ReadEventsParams are the arguments of ReadEvents.
type ReadEventsParams struct {
	// After is where to read from: events after it are returned.
	After Cursor
	// ExecutionID, WorkflowName and RunnerID, when set, keep only the
	// events of that execution, of that workflow's executions, or
	// appended by that runner.
	ExecutionID, WorkflowName, RunnerID string
	// Limit caps the events returned; 0 means DefaultEventLimit.
	Limit int
}

// DefaultEventLimit is ReadEvents' limit when the caller sets none.
const DefaultEventLimit = 500

// EventLimit returns p.Limit, or DefaultEventLimit when it is not set.
func (p *ReadEventsParams) EventLimit() int {
	if p.Limit <= 0 {
		return DefaultEventLimit
	}
	return p.Limit
}

// ReadEventsResult is the answer of ReadEvents.
type ReadEventsResult struct {
	// Events are the events read, in log order.
	Events []*Event
	// Next is the cursor to read on from. It can be past the last event
	// returned, when the events between were filtered out.
	Next Cursor
	// Held reports events committed after Next that could not be returned
	// yet, because a transaction older than them is still open (on
	// PostgreSQL, perhaps one of another database of the server). Read
	// again shortly: no notification may come when that transaction ends.
	Held bool
}

// ListExecutionsParams are the arguments of ListExecutions.
type ListExecutionsParams struct {
	// IDs, when set, keeps only these executions.
	IDs []string
	// WorkflowName, when set, keeps only that workflow's executions.
	WorkflowName string
	// States, when set, keeps only executions in these states.
	States []ExecutionState
	// DeadlineBefore, when set, keeps only executions with a deadline
	// before it.
	DeadlineBefore time.Time
	// CreatedAfter and CreatedBefore, when set, bound the creation time
	// (exclusive).
	CreatedAfter, CreatedBefore time.Time
	// Origin, when set, keeps executions of this origin (OriginDirect for
	// the empty one); OriginName, when set, those of this origin name.
	Origin, OriginName string
	// After, when set, keeps executions before it in the listing's order
	// (created_at, then id, descending): the next page after a page that
	// ended there.
	After PageCursor
	// Limit caps the result; 0 means 100.
	Limit int
}
