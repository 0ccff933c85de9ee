package flow_merge

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=flow-merge

//cloacina:task id=start
func Start(ctx context.Context, c *runtime.Context) error { return nil }

// Left and right run in parallel and write result with different shapes.
//
//cloacina:task id=left deps=start
func Left(ctx context.Context, c *runtime.Context) error { return c.Set("result", []int{1}) }

//cloacina:task id=right deps=start
func Right(ctx context.Context, c *runtime.Context) error {
	return c.Set("result", map[string]int{"a": 1})
}

// Agree writes count with the same type in two branches, which is fine.
//
//cloacina:task id=agree deps=start
func Agree(ctx context.Context, c *runtime.Context) error { return c.Set("count", 1) }

//cloacina:task id=agree2 deps=start
func Agree2(ctx context.Context, c *runtime.Context) error { return c.Set("count", 2) }

//cloacina:task id=via deps=right
func Via(ctx context.Context, c *runtime.Context) error { return nil }

// Join merges the branches.
//
//cloacina:task id=join deps=left,via,agree,agree2
func Join(ctx context.Context, c *runtime.Context) error { return nil }

// After is downstream of the merge; it is not reported again.
//
//cloacina:task id=after deps=join
func After(ctx context.Context, c *runtime.Context) error { return nil }
