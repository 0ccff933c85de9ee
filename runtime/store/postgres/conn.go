package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// txConn is a transaction on one pooled connection that spends no round
// trip of its own: BEGIN travels with the first statement, and COMMIT with
// the last batch (see finalize). A write operation is then three round
// trips when it records outcomes and claims: the outcomes, the claim, and
// the events, counters and notifications with the commit.
type txConn struct {
	c          *pgxpool.Conn
	begun      bool
	committing bool // COMMIT was sent: the outcome of a failure is unknown
	done       bool
}

// begin prepends BEGIN to a batch when the transaction has not started.
func (c *txConn) batch(b *pgx.Batch) *pgx.Batch {
	if c.begun {
		return b
	}
	c.begun = true
	nb := &pgx.Batch{}
	nb.Queue("begin")
	nb.QueuedQueries = append(nb.QueuedQueries, b.QueuedQueries...)
	return nb
}

// send sends b, reading the result of a prepended BEGIN first.
func (c *txConn) send(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	prepended := !c.begun
	br := c.c.SendBatch(ctx, c.batch(b))
	if prepended {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, fmt.Errorf("begin transaction: %w", err)
		}
	}
	return br, nil
}

// Exec runs one statement.
func (c *txConn) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if c.begun {
		return c.c.Exec(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br, err := c.send(ctx, b)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	return tag, errors.Join(err, br.Close())
}

// Query runs one statement that returns rows.
func (c *txConn) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if c.begun {
		return c.c.Query(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br, err := c.send(ctx, b)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// QueryRow runs one statement that returns at most one row.
func (c *txConn) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if c.begun {
		return c.c.QueryRow(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br, err := c.send(ctx, b)
	if err != nil {
		return errRow{err}
	}
	return &batchRow{row: br.QueryRow(), br: br}
}

// SendBatch sends a batch inside the transaction.
func (c *txConn) SendBatch(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	return c.send(ctx, b)
}

// Commit commits, unless the transaction never started. commitQueued says
// the caller sent COMMIT at the end of its last batch already.
func (c *txConn) Commit(ctx context.Context, commitQueued bool) error {
	if !c.begun || commitQueued {
		c.done = true
		return nil
	}
	c.committing = true
	_, err := c.c.Exec(ctx, "commit")
	c.done = err == nil
	return err
}

// Rollback ends a transaction that did not commit and releases the
// connection either way.
func (c *txConn) Release(ctx context.Context) {
	if c.begun && !c.done {
		// A failed rollback leaves the connection unusable; close it so the
		// pool does not hand it out in the middle of a transaction.
		if _, err := c.c.Exec(context.WithoutCancel(ctx), "rollback"); err != nil {
			_ = c.c.Conn().Close(context.WithoutCancel(ctx))
		}
	}
	c.c.Release()
}

// batchRows closes the batch with the rows.
type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *batchRows) Close() {
	r.Rows.Close()
	_ = r.br.Close()
}

// batchRow closes the batch after the scan.
type batchRow struct {
	row pgx.Row
	br  pgx.BatchResults
}

func (r *batchRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
