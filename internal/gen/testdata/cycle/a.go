package cycle

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=cycle

//cloacina:task id=start
func Start(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task id=plan deps=start,apply
func Plan(ctx context.Context, c *runtime.Context) error { return nil }
