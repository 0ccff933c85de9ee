package tasks_list_conflict

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=reports tasks=gather,render

//cloacina:workflow name=billing tasks=charge

// Gather names billing but reports lists it.
//
//cloacina:task workflow=billing
func Gather(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task deps=gather
func Render(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task
func Charge(ctx context.Context, c *runtime.Context) error { return nil }

// Refund names billing, whose tasks= list leaves it out.
//
//cloacina:task workflow=billing
func Refund(ctx context.Context, c *runtime.Context) error { return nil }

// Orphan is in no list, and every workflow has one.
//
//cloacina:task
func Orphan(ctx context.Context, c *runtime.Context) error { return nil }
