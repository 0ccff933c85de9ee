package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/sqlite"
)

// TestListenHearsOtherStores: a store's listeners hear of a commit by
// another store on the same file (another process, as SQLite sees it),
// and not of the store's own; the channel closes when the listener's
// context ends.
func TestListenHearsOtherStores(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.db")
	open := func() *sqlite.Store {
		s, err := sqlite.OpenPath(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	mine, other := open(), open()
	lctx, stop := context.WithCancel(ctx)
	ch, err := mine.Listen(lctx)
	if err != nil {
		t.Fatal(err)
	}
	create := func(s *sqlite.Store, id string) {
		t.Helper()
		_, err := s.CreateExecutions(ctx, &store.CreateExecutionsParams{RunnerID: "r", Executions: []*store.NewExecution{{
			ID: id, WorkflowName: "w", WorkflowVersion: "v", Input: store.EmptyDoc, Tasks: []store.TaskSpec{{TaskID: "a", MaxAttempts: 1}},
		}}, Decide: func(in *store.DecideInput) (*store.Decision, error) {
			return &store.Decision{Run: true, Input: *in.ExecutionInput}, nil
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The first notification comes at once, for what was committed before
	// the watch began; after it, this store's own write is not news.
	if n := <-ch; n.Kind != store.NotifyDatabaseChanged {
		t.Fatalf("first notification %+v, want NotifyDatabaseChanged", n)
	}
	create(mine, "own")
	sqlite.CheckVersion(mine)
	select {
	case n := <-ch:
		t.Fatalf("notified of the store's own commit: %+v", n)
	default:
	}
	create(other, "theirs")
	select {
	case n := <-ch:
		if n.Kind != store.NotifyDatabaseChanged {
			t.Fatalf("notification %+v, want NotifyDatabaseChanged", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification of another store's commit")
	}
	stop()
	for range ch { // closes once the listener's context ended
	}
}
