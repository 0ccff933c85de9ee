package unknown_dependency

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=unknown-dependency

//cloacina:task
func Extract(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task
func Transform(ctx context.Context, c *runtime.Context) error { return c.Set("rows", 3) }

//cloacina:task deps=extract,transfrom
func Load(ctx context.Context, c *runtime.Context) error {
	_, err := runtime.Get[int](c, "rows")
	return err
}

//cloacina:task deps=nothing_like_it
func Report(ctx context.Context, c *runtime.Context) error { return nil }

// Transform's output does not reach Load, whose dependency is misspelt, nor
// Publish after it: their reads are not reported on top of that error.

//cloacina:task deps=load
func Publish(ctx context.Context, c *runtime.Context) error {
	_, err := runtime.Get[int](c, "rows")
	return err
}
