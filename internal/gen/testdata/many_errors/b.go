package many_errors

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:task deps=second on_failure=Gone
func Third(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task retry_backof=linear
func Fourth(ctx context.Context, c *runtime.Context) error { return nil }
