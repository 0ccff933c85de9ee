package test_file_only_test

import (
	"context"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=from-tests

// Check is a task of an external test package.
//
//cloacina:task
func Check(ctx context.Context, c *runtime.Context) error { return nil }
