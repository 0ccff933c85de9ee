package unknown_workflow

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=nightly

//cloacina:task
func Base(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task workflow=nightlly
func Misnamed(ctx context.Context, c *runtime.Context) error { return nil }
