package cloacinatest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every harness shuts its runner down in t.Cleanup, and the runner waits
// for every goroutine it started: none may be left.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
