package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cloacina-go/cloacina/internal/suggest"
	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/postgres"
	"github.com/cloacina-go/cloacina/runtime/store/sqlite"
)

// openTimeout bounds connecting to the database and applying its
// migrations, so an unreachable server fails the command instead of
// hanging it.
const openTimeout = 15 * time.Second

// sqliteURLFor is the SQLite URL that a --db value without "://" most
// likely meant: a file path, or a URL missing its slashes (sqlite:app.db).
func sqliteURLFor(v string) string {
	return "sqlite://" + strings.TrimPrefix(strings.TrimPrefix(v, "sqlite:"), "./")
}

// open starts a runner on the command's database. The caller shuts it
// down with c.close.
func (c *call) open(ctx context.Context) (*runtime.Runner, error) {
	dbURL, source := c.g.db, "--db"
	if dbURL == "" {
		dbURL, source = c.env.Getenv(EnvDatabaseURL), "$"+EnvDatabaseURL
	}
	c.dbSource = source
	if dbURL == "" {
		return nil, &exitError{code: ExitUsage, err: errors.New("no database given: pass --db URL or set " + EnvDatabaseURL +
			" (for example sqlite://cloacina.db or postgres://user@localhost:5432/app)")}
	}
	if !strings.Contains(dbURL, "://") {
		return nil, &exitError{code: ExitUsage, err: fmt.Errorf("%s %q is not a database URL: for a SQLite file write %s (sqlite:///abs/path.db for an absolute path), for PostgreSQL postgres://user@host:5432/db",
			source, dbURL, sqliteURLFor(dbURL))}
	}
	if strings.HasPrefix(dbURL, "sqlite://") {
		path, err := sqlite.ParseURL(dbURL)
		if err != nil {
			return nil, &exitError{code: ExitUsage, err: fmt.Errorf("%s: %w", source, err)}
		}
		if path != ":memory:" {
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return nil, &exitError{code: ExitUsage, err: fmt.Errorf("no SQLite database at %s (from %s %s): check the path, or set %s to the URL your runners use",
					path, source, dbURL, EnvDatabaseURL)}
			}
		}
	}
	reg := c.registry()
	logger := c.env.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(c.env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	octx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	if err := c.checkSchema(octx, dbURL, source); err != nil {
		return nil, err
	}
	cfg := &runtime.Config{DatabaseURL: dbURL, Schema: c.g.schema, Registry: reg, Logger: logger}
	r, err := runtime.NewRunner(octx, cfg)
	if err != nil {
		msg := dropRepeatedLines(strings.ReplaceAll(err.Error(), dbURL, redactURL(dbURL)))
		hint := "check that the server is up and the URL is right; pass --db URL or set " + EnvDatabaseURL
		switch {
		case errors.Is(err, runtime.ErrInvalidConfig):
			hint = "check --db and --schema" // refused before any server was reached
		case errors.Is(err, store.ErrSchemaTooNew):
			hint = "a newer release of cloacina has upgraded this database; run that release or a later one"
		case !strings.HasPrefix(dbURL, "postgres://") && !strings.HasPrefix(dbURL, "postgresql://"):
			hint = "pass --db URL or set " + EnvDatabaseURL // the URL names no server to check
		}
		return nil, &exitError{code: ExitUsage, err: fmt.Errorf("cannot open the database %s (from %s): %s\n  hint: %s",
			redactURL(dbURL), source, redactPassword(msg), hint)}
	}
	return r, nil
}

// checkSchema refuses a PostgreSQL schema with no Cloacina tables, as open
// refuses a missing SQLite file: opening a runner there would create the
// schema, so a misspelt --schema would leave an empty tenant behind and
// report no executions instead of an error. When the server cannot be
// reached, or the schema name is invalid, it leaves the error to
// NewRunner.
func (c *call) checkSchema(ctx context.Context, dbURL, source string) error {
	if !strings.HasPrefix(dbURL, "postgres://") && !strings.HasPrefix(dbURL, "postgresql://") {
		return nil
	}
	schema := c.g.schema
	if schema == "" {
		schema = "public"
	}
	if postgres.ValidateSchema(schema) != nil {
		return nil
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT table_schema::text FROM information_schema.tables
		WHERE table_name = 'cloacina_migrations' ORDER BY 1`)
	if err != nil {
		return nil
	}
	known, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil
	}
	if slices.Contains(known, schema) {
		return nil
	}
	hint := "no schema of this database has them"
	if len(known) > 0 {
		hint = "schemas with Cloacina tables: " + strings.Join(known, ", ") + suggest.DidYouMean(schema, known)
	}
	return &exitError{code: ExitUsage, err: fmt.Errorf("no Cloacina tables in schema %q of %s (from %s): check --schema, or start a runner with that schema first (%s)",
		schema, redactURL(dbURL), source, hint)}
}

// registry is the registry the command's runner serves: Env.Registry, or
// one empty registry made once.
func (c *call) registry() *runtime.Registry {
	if c.reg == nil {
		c.reg = c.env.Registry
		if c.reg == nil {
			c.reg = runtime.NewRegistry()
		}
	}
	return c.reg
}

// withRunner opens the runner, runs f and shuts the runner down.
func (c *call) withRunner(ctx context.Context, f func(r *runtime.Runner) error) error {
	r, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer func() {
		// Shutdown waits for the runner's goroutines; a fresh context so
		// an interrupted command still shuts down cleanly.
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := r.Shutdown(sctx); err != nil {
			fmt.Fprintf(c.env.Stderr, "cloacina: shutting down: %v\n", err)
		}
	}()
	return f(r)
}

var passwordKV = regexp.MustCompile(`(?i)(password=)(\S+)`)

// redactURL hides the password of a database URL (also in keyword=value
// form).
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return u.Redacted()
		}
	}
	return redactPassword(s)
}

// redactPassword hides password=... pairs in a message.
func redactPassword(s string) string { return passwordKV.ReplaceAllString(s, "${1}xxxxx") }

// dropRepeatedLines removes the lines of msg equal to the one before: pgx
// tries a server with TLS and then without, and reports a refused dial
// once per try in the same words.
func dropRepeatedLines(msg string) string {
	lines := strings.Split(msg, "\n")
	out := []string{lines[0]}
	for _, l := range lines[1:] {
		if l != out[len(out)-1] {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
