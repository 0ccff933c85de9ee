package dependencies_alias

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=dependencies-alias

//cloacina:task id=a
func A(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task id=b
func B(ctx context.Context, c *runtime.Context) error { return nil }

// C uses the long spelling of deps; the order given is kept.
//
//cloacina:task id=c dependencies=b,a
func C(ctx context.Context, c *runtime.Context) error { return nil }
