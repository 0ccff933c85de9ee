package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/sqlite"
	"github.com/cloacina-go/cloacina/runtime/store/storetest"
)

func openTemp(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.OpenPath(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestConformanceInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), "sqlite://:memory:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestParseURL(t *testing.T) {
	good := map[string]string{
		"sqlite://cloacina.db":        "cloacina.db",
		"sqlite://data/cloacina.db":   "data/cloacina.db",
		"sqlite:///abs/path.db":       "/abs/path.db",
		"sqlite://:memory:":           ":memory:",
		"sqlite:///with%20space/x.db": "/with space/x.db",
	}
	for in, want := range good {
		got, err := sqlite.ParseURL(in)
		if err != nil || got != want {
			t.Errorf("ParseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := map[string]string{
		"cloacina.db":           "must start with sqlite://",
		"postgres://x":          "must start with sqlite://",
		"sqlite://":             "names no file",
		"sqlite://x.db?mode=ro": "query parameters are not supported",
	}
	for in, want := range bad {
		if _, err := sqlite.ParseURL(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseURL(%q) = %v, want error containing %q", in, err, want)
		}
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keep.db")
	ctx := context.Background()
	s, err := sqlite.OpenPath(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := create(ctx, s, &store.NewExecution{ID: "e1", WorkflowName: "w", WorkflowVersion: "v",
		Input: store.Doc{Data: []byte(`{"k":"v"}`)}, Tasks: []store.TaskSpec{{TaskID: "a", MaxAttempts: 1}}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.OpenPath(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	e, err := s.GetExecution(ctx, "e1")
	if err != nil || string(e.Input.Data) != `{"k":"v"}` {
		t.Fatalf("after reopen: %+v, %v", e, err)
	}
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	ctx := context.Background()
	s, err := sqlite.OpenPath(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Simulate a newer library having migrated the file.
	raw := openRaw(t, path)
	if _, err := raw.Exec(`INSERT INTO cloacina_migrations (version, name, applied_at) VALUES (999, '999_future', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE future_table (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	_, err = sqlite.OpenPath(ctx, path)
	if !errors.Is(err, store.ErrSchemaTooNew) || !strings.Contains(err.Error(), "schema version 999") {
		t.Fatalf("open of a newer database = %v, want ErrSchemaTooNew naming the version", err)
	}
	// Nothing was changed: the future table and migration row are intact.
	raw = openRaw(t, path)
	defer raw.Close()
	var n int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM cloacina_migrations WHERE version = 999`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("migration row: %d, %v", n, err)
	}
	if _, err := raw.Exec(`SELECT x FROM future_table`); err != nil {
		t.Fatalf("future table damaged: %v", err)
	}
}

func TestUnwritablePath(t *testing.T) {
	ctx := context.Background()
	_, err := sqlite.OpenPath(ctx, filepath.Join(t.TempDir(), "missing-dir", "x.db"))
	if err == nil || !strings.Contains(err.Error(), "missing-dir") {
		t.Fatalf("open in a missing directory = %v", err)
	}
	if os.Geteuid() != 0 { // root can write anywhere
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o700)
		_, err = sqlite.OpenPath(ctx, filepath.Join(dir, "x.db"))
		if err == nil {
			t.Fatal("open in a read-only directory succeeded")
		}
	}
	// A path that is a directory is not a database.
	_, err = sqlite.OpenPath(ctx, t.TempDir())
	if err == nil {
		t.Fatal("open of a directory succeeded")
	}
}

func TestLatestSchemaVersion(t *testing.T) {
	if sqlite.LatestSchemaVersion() < 1 {
		t.Fatal("no migrations embedded")
	}
}
