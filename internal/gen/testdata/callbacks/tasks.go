package callbacks

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=callbacks

//cloacina:task on_success=Audit on_failure=Page
func Charge(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task deps=charge on_success=Audit
func Receipt(ctx context.Context, c *runtime.Context) error { return nil }

// Audit records every attempt.
func Audit(ctx context.Context, info *runtime.AttemptInfo) {}

// Page wakes someone up.
func Page(_ context.Context, _ *runtime.AttemptInfo) {}
