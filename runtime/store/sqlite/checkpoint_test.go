package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cloacina-go/cloacina/runtime/store/sqlite"
)

// TestWALStaysSmall checks that the log is checkpointed while the writer
// commits, although the write connection does not checkpoint itself: two
// thousand commits of about ten pages each would leave a log of some
// 80 MB otherwise. The log's file keeps its largest size, which may pass
// restartFrames by a checkpoint's delay.
func TestWALStaysSmall(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wal.db")
	s, err := sqlite.OpenPath(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const commits = 2000
	for i := range commits {
		if err := create(ctx, s, parallelSpec(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	info, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	const limit = 2 * sqlite.RestartFrames * 4096
	if info.Size() > limit {
		t.Errorf("after %d commits the WAL holds %d bytes; want at most %d (it is not being checkpointed)", commits, info.Size(), limit)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.OpenPath(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.GetExecution(ctx, fmt.Sprint(commits-1)); err != nil {
		t.Errorf("the last execution after reopening: %v", err)
	}
}
