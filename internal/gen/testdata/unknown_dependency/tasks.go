package unknown_dependency

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=unknown-dependency

//cloacina:task
func Extract(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task
func Transform(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task deps=extract,transfrom
func Load(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task deps=nothing_like_it
func Report(ctx context.Context, c *runtime.Context) error { return nil }
