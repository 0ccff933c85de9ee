package flow_key_exists

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=flow-key-exists

//cloacina:task id=extract
func Extract(ctx context.Context, c *runtime.Context) error {
	if err := c.Insert("rows", []int{1}); err != nil {
		return err
	}
	return c.Set("tmp", 1)
}

// Clean removes tmp, so inserting it again downstream is fine.
//
//cloacina:task id=clean deps=extract
func Clean(ctx context.Context, c *runtime.Context) error {
	c.Remove("tmp")
	return nil
}

// Load inserts rows again, which fails at run time.
//
//cloacina:task id=load deps=clean
func Load(ctx context.Context, c *runtime.Context) error {
	if err := c.Insert("tmp", 2); err != nil {
		return err
	}
	return c.Insert("rows", []int{2})
}
