// Package postgres is the PostgreSQL storage backend of Cloacina for Go,
// built on pgx/v5. Any number of runner processes, on any number of hosts,
// can share one database:
//
//   - Claims take batches of ready tasks with FOR UPDATE SKIP LOCKED, so
//     runners never wait for each other and never take the same task.
//   - Completing tasks, deciding their dependents and finishing executions
//     happen in one transaction, with set-based statements over arrays.
//     The algorithm is the engine's (runtime/store/internal/engine); this
//     package provides its statements, pipelined so that statements whose
//     results are not needed at once share a round trip with the next.
//   - Commits that make tasks claimable, finish an execution or change one
//     send NOTIFY; Listen turns those into wake-ups for runners in other
//     processes, on a dedicated connection that reconnects with backoff.
//   - Each tenant lives in its own schema (Options.Schema), created and
//     migrated on first use. Migrations run under an advisory lock, so
//     many processes starting at once migrate once.
//
// Times come from the database server's clock, so runners on hosts with
// skewed clocks agree on heartbeats, retry times and deadlines.
//
// # Lock order
//
// Every write transaction locks task rows before execution rows, task rows
// in id order and execution rows in id order, and waits for no lock it can
// do without: claims, heartbeats and stale-claim sweeps skip locked rows.
// A statement that updates many rows from an array first selects them
// ORDER BY id FOR UPDATE, because the order of an UPDATE ... FROM join is
// the planner's. A transaction the server aborts for a deadlock anyway (a
// cancellation crossing a completion in one execution) is run again.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cloacina-go/cloacina/internal/spec"
	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/internal/engine"
)

//go:embed migrations/*.up.sql
var migrationFS embed.FS

// Store is the PostgreSQL engine. It implements store.Store (the
// engine's writes and this package's reads) and store.Notifier.
type Store struct {
	*engine.Engine

	pool     *pgxpool.Pool
	ownsPool bool
	schema   string   // validated name
	qschema  string   // quoted for SQL
	channel  string   // NOTIFY channel of this schema
	queries  sync.Map // query text -> schema-qualified text
	notify   *notifier
	closing  sync.Once
}

var (
	_ store.Store          = (*Store)(nil)
	_ store.Notifier       = (*Store)(nil)
	_ store.ParallelWriter = (*Store)(nil)
)

// Options configure a Store.
type Options struct {
	// Schema is the PostgreSQL schema holding this tenant's tables; it must
	// match [A-Za-z0-9_]+ and defaults to "public". It is created if it does
	// not exist.
	Schema string
}

// ValidateSchema reports whether name can be used as Options.Schema: a
// schema is a tenant, and follows the tenant-name rule ([A-Za-z0-9_]+, at
// most 40 characters). Names are checked before any SQL is sent.
func ValidateSchema(name string) error {
	if err := spec.CheckTenant(name); err != nil {
		return fmt.Errorf("schema name %q must match %s and be at most %d characters: %w", name, spec.TenantSyntax, spec.MaxTenantLen, err)
	}
	return nil
}

// Open connects to the database named by a postgres:// or postgresql://
// URL, creates and migrates the schema, and returns the store. The store
// owns the pool and closes it in Close.
func Open(ctx context.Context, databaseURL string, opts *Options) (*Store, error) {
	if !strings.HasPrefix(databaseURL, "postgres://") && !strings.HasPrefix(databaseURL, "postgresql://") {
		return nil, fmt.Errorf("postgres database URL must start with postgres:// or postgresql://")
	}
	if err := validateOptions(opts); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("postgres database URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	s, err := New(ctx, pool, opts)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.ownsPool = true
	return s, nil
}

func validateOptions(opts *Options) error {
	if opts != nil && opts.Schema != "" {
		return ValidateSchema(opts.Schema)
	}
	return nil
}

// New returns a store on a caller's pool, creating and migrating the
// schema. Close does not close the pool.
func New(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	if err := validateOptions(opts); err != nil {
		return nil, err
	}
	schema := "public"
	if opts != nil && opts.Schema != "" {
		schema = opts.Schema
	}
	s := &Store{
		pool: pool, schema: schema, qschema: pgx.Identifier{schema}.Sanitize(),
		channel: "cloacina_" + strings.ToLower(schema),
	}
	s.Engine = engine.New(writer{s})
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	s.notify = newNotifier(s)
	return s, nil
}

// WriteParallelism implements store.ParallelWriter: a runner may keep two
// write transactions in flight, so one records and claims while the other
// commits.
func (s *Store) WriteParallelism() int { return 2 }

// Schema returns the store's schema.
func (s *Store) Schema() string { return s.schema }

// Pool returns the store's connection pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close sends the notifications still queued, stops the store's
// notifier, and closes the pool if the store opened it.
func (s *Store) Close() error {
	s.closing.Do(func() {
		s.notify.stop()
		if s.ownsPool {
			s.pool.Close()
		}
	})
	return nil
}

// q qualifies the cloacina tables of a query with the store's schema. The
// result is cached, so each query text is built once.
func (s *Store) q(query string) string {
	if out, ok := s.queries.Load(query); ok {
		return out.(string)
	}
	out := strings.ReplaceAll(query, "cloacina_", s.qschema+".cloacina_")
	s.queries.Store(query, out)
	return out
}

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

// migrate creates the schema and applies missing migrations in one
// transaction holding an advisory lock on the schema's name, so processes
// starting together wait for the first and then find nothing to do.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("read embedded migrations: %w", err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer tx.Rollback(ctx)
	h := fnv.New64a()
	h.Write([]byte("cloacina-migrations:" + s.schema))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64())); err != nil {
		return fmt.Errorf("lock schema %s for migration: %w", s.schema, err)
	}
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+s.qschema); err != nil {
		return fmt.Errorf("create schema %s: %w", s.schema, err)
	}
	if _, err := tx.Exec(ctx, `SET LOCAL search_path TO `+s.qschema); err != nil {
		return fmt.Errorf("use schema %s: %w", s.schema, err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS cloacina_migrations (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create migrations table in %s: %w", s.schema, err)
	}
	rows, err := tx.Query(ctx, `SELECT version FROM cloacina_migrations`)
	if err != nil {
		return fmt.Errorf("read schema version of %s: %w", s.schema, err)
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return fmt.Errorf("read schema version of %s: %w", s.schema, err)
	}
	pending, unknown := engine.Pending(ms, applied)
	if len(unknown) > 0 {
		return fmt.Errorf("postgres schema %s is at schema version %d, which this version of cloacina does not know (it knows up to %d): %w",
			s.schema, unknown[len(unknown)-1], engine.LatestVersion(ms), store.ErrSchemaTooNew)
	}
	for _, m := range pending {
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply migration %s to schema %s: %w", m.Name, s.schema, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO cloacina_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return fmt.Errorf("record migration %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit migrations of schema %s: %w", s.schema, err)
	}
	return nil
}

// isNoRows reports pgx's "no rows" error.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
