package foreign_output

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=foreign-output

//cloacina:task
func Only(ctx context.Context, c *runtime.Context) error { return nil }
