package flow_typed_keys

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=flow-typed-keys

// The keys of the workflow, with the types of their values.
const (
	Totals  runtime.Key[map[string]int] = "totals"
	Rows    runtime.Key[[]int]          = "totals"
	Summary runtime.Key[string]         = "sumary"
)

//cloacina:task id=extract
func Extract(ctx context.Context, c *runtime.Context) error {
	return Totals.Insert(c, map[string]int{"acme": 3})
}

// Transform reads totals as the wrong type, through a second key of the
// same name.
//
//cloacina:task id=transform deps=extract
func Transform(ctx context.Context, c *runtime.Context) error {
	rows, err := Rows.Get(c)
	if err != nil {
		return err
	}
	return runtime.Key[int]("count").Set(c, len(rows))
}

//cloacina:task id=load deps=transform
func Load(ctx context.Context, c *runtime.Context) error {
	if _, err := runtime.Get[int](c, "count"); err != nil {
		return err
	}
	_, err := Summary.Get(c)
	return err
}
