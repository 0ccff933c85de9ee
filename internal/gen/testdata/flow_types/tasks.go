package flow_types

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=flow-types

// Order is written by extract.
type Order struct {
	ID       int      `json:"id"`
	Customer string   `json:"customer"`
	Tags     []string `json:"tags"`
}

// OrderView reads an order with a field of another type.
type OrderView struct {
	ID       string `json:"id"`
	Customer string `json:"customer"`
}

//cloacina:task id=extract
func Extract(ctx context.Context, c *runtime.Context) error {
	if err := c.Insert("order", Order{ID: 1, Customer: "acme"}); err != nil {
		return err
	}
	if err := c.Insert("name", "acme"); err != nil {
		return err
	}
	if err := c.Insert("totals", map[string]int{"acme": 1}); err != nil {
		return err
	}
	if err := c.Insert("big", int64(1)<<40); err != nil {
		return err
	}
	return c.Insert("ratio", 0.5)
}

// Transform reads every key with a type that does not fit.
//
//cloacina:task id=transform deps=extract
func Transform(ctx context.Context, c *runtime.Context) error {
	var v OrderView
	if err := c.Get("order", &v); err != nil {
		return err
	}
	if _, err := runtime.Get[int](c, "name"); err != nil {
		return err
	}
	if _, err := runtime.Get[[]int](c, "totals"); err != nil {
		return err
	}
	if _, err := runtime.Get[int32](c, "big"); err != nil {
		return err
	}
	if _, err := runtime.Get[int](c, "ratio"); err != nil {
		return err
	}
	if _, err := runtime.Get[map[string]any](c, "order"); err != nil {
		return err
	}
	return nil
}
