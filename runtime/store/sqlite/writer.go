package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/internal/engine"
)

// maxBatch caps how many write operations share one transaction.
const maxBatch = 64

// writeOp is one write operation (a CreateExecutions, a CompleteTasks, ...)
// waiting for the writer goroutine.
type writeOp struct {
	ctx    context.Context
	now    time.Time
	runner string
	fn     func(engine.Tx) error
	done   chan error // buffered(1): the writer never blocks on it
}

// writer is the store's engine.Backend.
type writer struct{ s *Store }

// Write implements engine.Backend: it hands op to the writer goroutine and
// returns once its transaction is committed (or failed). Operations queued
// while another transaction runs are committed together: each runs inside
// its own savepoint, so one failing undoes only itself, and all share one
// commit, the costly part of a write on SQLite. That is group commit; it
// is what lets many executions be created while a runner records outcomes,
// without a commit for each.
func (w writer) Write(ctx context.Context, now time.Time, runner string, fn func(engine.Tx) error) error {
	s := w.s
	if err := ctx.Err(); err != nil {
		return err
	}
	op := &writeOp{ctx: ctx, now: now, runner: runner, fn: fn, done: make(chan error, 1)}
	select {
	case s.ops <- op: // unbuffered: the writer has taken it and will answer
	case <-s.quit:
		return store.ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-op.done
}

// writeLoop is the writer goroutine. It is owned by the Store and exits when
// Close closes quit.
func (s *Store) writeLoop() {
	defer close(s.writerDone)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	var watch <-chan time.Time // nil for :memory:: no other process
	if t := s.watchTicks(); t != nil {
		defer t.Stop()
		watch = t.C
	}
	for {
		select {
		case <-watch: // due while the writer was busy (see watch.go)
			s.checkVersion()
		default:
		}
		var first *writeOp
		contended := true
		select {
		case first = <-s.ops: // someone was already waiting: writers are contending
		default:
			contended = false
			for first == nil {
				select {
				case first = <-s.ops:
				case <-watch: // see watch.go
					s.checkVersion()
				case <-s.quit:
					return
				}
			}
		}
		batch := s.collect([]*writeOp{first})
		if contended && len(batch) == 1 {
			// Group commit delay: another writer was queued behind the last
			// transaction, so another is likely a few microseconds away (a
			// runner's dispatcher and an ExecuteAsync caller take turns).
			// Waiting briefly for it lets both share one commit, which costs
			// more than the wait. Without contention there is no delay, so a
			// lone writer (a chain of tasks) never waits.
			linger.Reset(groupCommitDelay)
			select {
			case op := <-s.ops:
				batch = s.collect(append(batch, op))
				if !linger.Stop() {
					<-linger.C
				}
			case <-linger.C:
			}
		}
		s.runBatch(batch)
	}
}

// groupCommitDelay is how long the writer waits for a second operation when
// writers are contending; see writeLoop.
const groupCommitDelay = 100 * time.Microsecond

// collect adds the operations already waiting to batch, up to maxBatch.
func (s *Store) collect(batch []*writeOp) []*writeOp {
	for len(batch) < maxBatch {
		select {
		case op := <-s.ops:
			batch = append(batch, op)
		default:
			return batch
		}
	}
	return batch
}

// tick returns the time of an operation in Unix microseconds: its caller's
// time when it gave one, otherwise the clock, strictly later than any
// clock time tick returned before, so operations are ordered by time. Only
// the writer goroutine calls it.
func (s *Store) tick(now time.Time) int64 {
	if !now.IsZero() {
		return now.UnixMicro()
	}
	t := time.Now().UnixMicro()
	if t <= s.lastTick {
		t = s.lastTick + 1
	}
	s.lastTick = t
	return t
}

func (s *Store) runBatch(batch []*writeOp) {
	live := batch[:0]
	for _, op := range batch {
		if err := op.ctx.Err(); err != nil {
			op.done <- err // gave up while queued; nothing was written
			continue
		}
		live = append(live, op)
	}
	if len(live) == 0 {
		return
	}
	// Statements run without the callers' cancellation: with it, the driver
	// starts a watcher goroutine for every statement, which costs more than
	// the statements of the hot path. A write transaction on a local file is
	// short; the one wait that can be long, for another process's lock, is
	// bounded by the busy timeout.
	ctx := context.Background()
	errs := make([]error, len(live))
	fail := func(err error) {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	var unprepared []string
	bound := 0
	dbtx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("begin write transaction: %w", mapError(err)))
	} else {
		savepoints := len(live) > 1
		broken := false
		for i, op := range live {
			t := &tx{s: s, ctx: ctx, tx: dbtx, now: s.tick(op.now), runner: op.runner}
			if savepoints {
				if _, err := t.exec(`SAVEPOINT op`); err != nil {
					errs[i], broken = fmt.Errorf("savepoint: %w", err), true
					break
				}
			}
			err := op.fn(t)
			unprepared, bound = append(unprepared, t.unprepared...), bound+t.bound
			if err != nil {
				errs[i] = mapError(err)
				if !savepoints {
					break
				}
				if _, rerr := t.exec(`ROLLBACK TO op`); rerr != nil {
					broken = true
					break
				}
			}
			if savepoints {
				if _, err := t.exec(`RELEASE op`); err != nil {
					errs[i], broken = fmt.Errorf("release savepoint: %w", err), true
					break
				}
			}
		}
		switch {
		case broken:
			_ = dbtx.Rollback()
			fail(errors.New("write transaction aborted by an earlier failure in the same batch; nothing was stored"))
		case len(live) == 1 && errs[0] != nil:
			_ = dbtx.Rollback()
		default:
			if err := dbtx.Commit(); err != nil {
				fail(fmt.Errorf("commit: %w", mapError(err)))
			} else {
				s.checkpoints.committed(s.write, bound)
			}
		}
	}
	s.prepare(ctx, unprepared)
	for i, op := range live {
		op.done <- errs[i]
	}
}
