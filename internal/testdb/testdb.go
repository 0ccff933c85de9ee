// Package testdb gives the project's tests their PostgreSQL database: the
// server named by CLOACINA_TEST_DATABASE_URL, and a schema of their own,
// dropped when they end, so tests run in parallel. Without the variable a
// test skips, saying how to run it, unless CLOACINA_REQUIRE_POSTGRES is set
// (as CI sets it): then it fails, so the PostgreSQL suite cannot be
// skipped by accident.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The environment variables tests read.
const (
	EnvURL     = "CLOACINA_TEST_DATABASE_URL"
	EnvRequire = "CLOACINA_REQUIRE_POSTGRES"
)

// URL returns the test server's URL, or skips (or fails) the test.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		if os.Getenv(EnvRequire) != "" {
			t.Fatal(EnvRequire + " is set but " + EnvURL + " is empty: the PostgreSQL suite must run")
		}
		t.Skip("PostgreSQL tests skipped: set " + EnvURL + " (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run them")
	}
	return u
}

// FreshSchema returns the name of a new schema for one test, prefix plus a
// random suffix, and drops the schema (with whatever the test stored in
// it) when the test ends.
func FreshSchema(t testing.TB, prefix string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := prefix + hex.EncodeToString(b[:])
	u := URL(t)
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}
