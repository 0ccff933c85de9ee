package flow_helpers

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=flow-helpers

//cloacina:task id=extract
func Extract(ctx context.Context, c *runtime.Context) error {
	return store(c, "rows", []string{"a", "b"})
}

// store writes through a helper; the key is a parameter bound to a
// constant at each call.
func store(c *runtime.Context, key string, v []string) error {
	return c.Insert(key, v)
}

// count reads through two levels of helpers.
func count(c *runtime.Context) (int, error) {
	return readInts(c, "rows")
}

func readInts(c *runtime.Context, key string) (int, error) {
	rows, err := runtime.Get[[]int](c, key)
	return len(rows), err
}

//cloacina:task id=transform deps=extract
func Transform(ctx context.Context, c *runtime.Context) error {
	n, err := count(c)
	if err != nil {
		return err
	}
	d := c
	return d.Set("n", n)
}

//cloacina:task id=load deps=transform
func Load(ctx context.Context, c *runtime.Context) error {
	var n int
	if err := lookup(c, &n); err != nil {
		return err
	}
	return nil
}

func lookup(c *runtime.Context, out *int) error {
	return c.Get("nn", out)
}
