package runtime

import "context"

// TaskMeta identifies the attempt a task function is running.
type TaskMeta struct {
	ExecutionID  string
	WorkflowName string
	TaskID       string
	Attempt      int // 1 for the first run
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
