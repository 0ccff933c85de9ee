package sqlite

import (
	"context"
	"database/sql"
	"sync/atomic"
)

// Checkpoints. In WAL mode a commit appends the pages it changed to the
// log, and a checkpoint copies them back into the database file, with an
// fsync of each file. SQLite's default runs the checkpoint inside the
// commit that takes the log past 1,000 pages, so about one write in sixty
// waited several milliseconds while every other writer queued behind it.
//
// Here the write connection does not checkpoint on commit
// (wal_autocheckpoint=0). Instead:
//   - the store's checkpointer goroutine runs passive checkpoints on a
//     connection of its own, every checkpointEvery commits. A passive
//     checkpoint copies what no reader still needs and never blocks the
//     writer, which goes on appending meanwhile; this is the bulk of the
//     copying and of the waiting for the disk.
//   - The log can only start again from its beginning once a checkpoint
//     has copied all of it, which a checkpoint beside a busy writer never
//     does: the writer has always appended more. So when the log has grown
//     past restartFrames, the writer runs one more passive checkpoint
//     itself, between two transactions, copying only what the last one
//     left; its next transaction then restarts the log. That bounds the
//     log at about restartFrames pages.
//
// Another process sharing the file checkpoints through its own store in
// the same way; the last connection to close checkpoints what is left.

const (
	// checkpointEvery is how many commits the writer makes between
	// wake-ups of the checkpointer. A commit of the hot path changes ten
	// to twenty pages, so this is close to SQLite's own threshold of 1,000
	// pages.
	checkpointEvery = 64
	// restartFrames is the log's size, in pages, past which the writer
	// catches up the checkpoint itself (16 MiB of 4 KiB pages).
	restartFrames = 4096
)

// checkpointer is owned by the Store: Close stops its goroutine, then
// closes its database with the others.
type checkpointer struct {
	db      *sql.DB       // one connection, for checkpoints only
	wake    chan struct{} // buffered(1): the writer never waits on it
	done    chan struct{} // closed when the goroutine exits
	n       int           // commits since the last wake-up; the writer's only
	restart atomic.Bool   // the log is past restartFrames: the writer catches up
}

// start runs the checkpointer's goroutine until quit is closed.
func (c *checkpointer) start(quit <-chan struct{}) {
	c.wake, c.done = make(chan struct{}, 1), make(chan struct{})
	go c.run(quit)
}

// committed is called by the writer goroutine after each commit, with the
// write connection's pool: it wakes the checkpointer every checkpointEvery
// commits and catches up the checkpoint when the log has grown too long.
func (c *checkpointer) committed(write *sql.DB) {
	if c == nil {
		return
	}
	if c.restart.CompareAndSwap(true, false) {
		// Errors are dropped as in run: the next checkpoint tries again.
		_, _ = checkpoint(write)
	}
	if c.n++; c.n < checkpointEvery {
		return
	}
	c.n = 0
	select {
	case c.wake <- struct{}{}:
	default: // a checkpoint is already due
	}
}

func (c *checkpointer) run(quit <-chan struct{}) {
	defer close(c.done)
	for {
		select {
		case <-quit:
			return
		case <-c.wake:
		}
		// A failed checkpoint loses nothing: the pages stay in the log and
		// the next one copies them. A lasting cause (a full disk) fails the
		// writes too, where the caller sees it.
		if frames, err := checkpoint(c.db); err == nil && frames > restartFrames {
			c.restart.Store(true)
		}
	}
}

// checkpoint runs a passive checkpoint on db and returns the log's length
// in pages.
func checkpoint(db *sql.DB) (int, error) {
	var busy, frames, copied int
	err := db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	return frames, err
}

// wait returns once the goroutine has exited; start must have been
// called.
func (c *checkpointer) wait() {
	if c != nil {
		<-c.done
	}
}
