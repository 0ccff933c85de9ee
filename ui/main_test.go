package ui_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no goroutine outlives the tests: every event
// stream, runner and browser the tests start is stopped.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
