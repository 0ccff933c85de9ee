package stale_output

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=stale-output

// Fresh was renamed from Old; the previous generated file still names Old.
//
//cloacina:task id=fresh
func Fresh(ctx context.Context, c *runtime.Context) error { return nil }
