package all_task_keys

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=all-task-keys inputs=ready:bool

//cloacina:task id=first
func First(ctx context.Context, c *runtime.Context) error { return nil }

// Every key of //cloacina:task at once, split over several lines.
//
//cloacina:task id=everything deps=first workflow=all-task-keys
//cloacina:task retry_attempts=7 retry_backoff=linear retry_delay=250ms retry_max_delay=1m30s
//cloacina:task retry_jitter=false retry_condition="timeout, connection reset"
//cloacina:task timeout=45s trigger_rules=all(task_success(first), context_value(ready, exists))
//cloacina:task on_success=Succeeded on_failure=Failed reads=ready writes=done:bool
func Everything(ctx context.Context, c *runtime.Context) error { return nil }

// Succeeded is a callback.
func Succeeded(ctx context.Context, info *runtime.AttemptInfo) {}

// Failed is a callback.
func Failed(ctx context.Context, info *runtime.AttemptInfo) {}
