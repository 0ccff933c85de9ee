package unknown_verb_and_key

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=unknown-verb-and-key

//cloacina:tsk id=typo
func Typo(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task retry_attemps=5
func Misspelt(ctx context.Context, c *runtime.Context) error { return nil }

// cloacina:task
func Spaced(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task workflows=x
func Plural(ctx context.Context, c *runtime.Context) error { return nil }
