package refers_to_generated

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=refers-to-generated

//cloacina:task
func Only(ctx context.Context, c *runtime.Context) error { return nil }
