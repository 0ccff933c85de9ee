package sqlite_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/sqlite"
)

// TestWALStaysSmall checks that the log is checkpointed while the writer
// commits, although the write connection does not checkpoint itself, for
// many small commits, for a few large ones and for commits each larger
// than a wake-up of the checkpointer (which leave the copying to it): any
// would otherwise leave a log of some 80 MB. The log's file keeps its
// largest size: about twice restartFrames pages at most, and one commit.
func TestWALStaysSmall(t *testing.T) {
	withValue := func(size int) func(id string) *store.NewExecution {
		big := `"` + strings.Repeat("x", size) + `"`
		sum := sha256.Sum256([]byte(big))
		h := hex.EncodeToString(sum[:])
		return func(id string) *store.NewExecution {
			e := parallelSpec(id)
			e.Input = store.Doc{Data: []byte(`{}`), Refs: map[string]string{"big": h}}
			e.Values = []store.Value{{Hash: h, Data: []byte(big)}}
			return e
		}
	}
	for _, c := range []struct {
		name    string
		commits int
		spec    func(id string) *store.NewExecution
	}{
		{"small commits", 2000, parallelSpec},
		{"2 MiB values", 40, withValue(2 << 20)},
		{"8 MiB values", 12, withValue(8 << 20)},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "wal.db")
			s, err := sqlite.OpenPath(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for i := range c.commits {
				if err := create(ctx, s, c.spec(fmt.Sprint(i))); err != nil {
					t.Fatal(err)
				}
			}
			info, err := os.Stat(path + "-wal")
			if err != nil {
				t.Fatal(err)
			}
			const limit = 2*sqlite.RestartFrames*4096 + 4<<20
			if info.Size() > limit {
				t.Errorf("after %d commits the WAL holds %d bytes; want at most %d (it is not being checkpointed)", c.commits, info.Size(), limit)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s, err = sqlite.OpenPath(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.GetExecution(ctx, fmt.Sprint(c.commits-1)); err != nil {
				t.Errorf("the last execution after reopening: %v", err)
			}
		})
	}
}
