package ambiguous_workflow

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=first

//cloacina:workflow name=second

//cloacina:task workflow=first
func Named(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task workflow=second
func AlsoNamed(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task
func Unnamed(ctx context.Context, c *runtime.Context) error { return nil }
