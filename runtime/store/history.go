package store

import (
	"context"
	"errors"
	"time"
)

// Event kinds of the history operations.
const (
	// EventExecutionRetried: a finished execution was retried. On the
	// execution retried in place, the message says how many tasks run
	// again; on the original of a new execution, it names the new one.
	EventExecutionRetried = "execution_retried"
)

// ErrNotRetryable: RetryExecution was asked to retry an execution that is
// not finished, or that Completed.
var ErrNotRetryable = errors.New("execution cannot be retried")

// WorkflowRecord is a workflow definition as a runner recorded it. The
// store keeps the definition as an opaque JSON document the runtime reads
// and writes; one record per (Name, Version).
type WorkflowRecord struct {
	Name, Version string
	Definition    []byte
	RecordedBy    string
	RecordedAt    time.Time
}

// SaveWorkflowsParams are the arguments of SaveWorkflows.
type SaveWorkflowsParams struct {
	RunnerID  string
	Now       time.Time
	Workflows []*WorkflowRecord
}

// RetryExecutionParams are the arguments of RetryExecution.
type RetryExecutionParams struct {
	ExecutionID string
	RunnerID    string
	Now         time.Time
	Decide      DecideFunc
}

// RetryExecutionResult is the answer of RetryExecution.
type RetryExecutionResult struct {
	// Reset counts the tasks that run again.
	Reset int
	// Finished holds the execution when it ended again at once (every
	// task reset was skipped).
	Finished []FinishedExecution
	Readied  int
}

// PurgeParams are the arguments of PurgeExecutions.
type PurgeParams struct {
	RunnerID string
	Now      time.Time
	// States are the terminal states to delete; CompletedBefore the time
	// they must have ended before. Limit caps how many executions the call
	// deletes (0 means 500).
	States          []ExecutionState
	CompletedBefore time.Time
	Limit           int
}

// LeaseParams are the arguments of AcquireLease.
type LeaseParams struct {
	Name  string
	Owner string
	Now   time.Time
	// TTL is how long the lease lasts from now.
	TTL time.Duration
}

// HistoryStore is the part of Store about the history: recorded workflow
// definitions, retries of finished executions, deletion of old ones, and
// the leases that keep such chores to one runner at a time.
type HistoryStore interface {
	// SaveWorkflows records workflow definitions, replacing the record of
	// the same name and version.
	SaveWorkflows(ctx context.Context, p *SaveWorkflowsParams) error
	// ListWorkflows returns the recorded definitions of the named workflow
	// ("" for every workflow), by name, then newest recorded first.
	ListWorkflows(ctx context.Context, name string) ([]*WorkflowRecord, error)
	// RetryExecution runs a Failed or Cancelled execution again in place:
	// its Failed and Cancelled tasks, and the Skipped ones downstream of
	// them or skipped when the execution was ended, go back to not
	// started (attempts, errors and outputs cleared), those whose
	// dependencies are all terminal are decided with p.Decide, and the
	// execution is Running (Pending if it never started) again. Completed
	// tasks keep their outputs. An execution that is not finished, or
	// Completed, fails with ErrNotRetryable; an unknown one with
	// ErrNotFound.
	RetryExecution(ctx context.Context, p *RetryExecutionParams) (*RetryExecutionResult, error)
	// PurgeExecutions deletes up to p.Limit executions in p.States that
	// ended before p.CompletedBefore, with their tasks, values, events and
	// schedule fires (the execution of a schedule's latest tick keeps its
	// fire; manual and backfill fires go with their executions), and
	// returns how many it deleted. Executions that are not terminal are
	// never deleted.
	PurgeExecutions(ctx context.Context, p *PurgeParams) (int, error)
	// AcquireLease takes or renews the named lease for p.Owner until
	// p.Now + p.TTL, if it is free, expired or held by p.Owner already,
	// and reports whether p.Owner holds it.
	AcquireLease(ctx context.Context, p *LeaseParams) (bool, error)
}

// PageCursor is a position in the listing of executions, newest first:
// ListExecutions with After set returns executions created before it.
type PageCursor struct {
	CreatedAt time.Time
	ID        string
}

// IsZero reports whether the cursor is unset.
func (c PageCursor) IsZero() bool { return c.ID == "" && c.CreatedAt.IsZero() }

// OriginDirect in ListExecutionsParams.Origin keeps executions started by
// a direct call (stored with the empty origin).
const OriginDirect = "direct"
