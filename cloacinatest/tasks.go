package cloacinatest

import (
	"context"

	"github.com/cloacina-go/cloacina/internal/quiesce"
	"github.com/cloacina-go/cloacina/runtime"
)

// Block waits until ctx ends and returns its cause. Called from a task
// with its context, it parks the attempt meanwhile (see FakeClock), so the
// fake clock may jump to the attempt's timeout or its workflow's deadline:
// a task blocked for its 30-minute timeout times out at once.
func Block(ctx context.Context) error {
	unpark := quiesce.FromContext(ctx).Park()
	defer unpark()
	<-ctx.Done()
	return context.Cause(ctx)
}

// Hang is a task function that never finishes on its own: it blocks until
// its context ends (see Block) and returns the cause, such as the
// attempt's *runtime.TimeoutError. Use it with Harness.Replace to test
// timeouts and cancellation.
func Hang(ctx context.Context, _ *runtime.Context) error { return Block(ctx) }

var _ runtime.TaskFunc = Hang
