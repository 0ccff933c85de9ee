package multiple_workflows

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

// Fetch is shared: weekly-audit and cleanup list it, so daily-sync does
// not hold it.
//
//cloacina:task
func Fetch(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task deps=fetch
func Audit(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task
func Sync(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task deps=sync workflow=daily-sync
func Publish(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task workflow=cleanup deps=fetch
func Vacuum(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task deps=vacuum
func Compact(ctx context.Context, c *runtime.Context) error { return nil }
