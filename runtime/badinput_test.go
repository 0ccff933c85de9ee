package runtime_test

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/runtime/store"
)

func TestUnencodableValueFailsTheTaskWithTheKey(t *testing.T) {
	wf := runtime.NewWorkflow("nan").Add(
		&runtime.Task{ID: "first", Func: fn(func(_ context.Context, c *runtime.Context) error { return c.Set("kept", 1) })},
		&runtime.Task{ID: "bad", Dependencies: []string{"first"}, Retry: fastRetry(1), Func: fn(func(_ context.Context, c *runtime.Context) error {
			return c.Set("ratio", math.NaN())
		})},
	).MustBuild()
	r := newRunner(t, nil, wf)
	res, err := r.Execute(context.Background(), "nan", nil)
	if res == nil || res.Status != runtime.PipelineStatusFailed {
		t.Fatalf("result %v err %v", res, err)
	}
	if !strings.Contains(err.Error(), `context set "ratio": value of type float64 cannot be encoded as JSON`) {
		t.Fatalf("error %q does not name the key and the reason", err)
	}
	// What the failed task received is its output, unchanged by the failed write.
	if res.Context.String() != `{"kept":1}` {
		t.Fatalf("final context %s", res.Context)
	}
}

func TestUnwritableDatabasePath(t *testing.T) {
	_, err := runtime.NewRunner(context.Background(), &runtime.Config{
		DatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"),
		Registry:    runtime.NewRegistry(),
	})
	if err == nil || !strings.Contains(err.Error(), "no such file or directory") || !strings.Contains(err.Error(), "x.db") {
		t.Fatalf("err = %v, want it to name the file and say the directory is missing", err)
	}
}

func TestDatabaseFromANewerVersionIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newer.db")
	wf := runtime.NewWorkflow("one").Add(&runtime.Task{ID: "a", Func: fn(func(context.Context, *runtime.Context) error { return nil })}).MustBuild()
	r := newRunner(t, &runtime.Config{DatabaseURL: "sqlite://" + path}, wf)
	res := execute(t, r, "one", nil)
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO cloacina_migrations (version, name, applied_at) VALUES (1000, '1000_from_the_future', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = runtime.NewRunner(context.Background(), &runtime.Config{DatabaseURL: "sqlite://" + path, Registry: runtime.NewRegistry()})
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("NewRunner on a newer database = %v, want store.ErrSchemaTooNew", err)
	}
	// The stored execution is intact: remove the future migration and read it back.
	db, _ = sql.Open("sqlite", "file:"+path)
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM cloacina_executions WHERE id = ? AND state = 'completed'`, res.ExecutionID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("stored execution: %d rows, %v", n, err)
	}
	db.Close()
}
