package duplicate_task_id

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=duplicate-task-id

//cloacina:task id=load
func LoadOrders(ctx context.Context, c *runtime.Context) error { return nil }
