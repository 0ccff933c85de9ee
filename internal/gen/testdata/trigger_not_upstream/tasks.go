package trigger_not_upstream

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=trigger-not-upstream

//cloacina:task id=a
func A(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task id=b deps=a
func B(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task id=c deps=a
func C(ctx context.Context, c *runtime.Context) error { return nil }

// D depends on b, which depends on a: a is upstream (transitively), c is
// not, x does not exist, and d is d itself.
//
//cloacina:task id=d deps=b
//cloacina:task trigger_rules=all(task_success(a), any(task_failed(c), task_skipped(x)), none(task_success(d)))
func D(ctx context.Context, c *runtime.Context) error { return nil }
