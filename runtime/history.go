package runtime

import (
	"context"
	"errors"
	"time"
)

// errHistoryPending is returned by the history operations whose
// implementation is being written; see the issue on operating workflows.
var errHistoryPending = errors.New("not implemented yet")

// RetryMode says how Runner.Retry runs a finished execution again.
type RetryMode string

// Retry modes.
const (
	// RetryModeFailed re-runs, in place, the tasks that failed, were
	// cancelled, or were skipped because of them; completed tasks keep
	// their outputs.
	RetryModeFailed RetryMode = "failed"
	// RetryModeAll starts a new execution with the same input, linked to
	// the original (Origin OriginRetry, OriginName the original's id).
	RetryModeAll RetryMode = "all"
)

// OriginRetry is the Origin of an execution started by Retry with
// RetryModeAll; its OriginName is the original execution's id.
const OriginRetry = "retry"

// ErrNotRetryable is returned by Retry for an execution that is not
// finished (or, in RetryModeFailed, that Completed).
var ErrNotRetryable = errors.New("execution cannot be retried")

// Retry runs a finished execution again (see RetryMode) and returns a
// handle on the execution that runs: the same one for RetryModeFailed, a
// new one for RetryModeAll. Both are recorded in the event log.
func (r *Runner) Retry(ctx context.Context, executionID string, mode RetryMode) (*Execution, error) {
	return nil, errHistoryPending
}

// PageOptions filters and pages ListExecutionsPage.
type PageOptions struct {
	ListOptions
	// CreatedAfter and CreatedBefore bound the creation time (zero: no
	// bound).
	CreatedAfter, CreatedBefore time.Time
	// Origin keeps executions with this origin: "direct" for those
	// started by a call, OriginSchedule, OriginTrigger or OriginRetry; ""
	// for any. OriginName narrows it to one schedule, trigger or original.
	Origin, OriginName string
	// Cursor continues a listing from ExecutionPage.Next; "" starts at the
	// newest.
	Cursor string
}

// ExecutionPage is one page of ListExecutionsPage, newest first.
type ExecutionPage struct {
	Executions []ExecutionSummary
	// Next is the cursor of the following page; "" when this is the last.
	Next string
}

// ListExecutionsPage lists executions newest first, a page at a time.
// Pages stay stable while executions are added: a cursor continues after
// the last execution of its page.
func (r *Runner) ListExecutionsPage(ctx context.Context, opts *PageOptions) (*ExecutionPage, error) {
	return nil, errHistoryPending
}

// WorkflowDefinition is a workflow as a runner recorded it when it
// started: enough to draw and start it without its code.
type WorkflowDefinition struct {
	Name, Version, Description, Author, Tenant string
	// Tasks are in topological order.
	Tasks     []TaskDefinition
	Schedules []Schedule
	Triggers  []TriggerInfo
	// RecordedBy is the runner that recorded it last, at RecordedAt.
	RecordedBy string
	RecordedAt time.Time
}

// TaskDefinition is one task of a WorkflowDefinition.
type TaskDefinition struct {
	ID           string
	Dependencies []string
	// Trigger is the trigger rule in the annotation syntax ("" for the
	// default: all dependencies succeeded).
	Trigger string
	Retry   RetryPolicy
	Timeout time.Duration
}

// ListWorkflows returns the latest recorded definition of every workflow
// some runner sharing the database has registered, by name.
func (r *Runner) ListWorkflows(ctx context.Context) ([]WorkflowDefinition, error) {
	return nil, errHistoryPending
}

// DescribeWorkflow returns the recorded definitions of a workflow, newest
// version first.
func (r *Runner) DescribeWorkflow(ctx context.Context, name string) ([]WorkflowDefinition, error) {
	return nil, errHistoryPending
}

// Retention says how long finished executions are kept. A zero duration
// keeps them forever.
type Retention struct {
	Completed, Failed, Cancelled time.Duration
	// Interval is how often the pruner runs (default 1h); BatchSize how
	// many executions one of its transactions deletes (default 500).
	Interval  time.Duration
	BatchSize int
}

// PurgeOptions selects what Purge deletes.
type PurgeOptions struct {
	// OlderThan deletes executions that finished more than this long ago.
	OlderThan time.Duration
	// Statuses restricts it to these terminal statuses (nil: all three).
	Statuses []PipelineStatus
	// BatchSize is how many executions one transaction deletes (default
	// 500).
	BatchSize int
}

// Purge deletes finished executions with their tasks, contexts, values and
// events, in bounded batches, and returns how many it deleted. Running
// executions are never deleted.
func (r *Runner) Purge(ctx context.Context, opts PurgeOptions) (int, error) {
	return 0, errHistoryPending
}
