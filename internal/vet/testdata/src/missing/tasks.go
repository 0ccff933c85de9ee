package missing // want `cloacina_gen.go is missing; run go generate`

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=missing

//cloacina:task id=only
func Only(ctx context.Context, c *runtime.Context) error { return nil }
