package runtime_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cloacina-go/cloacina/runtime"
)

// TestLargeInputIsStoredOnce runs a chain of seven tasks, each adding a
// small key to a context that carries a large value unchanged, and checks
// what the store grew by: the large value must be stored about once, not
// once per task. The value is random so that neither store can shrink it by
// compression and hide a copy per task.
func TestLargeInputIsStoredOnce(t *testing.T) {
	const size = 8 << 20
	forEachBackend(t, func(t *testing.T) {
		small := storedGrowth(t, 1<<10)
		large := storedGrowth(t, size)
		grew := large - small
		t.Logf("stored bytes: %d with a 1 KiB input, %d with an 8 MiB one", small, large)
		if grew > 2*size {
			t.Fatalf("an 8 MiB input made the store grow by %d bytes more than a 1 KiB one; want at most %d (twice the value)", grew, 2*size)
		}
	})
}

// storedGrowth runs the seven-task chain once with an input value of n
// bytes on a fresh store and returns how many bytes the store grew by.
func storedGrowth(t *testing.T, n int) int64 {
	t.Helper()
	wf := carryWorkflow()
	url, schema := testDatabase(t)
	size := func() int64 { return fileBytes(t, strings.TrimPrefix(url, "sqlite://")) }
	if onPostgres(t) {
		size = func() int64 { return schemaBytes(t, url, schema) }
	}
	// A first runner creates the schema, whose size is the starting point.
	fresh := func() *runtime.Config { return &runtime.Config{DatabaseURL: url, Schema: schema} }
	r := newRunner(t, fresh(), wf)
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := size()
	r = newRunner(t, fresh(), wf)
	input := payload(t, n)
	start := time.Now()
	res := execute(t, r, "carry", input)
	t.Logf("%d-byte input: the execution took %s", n, time.Since(start).Round(time.Millisecond))
	if res.Status != runtime.PipelineStatusCompleted {
		t.Fatalf("execution %s: %+v", res.Status, res)
	}
	// Shutting down closes the SQLite database, which folds its write-ahead
	// log into the file, so the file's size is what is stored.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	return size() - before
}

// carryWorkflow is a chain of seven tasks, each of which checks that the
// value "payload" reached it and adds a small value of its own.
func carryWorkflow() *runtime.Workflow {
	b := runtime.NewWorkflow("carry")
	for i := 1; i <= 7; i++ {
		task := &runtime.Task{ID: fmt.Sprintf("t%d", i), Retry: fastRetry(1),
			Func: fn(func(_ context.Context, c *runtime.Context) error {
				if !c.Has("payload") {
					return fmt.Errorf("payload missing")
				}
				return c.Insert(fmt.Sprintf("step%d", i), i)
			})}
		if i > 1 {
			task.Dependencies = []string{fmt.Sprintf("t%d", i-1)}
		}
		b.Add(task)
	}
	return b.MustBuild()
}

// payload is an input context whose value "payload" is a string of n
// random base64 bytes.
func payload(t testing.TB, n int) *runtime.Context {
	t.Helper()
	raw := make([]byte, n*3/4)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	input := runtime.NewContext()
	if err := input.Insert("payload", base64.StdEncoding.EncodeToString(raw)); err != nil {
		t.Fatal(err)
	}
	return input
}

// BenchmarkLargeInput runs the seven-task chain of TestLargeInputIsStoredOnce
// with a 1 KiB and an 8 MiB input value on each store, and encodes the 8 MiB
// context once: a large value costs its encoding, not its size times the
// number of tasks it passes through (the target is input=8MiB at most
// twice input=1KiB plus encode=8MiB).
func BenchmarkLargeInput(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			if backend == "postgres" {
				postgresURL(b)
			}
			for _, n := range []int{1 << 10, 8 << 20} {
				b.Run(fmt.Sprintf("input=%s", byteSize(n)), func(b *testing.B) {
					r := newRunner(b, nil, carryWorkflow())
					input := payload(b, n)
					b.ResetTimer()
					for range b.N {
						if res := execute(b, r, "carry", input); res.Status != runtime.PipelineStatusCompleted {
							b.Fatalf("execution %s: %+v", res.Status, res)
						}
					}
				})
			}
		})
	}
	b.Run("encode=8MiB", func(b *testing.B) {
		input := payload(b, 8<<20)
		b.ResetTimer()
		for range b.N {
			if _, err := input.MarshalJSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func byteSize(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}

// fileBytes is the size of a SQLite database file and of its write-ahead
// log, if one is left.
func fileBytes(t *testing.T, path string) int64 {
	t.Helper()
	var total int64
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
	}
	return total
}

// schemaBytes is the size of every table of a PostgreSQL schema with its
// indexes and TOAST data.
func schemaBytes(t *testing.T, url, schema string) int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var total int64
	err = conn.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'r'`, schema).Scan(&total)
	if err != nil {
		t.Fatal(err)
	}
	return total
}
