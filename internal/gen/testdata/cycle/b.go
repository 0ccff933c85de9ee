package cycle

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:task id=apply deps=verify
func Apply(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task id=verify deps=plan
func Verify(ctx context.Context, c *runtime.Context) error { return nil }
