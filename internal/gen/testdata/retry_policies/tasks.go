package retry_policies

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=retry-policies

//cloacina:task retry_condition=never retry_attempts=1
func Never(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task retry_condition=transient retry_backoff=fixed retry_delay=0s
func Transient(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task retry_condition=all retry_backoff=exponential retry_delay=2s retry_max_delay=2s
func Everything(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task retry_condition=`deadlock,try again` retry_backoff=linear retry_delay=1.5s retry_max_delay=1h
func Patterns(ctx context.Context, c *runtime.Context) error { return nil }
