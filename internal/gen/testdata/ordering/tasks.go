package ordering

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=ordering-b

//cloacina:workflow name=ordering-a

// Declared in reverse: output is sorted by workflow name and task id.
//
//cloacina:task workflow=ordering-b id=zeta
func Zeta(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task workflow=ordering-b id=alpha deps=zeta
func Alpha(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task workflow=ordering-a id=mid
func Mid(ctx context.Context, c *runtime.Context) error { return nil }
