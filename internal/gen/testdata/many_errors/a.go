package many_errors

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=many-errors

//cloacina:task deps=missing
func First(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task deps=third
func Second(ctx context.Context) error { return nil }
