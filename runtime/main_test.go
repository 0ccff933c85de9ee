package runtime_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		os.Exit(crashChild())
	}
	if os.Getenv(pgWorkerEnv) != "" {
		os.Exit(pgWorkerMain())
	}
	if os.Getenv(readerEnv) != "" {
		os.Exit(readerMain())
	}
	// Every runner a test starts is shut down by the test, and Shutdown
	// waits for every goroutine the runner started: none may be left.
	goleak.VerifyTestMain(m)
}
