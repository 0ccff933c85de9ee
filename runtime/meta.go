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
