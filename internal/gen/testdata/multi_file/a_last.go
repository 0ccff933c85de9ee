package multi_file

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:task id=leaf deps=middle,root
func Leaf(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:workflow name=multi-file
