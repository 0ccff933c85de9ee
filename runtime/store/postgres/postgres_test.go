package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/cloacina-go/cloacina/internal/testdb"
	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/postgres"
	"github.com/cloacina-go/cloacina/runtime/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// databaseURL returns the test server's URL, or skips the test saying how to
// enable it (see internal/testdb).
func databaseURL(t testing.TB) string { t.Helper(); return testdb.URL(t) }

// testPool returns a small pool for one test, closed when it ends.
func testPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(databaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// freshSchema returns a new schema name and drops the schema when the test
// ends, so tests isolate themselves and can run in parallel.
func freshSchema(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "cloacina_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		_, _ = pool.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+name+` CASCADE`)
	})
	return name
}

func newStore(t testing.TB) *postgres.Store {
	t.Helper()
	pool := testPool(t)
	s, err := postgres.New(context.Background(), pool, &postgres.Options{Schema: freshSchema(t, pool)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}

func TestSchemaNamesAreCheckedBeforeSQL(t *testing.T) {
	for _, bad := range []string{"tenant-1", "tenant 1", "t;drop", "x\"y", strings.Repeat("a", 41)} {
		// A nil pool would panic on any SQL: the name must be refused first.
		if _, err := postgres.New(context.Background(), nil, &postgres.Options{Schema: bad}); err == nil || !strings.Contains(err.Error(), "must match [A-Za-z0-9_]+") {
			t.Errorf("schema %q: err = %v", bad, err)
		}
	}
	if _, err := postgres.Open(context.Background(), "mysql://x", nil); err == nil {
		t.Fatal("non-postgres URL accepted")
	}
}
