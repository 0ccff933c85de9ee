package type_error

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=type-error

//cloacina:task
func Broken(ctx context.Context, c *runtime.Context) error {
	return c.Insert("n", undefinedHelper())
}
