package no_workflow

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:task
func One(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task deps=one
func Two(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task workflow=somewhere
func Three(ctx context.Context, c *runtime.Context) error { return nil }
