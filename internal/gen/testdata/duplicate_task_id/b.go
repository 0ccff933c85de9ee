package duplicate_task_id

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

// Load's default id, "load", is taken by LoadOrders.
//
//cloacina:task
func Load(ctx context.Context, c *runtime.Context) error { return nil }
