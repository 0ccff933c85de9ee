//go:build enterprise

package excluded_files

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

// Audit runs only in enterprise builds.
//
//cloacina:task id=audit deps=extract
//cloacina:task retry_attempts=5
func Audit(ctx context.Context, c *runtime.Context) error { return nil }
