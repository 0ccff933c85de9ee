package self_dependency

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=self-dependency

//cloacina:task id=loop deps=loop
func Loop(ctx context.Context, c *runtime.Context) error { return nil }
