package bad_signature

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=bad-signature

//cloacina:task
func NoData(ctx context.Context) error { return nil }

//cloacina:task
func NoError(ctx context.Context, c *runtime.Context) {}

//cloacina:task
func ByValue(ctx context.Context, c runtime.Context) error { return nil }

//cloacina:task
func Swapped(c *runtime.Context, ctx context.Context) error { return c.Set("swapped", true) }

// What Swapped writes is unknown while its signature is wrong: Reader's
// read is not reported on top of that error.

//cloacina:task deps=swapped
func Reader(ctx context.Context, c *runtime.Context) error {
	_, err := runtime.Get[bool](c, "swapped")
	return err
}

//cloacina:task
func Variadic(ctx context.Context, cs ...*runtime.Context) error { return nil }

//cloacina:task
func Generic[T any](ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task
func TwoResults(ctx context.Context, c *runtime.Context) (int, error) { return 0, nil }
