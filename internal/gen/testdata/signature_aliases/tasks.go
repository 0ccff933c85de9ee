package signature_aliases

import (
	stdctx "context"

	"github.com/cloacina-go/cloacina/runtime"
)

// Ctx and Data are aliases: the signature is still the task signature.
type (
	Ctx  = stdctx.Context
	Data = runtime.Context
)

//cloacina:workflow name=signature-aliases

//cloacina:task
func Aliased(ctx Ctx, c *Data) error { return nil }

//cloacina:task deps=aliased
func Unnamed(stdctx.Context, *runtime.Context) error { return nil }
