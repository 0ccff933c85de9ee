package runtime

import (
	"context"
	"time"
)

// TaskMeta identifies the attempt a task function is running.
type TaskMeta struct {
	ExecutionID     string
	WorkflowName    string
	WorkflowVersion string // the version the execution was started with
	TaskID          string
	Attempt         int // 1 for the first run
	// MaxAttempts is the task's retry policy's total of attempts.
	MaxAttempts int
	// ReadyAt is when the task became claimable (the store's clock):
	// the time from it to the attempt's start is the queue latency.
	ReadyAt time.Time
	// Headers are the execution's submission headers
	// (Submission.Headers); nil for none. Do not modify them.
	Headers map[string]string
}

type metaKey struct{}

// MetaFrom returns the identity of the attempt running under ctx, for logs
// and idempotency keys. It reports false outside a task.
func MetaFrom(ctx context.Context) (TaskMeta, bool) {
	m, ok := ctx.Value(metaKey{}).(TaskMeta)
	return m, ok
}

func withMeta(ctx context.Context, m TaskMeta) context.Context {
	return context.WithValue(ctx, metaKey{}, m)
}

// AttemptHook wraps one task attempt. It is called with the attempt's
// context and facts, must call run once (with that context or one derived
// from it) to run the attempt, and returns the attempt's error: run's, or
// another to replace it. A hook that does not call run skips the task's
// function; its return value is the outcome all the same. A panic in a
// hook fails the attempt like a panic in the task.
type AttemptHook func(ctx context.Context, attempt TaskMeta, run func(context.Context) error) error
