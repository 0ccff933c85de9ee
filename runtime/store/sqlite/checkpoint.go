package sqlite

import (
	"context"
	"database/sql"
	"sync"
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
//     connection of its own, each time the writer has written about
//     checkpointPages pages since the last one. A passive checkpoint copies
//     what no reader still needs and never blocks the writer, which goes on
//     appending meanwhile; this is the bulk of the copying and of the
//     waiting for the disk. The writer does not know how many pages a
//     commit wrote; it counts a commit as the pages of the hot path's
//     (commitPages) plus one per 4 KiB of the text and blobs it bound, so a
//     large value or a large batch counts for what it stores.
//   - The log can only start again from its beginning once a checkpoint
//     has copied all of it, which a checkpoint beside a busy writer never
//     does: the writer has always appended more. So each time it has
//     written restartFrames pages by its count, the writer runs one more
//     passive checkpoint itself, between two transactions, copying only
//     what the checkpointer left; its next transaction then restarts the
//     log. It does so after a commit of its usual size: a commit that
//     alone wrote a wake-up's worth of pages (a value of megabytes) wakes
//     the checkpointer to copy them beside the writer, and the writer's own
//     checkpoint waits for a later commit, which finds little left. Only
//     one checkpoint runs at a time: the writer's is skipped while the
//     checkpointer is in one, and tried again at the next commit (as when
//     it could not copy everything), unless the log is twice past the
//     limit, when the writer waits for the checkpointer's to end. That
//     bounds the log at about twice restartFrames pages, and a writer that
//     outruns the disk waits for it, as SQLite's default would make it.
//
// Another process sharing the file checkpoints through its own store in
// the same way; the last connection to close checkpoints what is left.

const (
	// checkpointPages is how many pages the writer writes, by its count,
	// between wake-ups of the checkpointer: SQLite's own threshold.
	checkpointPages = 1000
	// commitPages is what a commit counts for besides its bound data: a
	// commit of the hot path changes ten to twenty pages.
	commitPages = 16
	// restartFrames is how many pages, by its count, the writer writes
	// between two checkpoints of its own (16 MiB of 4 KiB pages).
	restartFrames = 4096
)

// checkpointer is owned by the Store: Close stops its goroutine, then
// closes its database with the others.
type checkpointer struct {
	db   *sql.DB       // one connection, for checkpoints only
	wake chan struct{} // buffered(1): the writer never waits on it
	done chan struct{} // closed when the goroutine exits
	mu   sync.Mutex    // held through each checkpoint
	// Pages written, by the writer's count, since the last wake-up and
	// since the writer's last complete checkpoint; the writer's only.
	pages, sinceRestart int
}

// start runs the checkpointer's goroutine until quit is closed.
func (c *checkpointer) start(quit <-chan struct{}) {
	c.wake, c.done = make(chan struct{}, 1), make(chan struct{})
	go c.run(quit)
}

// committed is called by the writer goroutine after each commit, with the
// write connection's pool and the bytes the transaction bound: it wakes the
// checkpointer every checkpointPages pages and checkpoints itself every
// restartFrames pages.
func (c *checkpointer) committed(write *sql.DB, bound int) {
	if c == nil {
		return
	}
	n := commitPages + bound/4096
	// A commit that alone wrote a wake-up's worth of pages (a large value)
	// leaves the copying of them to the checkpointer, woken below, unless
	// the log is twice past the limit: a checkpoint of its own now would
	// copy them all, while the writer's next small commit finds only what
	// the checkpointer left.
	if c.sinceRestart += n; c.sinceRestart >= restartFrames && (n < checkpointPages || c.sinceRestart >= 2*restartFrames) {
		locked := c.mu.TryLock()
		if !locked && c.sinceRestart >= 2*restartFrames {
			c.mu.Lock()
			locked = true
		}
		if locked {
			// Errors are dropped as in run; an incomplete checkpoint is
			// tried again at the next commit.
			if done, err := checkpoint(write); err == nil && done {
				c.sinceRestart = 0
			}
			c.mu.Unlock()
		}
	}
	if c.pages += n; c.pages < checkpointPages {
		return
	}
	c.pages = 0
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
		c.mu.Lock()
		_, _ = checkpoint(c.db)
		c.mu.Unlock()
	}
}

// checkpoint runs a passive checkpoint on db and reports whether it copied
// the whole log.
func checkpoint(db *sql.DB) (bool, error) {
	var busy, frames, copied int
	err := db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	return err == nil && busy == 0 && copied == frames, err
}

// wait returns once the goroutine has exited; start must have been
// called.
func (c *checkpointer) wait() {
	if c != nil {
		<-c.done
	}
}
