package runtime_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
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

// onPostgres reports whether t runs under forEachBackend's postgres case.
func onPostgres(t *testing.T) bool { return strings.Contains(t.Name(), "/postgres") }

// postgresURL returns the test server's URL, or skips the test saying how
// to enable it.
func postgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("CLOACINA_TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("CLOACINA_REQUIRE_POSTGRES") != "" {
			t.Fatal("CLOACINA_REQUIRE_POSTGRES is set but CLOACINA_TEST_DATABASE_URL is empty: the PostgreSQL suite must run")
		}
		t.Skip("PostgreSQL tests skipped: set CLOACINA_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run them")
	}
	return u
}

// freshSchema returns a new schema name for one test and drops the schema
// when the test ends.
func freshSchema(t testing.TB) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "cloacina_test_" + hex.EncodeToString(b[:])
	u := postgresURL(t)
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+name+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}
