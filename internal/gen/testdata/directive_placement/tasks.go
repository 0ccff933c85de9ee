package directive_placement

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=directive-placement

// Runner has a method.
type Runner struct{}

//cloacina:task
func (Runner) Run(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task
var Handler = func(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task
type Job struct{}

//cloacina:task
func Outer(ctx context.Context, c *runtime.Context) error {
	//cloacina:task
	inner := func(ctx context.Context, c *runtime.Context) error { return nil }
	return inner(ctx, c)
}

func Body() {
	//cloacina:workflow name=inside
}
