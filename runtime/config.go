package runtime

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/postgres"
)

// Defaults applied by Config.WithDefaults.
const (
	DefaultDatabaseURL          = "sqlite://cloacina.db"
	DefaultConcurrency          = 32
	DefaultTaskTimeout          = 5 * time.Minute
	DefaultHeartbeatInterval    = 5 * time.Second
	DefaultStaleClaimThreshold  = 30 * time.Second
	DefaultFallbackPollInterval = 5 * time.Second
	DefaultMaxRecoveries        = 3
)

// Config configures a Runner. A nil *Config, and every zero field, means the
// default. Durations are validated: see WithDefaults and NewRunner.
type Config struct {
	// DatabaseURL names the store: sqlite://cloacina.db (relative path),
	// sqlite:///abs/path.db, sqlite://:memory:, or postgres://... /
	// postgresql://... The default is sqlite://cloacina.db.
	DatabaseURL string

	// Store, when set, is used instead of opening DatabaseURL. The runner
	// does not close it.
	Store store.Store

	// Pool, when set, is a PostgreSQL pool to use instead of opening
	// DatabaseURL (the runner does not close it). Schema applies.
	Pool *pgxpool.Pool

	// Concurrency is how many tasks run at once in this runner (default 32).
	Concurrency int

	// DefaultTaskTimeout bounds each attempt of a task that sets no timeout
	// of its own (default 5m). A negative value means no limit.
	DefaultTaskTimeout time.Duration

	// WorkflowTimeout, when positive, fails an execution still running
	// after this long; its unfinished tasks are skipped.
	WorkflowTimeout time.Duration

	// HeartbeatInterval is how often the runner proves it still holds its
	// running tasks (default 5s).
	HeartbeatInterval time.Duration

	// StaleClaimThreshold is how old a heartbeat must be before another
	// runner takes the task back (default 30s). It must be at least twice
	// HeartbeatInterval.
	StaleClaimThreshold time.Duration

	// MaxRecoveries is how many times a task may be taken back from a dead
	// runner before it is failed as abandoned (default 3).
	MaxRecoveries int

	// FallbackPollInterval is how often the runner looks for work it was
	// not told about (default 5s). Wake-ups are pushed, from other
	// processes too (PostgreSQL's NOTIFY; on SQLite the store's watch of
	// the file); the poll only covers lost notifications.
	FallbackPollInterval time.Duration

	// Clock is the runner's source of time (default SystemClock{}). See
	// Clock.
	Clock Clock

	// Logger receives the runner's logs (default slog.Default()).
	Logger *slog.Logger

	// AttemptHooks wrap every task attempt, the first outermost: for
	// tracing, metrics, logging or alerting around tasks without touching
	// them. See AttemptHook.
	AttemptHooks []AttemptHook

	// SubmitHooks are told of each execution this runner stores, before
	// it is stored, and may add headers to it; they can ask to be told of
	// its end. See SubmitHook.
	SubmitHooks []SubmitHook

	// EventHooks are called for each event this runner appends to the
	// event log, in order, after it is committed. See EventHook.
	EventHooks []EventHook

	// RunnerID names this runner in claims and events (default
	// hostname-pid-random).
	RunnerID string

	// Registry holds the workflows this runner executes (default
	// DefaultRegistry()). The runner claims only tasks of workflows
	// registered in it.
	Registry *Registry

	// Retention, when set, has the runner delete finished executions once
	// they are older than their status's duration (see Retention and
	// Runner.Purge). Runners sharing a database take turns: one prunes at
	// a time.
	Retention *Retention

	// Schema names the runner's tenant: the PostgreSQL schema that holds
	// its executions (see Tenants in the package documentation). It must
	// match [A-Za-z0-9_]+; empty means "public". The name is used as
	// written, quoted, so case counts: "Billing" and "billing" are two
	// schemas (in psql, the first is "Billing" in double quotes). A
	// SQLite file holds one tenant, so with SQLite it must be empty or
	// "public".
	Schema string
}

// WithDefaults returns a copy of c (which may be nil) with every zero field
// set to its default.
func (c *Config) WithDefaults() *Config {
	var out Config
	if c != nil {
		out = *c
	}
	out.DatabaseURL = cmp.Or(out.DatabaseURL, DefaultDatabaseURL)
	out.Concurrency = cmp.Or(out.Concurrency, DefaultConcurrency)
	out.DefaultTaskTimeout = cmp.Or(out.DefaultTaskTimeout, DefaultTaskTimeout)
	out.HeartbeatInterval = cmp.Or(out.HeartbeatInterval, DefaultHeartbeatInterval)
	out.StaleClaimThreshold = cmp.Or(out.StaleClaimThreshold, max(DefaultStaleClaimThreshold, 2*out.HeartbeatInterval))
	out.MaxRecoveries = cmp.Or(out.MaxRecoveries, DefaultMaxRecoveries)
	out.FallbackPollInterval = cmp.Or(out.FallbackPollInterval, DefaultFallbackPollInterval)
	if out.Clock == nil {
		out.Clock = SystemClock{}
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	if out.RunnerID == "" {
		out.RunnerID = defaultRunnerID()
	}
	if out.Registry == nil {
		out.Registry = DefaultRegistry()
	}
	return &out
}

// validate reports the first unusable field by name. It expects defaults
// applied.
func (c *Config) validate() error {
	var errs []error
	if c.Store == nil && c.Pool == nil && !strings.HasPrefix(c.DatabaseURL, "sqlite://") &&
		!strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, fmt.Errorf("DatabaseURL %q must start with sqlite://, postgres:// or postgresql://", c.DatabaseURL))
	}
	if c.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("Concurrency must be at least 1, got %d", c.Concurrency))
	}
	if c.WorkflowTimeout < 0 {
		errs = append(errs, fmt.Errorf("WorkflowTimeout must not be negative, got %s", c.WorkflowTimeout))
	}
	if c.HeartbeatInterval < 0 {
		errs = append(errs, fmt.Errorf("HeartbeatInterval must be positive, got %s", c.HeartbeatInterval))
	}
	if c.StaleClaimThreshold < 2*c.HeartbeatInterval {
		errs = append(errs, fmt.Errorf("StaleClaimThreshold (%s) must be at least twice HeartbeatInterval (%s)", c.StaleClaimThreshold, c.HeartbeatInterval))
	}
	if c.MaxRecoveries < 0 {
		errs = append(errs, fmt.Errorf("MaxRecoveries must not be negative, got %d", c.MaxRecoveries))
	}
	if c.FallbackPollInterval < 0 {
		errs = append(errs, fmt.Errorf("FallbackPollInterval must be positive, got %s", c.FallbackPollInterval))
	}
	if c.Schema != "" {
		if err := postgres.ValidateSchema(c.Schema); err != nil {
			errs = append(errs, fmt.Errorf("Schema: %w", err))
		} else if c.Store == nil && c.Pool == nil && strings.HasPrefix(c.DatabaseURL, "sqlite://") && c.Schema != store.DefaultTenant {
			errs = append(errs, fmt.Errorf("Schema %q: a SQLite file holds one tenant; use a file of its own for another tenant", c.Schema))
		}
	}
	if rt := c.Retention; rt != nil {
		for _, f := range []struct {
			name string
			d    time.Duration
		}{{"Completed", rt.Completed}, {"Failed", rt.Failed}, {"Cancelled", rt.Cancelled}, {"Interval", rt.Interval}} {
			if f.d < 0 {
				errs = append(errs, fmt.Errorf("Retention.%s must not be negative, got %s", f.name, f.d))
			}
		}
		if rt.BatchSize < 0 {
			errs = append(errs, fmt.Errorf("Retention.BatchSize must not be negative, got %d", rt.BatchSize))
		}
	}
	if strings.ContainsAny(c.RunnerID, "\x00") {
		errs = append(errs, errors.New("RunnerID must not contain NUL bytes"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
	}
	return nil
}

func defaultRunnerID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "runner"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}
