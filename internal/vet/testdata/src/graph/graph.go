package graph

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=graph

//cloacina:task id=extract
func Extract(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task id=load deps=extrct // want `task "load" depends on unknown task "extrct" .*did you mean "extract"\?`
func Load(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task id=bad retry_atempts=3 // want `unknown key "retry_atempts" for //cloacina:task; did you mean "retry_attempts"\?`
func Bad(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task id=sig
func Sig(ctx context.Context, c runtime.Context) error { return nil } // want `task "sig": func Sig has signature`
