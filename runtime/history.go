package runtime

import (
	"context"
	"fmt"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

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
// It is the store's sentinel: errors.Is works on errors of either layer.
var ErrNotRetryable = store.ErrNotRetryable

// Retry runs a finished execution again (see RetryMode) and returns a
// handle on the execution that runs: the same one for RetryModeFailed, a
// new one for RetryModeAll. Both are recorded in the event log.
//
// RetryModeFailed refuses (with ErrNotRetryable) an execution that is not
// Failed or Cancelled. The tasks that run again are those that failed or
// were cancelled, those skipped when the execution was ended, and every
// task downstream of them (they were decided, or ran, on the outcome of
// the ones that run again); their attempts start from 1 again. The others
// keep their state and output, and the execution is Running again.
//
// RetryModeAll refuses an execution that is not finished; the new
// execution has the original's input and headers, and is created from the
// registered workflow or, if this runner has not registered it, from its
// latest recorded definition.
func (r *Runner) Retry(ctx context.Context, executionID string, mode RetryMode) (*Execution, error) {
	switch mode {
	case RetryModeFailed:
		return r.retryFailed(ctx, executionID)
	case RetryModeAll:
		return r.retryAll(ctx, executionID)
	}
	return nil, fmt.Errorf("retry execution %s: mode %q is not %q or %q", executionID, mode, RetryModeFailed, RetryModeAll)
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
// The cursor is opaque: pass ExecutionPage.Next back unchanged. opts may
// be nil.
func (r *Runner) ListExecutionsPage(ctx context.Context, opts *PageOptions) (*ExecutionPage, error) {
	return r.listPage(ctx, opts)
}

// WorkflowDefinition is a workflow as a runner recorded it when it
// started: enough to draw and start it without its code.
type WorkflowDefinition struct {
	Name, Version, Description, Author, Tenant string
	// Tasks are in topological order.
	Tasks     []TaskDefinition
	Schedules []Schedule
	Triggers  []TriggerInfo
	// Inputs are the inputs the workflow declares, when InputsDeclared;
	// otherwise it accepts any input (see WorkflowBuilder.Inputs).
	Inputs         []Input
	InputsDeclared bool
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
	defs, err := r.definitions(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []WorkflowDefinition
	for _, d := range defs {
		if len(out) == 0 || out[len(out)-1].Name != d.Name {
			out = append(out, d)
		}
	}
	return out, nil
}

// DescribeWorkflow returns the recorded definitions of a workflow, newest
// version first.
// "Newest" is the most recently recorded. A workflow no runner recorded
// fails with ErrWorkflowNotFound.
func (r *Runner) DescribeWorkflow(ctx context.Context, name string) ([]WorkflowDefinition, error) {
	if name == "" {
		return nil, fmt.Errorf("describe workflow: %w: no name given", ErrWorkflowNotFound)
	}
	defs, err := r.definitions(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(defs) == 0 {
		return nil, r.notRecorded(ctx, name)
	}
	return defs, nil
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
// OlderThan must be positive; it is measured on Config.Clock.
func (r *Runner) Purge(ctx context.Context, opts PurgeOptions) (int, error) {
	if opts.OlderThan <= 0 {
		return 0, fmt.Errorf("purge: OlderThan must be positive, got %s", opts.OlderThan)
	}
	if opts.BatchSize < 0 {
		return 0, fmt.Errorf("purge: BatchSize must not be negative, got %d", opts.BatchSize)
	}
	states := make([]store.ExecutionState, 0, len(opts.Statuses))
	for _, s := range opts.Statuses {
		st, err := toStoreExecState(s)
		if err != nil {
			return 0, fmt.Errorf("purge: %w", err)
		}
		if !st.Terminal() {
			return 0, fmt.Errorf("purge: status %s is not terminal; only finished executions can be deleted", s)
		}
		states = append(states, st)
	}
	return r.purge(ctx, states, r.cfg.Clock.Now().Add(-opts.OlderThan), opts.BatchSize)
}
