package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cloacina-go/cloacina/internal/testdb"
)

// TestCommitAnsweredThenSessionEnds: the server answers COMMIT and the
// session is terminated before it says it is ready for the next query (an
// administrator's pg_terminate_backend, arriving just after the commit).
// The transaction is stored, and the commit is reported as the success it
// was: reported as a failure, the claims it stored would be taken for lost.
func TestCommitAnsweredThenSessionEnds(t *testing.T) {
	ctx := context.Background()
	url := testdb.URL(t)
	schema := testdb.FreshSchema(t, "cloacina_commit_")
	table := pgx.Identifier{schema, "t"}.Sanitize()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE `+table+` (x int)`); err != nil {
		t.Fatal(err)
	}

	c, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn := &txConn{c: c}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO ` + table + ` VALUES (1)`)
	// The session ends itself right after the COMMIT, in the same batch.
	b.Queue("commit")
	b.Queue("SELECT pg_terminate_backend(pg_backend_pid())")
	br, err := conn.SendBatch(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := br.Exec(); err != nil {
		t.Fatal(err)
	}
	if err := readCommit(br); err != nil {
		t.Errorf("a commit the server answered was reported as failed: %v", err)
	}
	if !c.Conn().IsClosed() {
		t.Error("the session did not end: the test did not exercise a terminated connection")
	}
	conn.done = true
	conn.Release(ctx)

	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d rows stored, want 1", n)
	}
}
