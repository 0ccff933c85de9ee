package basic

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=basic

// Extract reads the rows.
//
//cloacina:task
func Extract(ctx context.Context, c *runtime.Context) error {
	return c.Insert("rows", []int{1, 2, 3})
}

// Transform doubles them.
//
//cloacina:task deps=extract
func Transform(ctx context.Context, c *runtime.Context) error {
	rows, err := runtime.Get[[]int](c, "rows")
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i] *= 2
	}
	return c.Update("rows", rows)
}

// Load writes them.
//
//cloacina:task deps=transform
func Load(ctx context.Context, c *runtime.Context) error {
	return c.Set("loaded", true)
}
