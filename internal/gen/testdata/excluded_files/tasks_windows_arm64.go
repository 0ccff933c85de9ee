package excluded_files

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:task id=load_windows deps=extract
func LoadWindows(ctx context.Context, c *runtime.Context) error { return nil }
