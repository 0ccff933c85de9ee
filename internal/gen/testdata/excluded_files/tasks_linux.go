package excluded_files

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:task id=load_linux deps=extract
func LoadLinux(ctx context.Context, c *runtime.Context) error { return nil }
