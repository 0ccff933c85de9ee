package flow_unchecked

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=flow-unchecked

// Shards writes keys it computes: they are not checked, and the reads of
// the tasks downstream of it are not reported.
//
//cloacina:task id=shards
func Shards(ctx context.Context, c *runtime.Context) error {
	for i := range 3 {
		if err := c.Set(fmt.Sprintf("shard_%d", i), i); err != nil {
			return err
		}
	}
	return nil
}

//cloacina:task id=merge deps=shards
func Merge(ctx context.Context, c *runtime.Context) error {
	_, err := runtime.Get[int](c, "shard_0")
	return err
}

// Declared computes its keys too, but declares what it writes.
//
//cloacina:task id=declared writes=part_a:int,part_b:int
func Declared(ctx context.Context, c *runtime.Context) error {
	for _, k := range []string{"part_a", "part_b"} {
		if err := c.Set(k, 1); err != nil {
			return err
		}
	}
	return nil
}

//cloacina:task id=use deps=declared
func Use(ctx context.Context, c *runtime.Context) error {
	_, err := runtime.Get[int](c, "part_a")
	return err
}

// Foreign passes its context to code the generator does not follow.
//
//cloacina:task id=foreign
func Foreign(ctx context.Context, c *runtime.Context) error {
	fmt.Println(c) // printing is not a use of keys
	return json.Unmarshal([]byte(`{"x": 1}`), c)
}
