package multi_file

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:task id=root
func Root(ctx context.Context, c *runtime.Context) error { return nil }
