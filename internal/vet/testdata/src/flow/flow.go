package flow

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=flow

// Totals is a typed key.
const Totals runtime.Key[map[string]int] = "totals"

//cloacina:task id=extract
func Extract(ctx context.Context, c *runtime.Context) error {
	if err := c.Insert("rows", []int{1}); err != nil {
		return err
	}
	return Totals.Insert(c, map[string]int{})
}

//cloacina:task id=load deps=extract,extract2
func Load(ctx context.Context, c *runtime.Context) error {
	if _, err := runtime.Get[[]int](c, "rosw"); err != nil { // want `task "load" reads key "rosw", which no task upstream writes .*did you mean "rows"\?`
		return err
	}
	if _, err := runtime.Get[[]string](c, "totals"); err != nil { // want `task "load" reads key "totals" as \[\]string, but task "extract" writes it as map\[string\]int .*path extract -> load`
		return err
	}
	if _, err := runtime.Get[int32](c, "size"); err != nil { // want `warning: task "load" reads key "size" as int32, but task "extract2" writes it as int64`
		return err
	}
	return c.Insert("rows", []int{2}) // want `task "load" inserts key "rows", which task "extract" upstream already writes`
}

//cloacina:task id=extract2 deps=extract
func Extract2(ctx context.Context, c *runtime.Context) error {
	return c.Set("size", int64(1))
}

//cloacina:task id=after deps=load
func After(ctx context.Context, c *runtime.Context) error {
	key := "dyn"
	return c.Set(key, 1) // want `note: task "after" uses a context key that is not a constant`
}
