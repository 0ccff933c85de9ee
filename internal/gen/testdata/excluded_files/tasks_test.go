package excluded_files

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=test-only

//cloacina:task id=fake workflow=test-only
func Fake(ctx context.Context, c *runtime.Context) error { return nil }
