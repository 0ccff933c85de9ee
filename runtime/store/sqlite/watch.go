package sqlite

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// Changes made by other processes. SQLite carries no message from one
// process to another, but PRAGMA data_version, read on a connection,
// changes when any other connection has committed since it was last read.
// The write connection commits this store's own writes, so on it the value
// changes only for the commits of others: another process, or another
// store on the same file in this one. The writer goroutine, which owns
// that connection, reads it every watchInterval while it waits for
// operations, and tells the store's listeners (Listen) when it changed:
// a runner then sees another process's new execution, cancel or schedule
// within watchInterval instead of at its fallback poll.
//
// The read touches no table: data_version looks at the log's header in
// shared memory. A busy writer reads it between two transactions once the
// interval has passed.
const watchInterval = 100 * time.Millisecond

// watchers are the channels Listen handed out.
type watchers struct {
	mu      sync.Mutex
	chans   map[chan store.Notification]struct{}
	version int64 // the data version last read
	known   bool  // version was read
}

var _ store.Notifier = (*Store)(nil)

// Listen implements store.Notifier: the channel receives a
// NotifyDatabaseChanged after another process committed, and is closed
// when ctx ends or the store closes. It receives one at once too: what was
// committed before the watch began, after the listener last looked, is
// not missed. An in-memory database has no other process: its channel
// only closes.
func (s *Store) Listen(ctx context.Context) (<-chan store.Notification, error) {
	ch := make(chan store.Notification, 1)
	if s.path != ":memory:" {
		// Changes count from now, not from the writer's first tick, which
		// may come after another process's commit.
		v, err := s.dataVersion(ctx)
		if err != nil {
			return nil, fmt.Errorf("watch for other processes' commits: %w", err)
		}
		ch <- store.Notification{Kind: store.NotifyDatabaseChanged}
		s.watch.mu.Lock()
		if !s.watch.known {
			s.watch.version, s.watch.known = v, true
		}
		s.watch.mu.Unlock()
	}
	s.watch.mu.Lock()
	if s.watch.chans == nil {
		s.watch.chans = map[chan store.Notification]struct{}{}
	}
	s.watch.chans[ch] = struct{}{}
	s.watch.mu.Unlock()
	// Owned by the listener: it ends with ctx, or with the store.
	go func() {
		select {
		case <-ctx.Done():
		case <-s.quit:
		}
		s.watch.mu.Lock()
		defer s.watch.mu.Unlock()
		if _, ok := s.watch.chans[ch]; ok {
			delete(s.watch.chans, ch)
			close(ch)
		}
	}()
	return ch, nil
}

// watchTicks returns the ticker of the writer's data version reads, or
// nil for an in-memory database.
func (s *Store) watchTicks() *time.Ticker {
	if s.path == ":memory:" {
		return nil
	}
	return time.NewTicker(watchInterval)
}

// dataVersion reads the write connection's data version. The connection
// is the writer's: a read from another goroutine waits for the
// transaction in progress, if any, to end.
func (s *Store) dataVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.write.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v)
	return v, err
}

// checkVersion reads the write connection's data version and, when it
// changed since the last read, tells every listener. The writer goroutine
// calls it between transactions. A failed read is dropped: the next tick
// reads again, and the fallback poll covers a store that cannot.
func (s *Store) checkVersion() {
	s.watch.mu.Lock()
	listening := len(s.watch.chans) > 0
	s.watch.mu.Unlock()
	if !listening {
		return
	}
	v, err := s.dataVersion(context.Background())
	if err != nil {
		return
	}
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	changed := s.watch.known && v != s.watch.version
	s.watch.version, s.watch.known = v, true
	if !changed {
		return
	}
	// The other process may have scheduled a retry: the next claim looks
	// for the earliest (see Claim), so the runner wakes when it is due.
	s.retriesPending.Store(true)
	for ch := range s.watch.chans {
		select {
		case ch <- store.Notification{Kind: store.NotifyDatabaseChanged}:
		default: // one is pending already: it says the same
		}
	}
}
