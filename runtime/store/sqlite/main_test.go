package sqlite_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Close stops the store's writer goroutine; none may outlive a test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
