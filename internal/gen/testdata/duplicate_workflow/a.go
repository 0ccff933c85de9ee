package duplicate_workflow

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=twin

//cloacina:task
func Only(ctx context.Context, c *runtime.Context) error { return nil }
