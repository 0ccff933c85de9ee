package multi_file

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:task id=middle deps=root
func Middle(ctx context.Context, c *runtime.Context) error { return nil }
