package import_alias

import (
	"context"

	rt "github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=import-alias inputs=n:int

// Check compares a number, so the generated file needs encoding/json too.
//
//cloacina:task trigger_rules=context_value(n, equals, 1)
func Check(ctx context.Context, c *rt.Context) error { return nil }
