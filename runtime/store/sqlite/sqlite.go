// Package sqlite is the embedded storage backend of Cloacina for Go, built
// on modernc.org/sqlite (pure Go, no cgo).
//
// The database runs in WAL mode so readers never block the writer. All
// writes go through one connection: SQLite allows one writer at a time, and
// queueing writers in the connection pool instead of in SQLite's busy
// handler keeps SQLITE_BUSY out of the hot path. A busy timeout still covers
// other processes sharing the file. Reads use a separate pool.
//
// Writes are the engine's (runtime/store/internal/engine): this package
// provides its statements and its transaction mechanics. One writer
// goroutine owns the write connection and commits the operations queued
// behind each other together (see writeLoop), each in a savepoint of its
// own, so one failing undoes only itself. Checkpoints of the WAL run beside
// the writer rather than inside its commits (see checkpoint.go). Between
// transactions the writer watches for other processes' commits and tells
// the runner (see watch.go), as NOTIFY does on PostgreSQL.
//
// Migrations are embedded and numbered; Open applies the missing ones and
// refuses (with store.ErrSchemaTooNew) a database migrated by a newer
// version of the library.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/internal/engine"
)

//go:embed migrations/*.up.sql
var migrationFS embed.FS

// Store is the SQLite engine. It implements store.Store: the engine's
// writes and this package's reads.
type Store struct {
	*engine.Engine

	write *sql.DB // one connection: every write transaction
	read  *sql.DB // WAL readers; the same pool as write for :memory:
	path  string

	mu        sync.Mutex
	stmts     map[string]*sql.Stmt // prepared on write, by query text
	readStmts map[string]*sql.Stmt // prepared on read, by query text

	ops        chan *writeOp // to the writer goroutine (see run)
	quit       chan struct{} // closed by Close
	writerDone chan struct{} // closed when the writer goroutine exits
	closeOnce  sync.Once
	// retriesPending is set when this store schedules a retry and cleared
	// when a claim finds none waiting; see claim. Only the writer goroutine
	// changes it, in the order of the operations.
	retriesPending atomic.Bool
	lastTick       int64         // see tick; used by the writer goroutine only
	checkpoints    *checkpointer // nil for :memory:; see checkpoint.go
	watch          watchers      // see watch.go
}

var (
	_ store.Store         = (*Store)(nil)
	_ store.CommitGrouper = (*Store)(nil)
)

// maxPrepared bounds the statements kept prepared store-wide: each set of
// rows of a new size has its own text (see expand), and the common sizes
// come first.
const maxPrepared = 1024

// cached returns the store-wide prepared statement for query, or nil.
func (s *Store) cached(query string) *sql.Stmt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stmts[query]
}

// readStmt returns the read pool's prepared statement for query, preparing
// it on first use, so that reads do not parse their SQL on every call.
// Beyond maxPrepared texts it returns nil and the caller queries unprepared.
func (s *Store) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	st, full := s.readStmts[query], len(s.readStmts) >= maxPrepared
	s.mu.Unlock()
	if st != nil || full {
		return st, nil
	}
	st, err := s.read.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev := s.readStmts[query]; prev != nil {
		st.Close()
		return prev, nil
	}
	if s.readStmts == nil {
		s.readStmts = map[string]*sql.Stmt{}
	}
	s.readStmts[query] = st
	return st, nil
}

// readQuery runs a read on a prepared statement.
func (s *Store) readQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.readStmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return s.read.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// readQueryRow is readQuery for one row.
func (s *Store) readQueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.readStmt(ctx, query)
	if err != nil || st == nil {
		// A failed preparation shows again, as the row's error.
		return s.read.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// prepare compiles queries on the write connection for later transactions
// to reuse. It must be called with no transaction open in this goroutine.
// A failure only means the query is prepared per transaction again.
func (s *Store) prepare(ctx context.Context, queries []string) {
	for _, q := range queries {
		if s.cached(q) != nil {
			continue
		}
		s.mu.Lock()
		full := len(s.stmts) >= maxPrepared
		s.mu.Unlock()
		if full {
			return // texts beyond the bound are prepared per transaction
		}
		st, err := s.write.PrepareContext(context.WithoutCancel(ctx), q)
		if err != nil {
			continue
		}
		s.mu.Lock()
		if s.stmts == nil {
			s.stmts = map[string]*sql.Stmt{}
		}
		if _, dup := s.stmts[q]; dup {
			st.Close()
		} else {
			s.stmts[q] = st
		}
		s.mu.Unlock()
	}
}

// ParseURL returns the file path named by a DatabaseURL of the forms
// sqlite://relative/path.db, sqlite:///absolute/path.db and
// sqlite://:memory:.
func ParseURL(databaseURL string) (string, error) {
	rest, ok := strings.CutPrefix(databaseURL, "sqlite://")
	if !ok {
		return "", fmt.Errorf("sqlite database URL %q must start with sqlite://", databaseURL)
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		return "", fmt.Errorf("sqlite database URL %q: query parameters are not supported", databaseURL)
	}
	if rest == "" {
		return "", fmt.Errorf("sqlite database URL %q names no file (e.g. sqlite://cloacina.db)", databaseURL)
	}
	if rest != ":memory:" {
		unescaped, err := url.PathUnescape(rest)
		if err != nil {
			return "", fmt.Errorf("sqlite database URL %q: %w", databaseURL, err)
		}
		rest = unescaped
	}
	return rest, nil
}

// Open opens (creating if needed) the database named by a sqlite:// URL and
// applies the migrations.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	path, err := ParseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	return OpenPath(ctx, path)
}

// OpenPath opens (creating if needed) the database file at path, or an
// in-memory database for ":memory:", and applies the migrations.
func OpenPath(ctx context.Context, path string) (*Store, error) {
	s := &Store{path: path, ops: make(chan *writeOp), quit: make(chan struct{}), writerDone: make(chan struct{})}
	s.Engine = engine.New(writer{s})
	if path == ":memory:" {
		// Every connection to :memory: is a separate database, so reads and
		// writes must share the single connection.
		db, err := sql.Open("sqlite", "file::memory:?_foreign_keys=1&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite in-memory database: %w", err)
		}
		db.SetMaxOpenConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		s.write, s.read = db, db
	} else {
		if err := checkPath(path); err != nil {
			return nil, err
		}
		// busy_timeout covers other processes using the same file; within
		// this process writers queue for the single write connection.
		params := "_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000&_foreign_keys=1&_pragma=mmap_size(268435456)&_pragma=temp_store(MEMORY)"
		dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + params
		w, err := sql.Open("sqlite", dsn+"&_txlock=immediate&_pragma=wal_autocheckpoint(0)")
		if err != nil {
			return nil, fmt.Errorf("open sqlite database %q: %w", path, err)
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		w.SetConnMaxIdleTime(0)
		r, err := sql.Open("sqlite", dsn+"&_query_only=1")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open sqlite database %q: %w", path, err)
		}
		r.SetMaxOpenConns(4)
		r.SetMaxIdleConns(4)
		cp, err := sql.Open("sqlite", dsn)
		if err != nil {
			w.Close()
			r.Close()
			return nil, fmt.Errorf("open sqlite database %q: %w", path, err)
		}
		cp.SetMaxOpenConns(1)
		s.write, s.read, s.checkpoints = w, r, &checkpointer{db: cp}
	}
	if err := s.migrate(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	s.retriesPending.Store(true) // the file may hold retries from an earlier process
	go s.writeLoop()             // owned by s; Close waits for it
	if s.checkpoints != nil {
		s.checkpoints.start(s.quit) // owned by s; Close waits for it
	}
	return s, nil
}

// checkPath explains, before SQLite would say only "unable to open
// database file", why path cannot hold a database: its directory is
// missing or not writable (WAL mode writes files beside the database), or
// the path is a directory or a file that cannot be written.
func checkPath(path string) error {
	dir := filepath.Dir(path)
	fail := func(format string, args ...any) error {
		return fmt.Errorf("open sqlite database %q: "+format, append([]any{path}, args...)...)
	}
	info, err := os.Stat(dir)
	switch {
	case err != nil:
		return fail("directory %q: %w (create it first)", dir, err)
	case !info.IsDir():
		return fail("%q is not a directory", dir)
	}
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return fail("it is a directory, not a database file; name a file inside it, such as %s", filepath.Join(path, "cloacina.db"))
	}
	probe, err := os.CreateTemp(dir, ".cloacina-probe-*")
	if err != nil {
		return fail("directory %q is not writable (SQLite keeps its journal beside the database): %w", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fail("the file cannot be opened for writing: %w", err)
	}
	return f.Close()
}

// GroupsCommits implements store.CommitGrouper: concurrent writes share
// the single writer's transactions.
func (s *Store) GroupsCommits() bool { return true }

// Close stops the writer goroutine, waiting for the transaction in
// progress, and closes the database. Writes issued after Close fail with
// store.ErrClosed.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.writerDone
		s.checkpoints.wait()
		err = s.closeDBs()
	})
	return err
}

func (s *Store) closeDBs() error {
	s.mu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	for _, st := range s.readStmts {
		st.Close()
	}
	s.stmts, s.readStmts = nil, nil
	s.mu.Unlock()
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	if s.checkpoints != nil {
		err = errors.Join(err, s.checkpoints.db.Close())
	}
	return err
}

// Path returns the database file path (":memory:" for an in-memory one).
func (s *Store) Path() string { return s.path }

func migrations() ([]engine.Migration, error) {
	return engine.LoadMigrations(migrationFS, "migrations/*.up.sql")
}

// LatestSchemaVersion is the newest migration this version of the package
// knows.
func LatestSchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return engine.LatestVersion(ms)
}

// migrate applies the missing migrations in one write transaction, so a
// concurrent opener of the same file waits and then finds them applied.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("read embedded migrations: %w", err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("open sqlite database %q: %w", s.path, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS cloacina_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("open sqlite database %q: create migrations table: %w", s.path, err)
	}
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	pending, unknown := engine.Pending(ms, applied)
	if len(unknown) > 0 {
		return fmt.Errorf("sqlite database %q is at schema version %d, which this version of cloacina does not know (it knows up to %d): %w",
			s.path, unknown[len(unknown)-1], engine.LatestVersion(ms), store.ErrSchemaTooNew)
	}
	for _, m := range pending {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO cloacina_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("record migration %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	return nil
}

// appliedVersions reads the versions of the migrations a database has
// recorded.
func appliedVersions(ctx context.Context, tx *sql.Tx) ([]int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT version FROM cloacina_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
