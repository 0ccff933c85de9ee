package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// txConn is a transaction on one pooled connection that spends no round
// trip of its own: BEGIN travels with the first statement, and COMMIT with
// the last batch (see tx.Finish).
type txConn struct {
	c          *pgxpool.Conn
	begun      bool
	committing bool // COMMIT was sent: the outcome of a failure is unknown
	done       bool
}

// opening are the statements that start every write transaction. The
// write statements all probe indexes for the rows they name or walk one in
// order (a claim); on tables whose statistics are missing or stale (a fresh
// schema, a burst of new rows) the planner prefers bitmap scans of every
// ready or running row followed by a sort, at milliseconds a statement, so
// bitmap scans are off for the transaction.
var opening = []string{"begin", "set local enable_bitmapscan = off"}

// batch prepends the opening statements to a batch when the transaction
// has not started.
func (c *txConn) batch(b *pgx.Batch) *pgx.Batch {
	if c.begun {
		return b
	}
	c.begun = true
	nb := &pgx.Batch{}
	for _, q := range opening {
		nb.Queue(q)
	}
	nb.QueuedQueries = append(nb.QueuedQueries, b.QueuedQueries...)
	return nb
}

// send sends b, reading the results of prepended opening statements first.
func (c *txConn) send(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	prepended := !c.begun
	br := c.c.SendBatch(ctx, c.batch(b))
	if prepended {
		for range opening {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return nil, fmt.Errorf("begin transaction: %w", err)
			}
		}
	}
	return br, nil
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
	b := &pgx.Batch{}
	b.Queue("commit")
	err := readCommit(c.c.SendBatch(ctx, b))
	c.done = err == nil
	return err
}

// Release rolls back a transaction that did not commit and releases the
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
