package excluded_files

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=excluded-files

//cloacina:task id=extract
func Extract(ctx context.Context, c *runtime.Context) error { return nil }
