package callback_errors

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=callback-errors

//cloacina:task on_success=Notfy on_failure=Alarm
func Work(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task on_success=WrongArgs on_failure=Generic
func More(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task on_success=Nowhere
func Last(ctx context.Context, c *runtime.Context) error { return nil }

// Notify is a fine callback, misspelt above.
func Notify(ctx context.Context, info *runtime.AttemptInfo) {}

// Alarm is a variable, not a function.
var Alarm = func(ctx context.Context, info *runtime.AttemptInfo) {}

// WrongArgs returns an error, which callbacks do not.
func WrongArgs(ctx context.Context, info *runtime.AttemptInfo) error { return nil }

// Generic has a type parameter.
func Generic[T any](ctx context.Context, info *runtime.AttemptInfo) {}
