package stale

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=stale

//cloacina:task id=only
func Only(ctx context.Context, c *runtime.Context) error { return nil }
