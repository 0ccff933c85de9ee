package flow_missing_key

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=flow-missing-key

//cloacina:task id=extract
func Extract(ctx context.Context, c *runtime.Context) error {
	if err := c.Insert("totals", map[string]int{"acme": 1}); err != nil {
		return err
	}
	return c.Insert("rows", []int{1, 2})
}

// Load misspells a key, reads one nobody writes, and updates one that does
// not exist.
//
//cloacina:task id=load deps=extract
func Load(ctx context.Context, c *runtime.Context) error {
	totals, err := runtime.Get[map[string]int](c, "totlas")
	if err != nil {
		return err
	}
	var day string
	if err := c.Get("day", &day); err != nil {
		return err
	}
	return c.Update("count", len(totals))
}

// Report declares a read that nothing provides.
//
//cloacina:task id=report deps=load reads=summary
func Report(ctx context.Context, c *runtime.Context) error { return nil }

// Start is a root task reading what the execution's input would have to
// provide.
//
//cloacina:task id=start
func Start(ctx context.Context, c *runtime.Context) error {
	_, err := runtime.Get[string](c, "mode")
	return err
}
