package runtime_test

import (
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/internal/testdb"
)

// forEachBackend runs a runner test on the embedded SQLite store and, when
// CLOACINA_TEST_DATABASE_URL is set, on PostgreSQL in a fresh schema.
func forEachBackend(t *testing.T, test func(t *testing.T)) {
	t.Run("sqlite", test)
	t.Run("postgres", func(t *testing.T) {
		postgresURL(t)
		test(t)
	})
}

// onPostgres reports whether t runs under forEachBackend's postgres case
// (or a benchmark's).
func onPostgres(t testing.TB) bool { return strings.Contains(t.Name(), "/postgres") }

// postgresURL returns the test server's URL, or skips the test saying how to
// enable it (see internal/testdb).
func postgresURL(t testing.TB) string { t.Helper(); return testdb.URL(t) }

// freshSchema returns a new schema for one test, dropped when it ends.
func freshSchema(t testing.TB) string { t.Helper(); return testdb.FreshSchema(t, "cloacina_test_") }
