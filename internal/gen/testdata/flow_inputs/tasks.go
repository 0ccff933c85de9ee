package flow_inputs

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=flow-inputs inputs=mode:string,date,limit:int,ratio:number

//cloacina:task id=start
func Start(ctx context.Context, c *runtime.Context) error {
	mode, err := runtime.Get[string](c, "mode")
	if err != nil {
		return err
	}
	var date struct{ Year int }
	if err := c.Get("date", &date); err != nil {
		return err
	}
	limit, err := runtime.Get[int64](c, "limit")
	if err != nil {
		return err
	}
	return c.Set("summary", mode+string(rune(limit)))
}

// Check reads inputs with types that cannot hold them.
//
//cloacina:task id=check deps=start trigger_rules=all(task_success(start), context_value(limit, equals, "ten"))
func Check(ctx context.Context, c *runtime.Context) error {
	if _, err := runtime.Get[int](c, "mode"); err != nil {
		return err
	}
	if _, err := runtime.Get[int](c, "ratio"); err != nil {
		return err
	}
	_, err := runtime.Get[string](c, "moed")
	return err
}
