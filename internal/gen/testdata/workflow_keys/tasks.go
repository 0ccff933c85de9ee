package workflow_keys

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:task
func Collect(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task deps=collect
func Report(ctx context.Context, c *runtime.Context) error { return nil }
