package malformed_values

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=malformed-values

//cloacina:task retry_delay="5 sec"
func Quoted(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task retry_delay=5sec retry_attempts=0 retry_backoff=random retry_jitter=maybe
func Bad(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task timeout=0s deps=a,,b trigger_rules=all(task_success(a)
func Worse(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task retry_attempts=3 retry_attempts=4
func Twice(ctx context.Context, c *runtime.Context) error { return nil }
