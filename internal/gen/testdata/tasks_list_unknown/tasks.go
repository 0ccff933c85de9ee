package tasks_list_unknown

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=tasks-list-unknown tasks=fetch,prase,nowhere

//cloacina:task
func Fetch(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task deps=fetch
func Parse(ctx context.Context, c *runtime.Context) error { return nil }
