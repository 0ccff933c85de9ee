package cli_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cloacina-go/cloacina/internal/cli"
)

// TestDatabaseErrors: a missing, absent or unreachable database exits 2
// and says which URL (without its password) and how to give another.
func TestDatabaseErrors(t *testing.T) {
	missing := "sqlite://" + t.TempDir() + "/nope.db"
	for _, tc := range []struct {
		name   string
		env    map[string]string
		args   []string
		want   []string
		absent []string
	}{
		{name: "none", args: []string{"executions", "list"},
			want: []string{"cloacina executions list: no database given: pass --db URL or set CLOACINA_DATABASE_URL (for example sqlite://cloacina.db"}},
		{name: "sqlite file missing", args: []string{"--db", missing, "executions", "list"},
			want: []string{"no SQLite database at " + strings.TrimPrefix(missing, "sqlite://") + " (from --db " + missing + "): check the path, or set CLOACINA_DATABASE_URL"}},
		{name: "unreachable from env", env: map[string]string{"CLOACINA_DATABASE_URL": "postgres://alice:s3cret@127.0.0.1:1/app"},
			args:   []string{"executions", "list"},
			want:   []string{"cannot open the database postgres://alice:xxxxx@127.0.0.1:1/app (from $CLOACINA_DATABASE_URL):", "connection refused", "hint: check that the server is up and the URL is right; pass --db URL or set CLOACINA_DATABASE_URL"},
			absent: []string{"s3cret"}},
		{name: "a path, not a URL", args: []string{"--db", "ops.db", "executions", "list"},
			want:   []string{`--db "ops.db" is not a database URL: for a SQLite file write sqlite://ops.db`},
			absent: []string{"server is up"}},
		{name: "a URL without its slashes", args: []string{"--db", "sqlite:ops.db", "executions", "list"},
			want:   []string{`--db "sqlite:ops.db" is not a database URL: for a SQLite file write sqlite://ops.db (`},
			absent: []string{"sqlite://sqlite:"}},
		{name: "an absolute path", args: []string{"--db", "/var/lib/ops.db", "executions", "list"},
			want: []string{`--db "/var/lib/ops.db" is not a database URL: for a SQLite file write sqlite:///var/lib/ops.db (`}},
		{name: "bad schema name", args: []string{"--db", "postgres://127.0.0.1:1/app", "--schema", "bad-schema", "executions", "list"},
			want:   []string{`cannot open the database postgres://127.0.0.1:1/app (from --db): invalid runner config: Schema`, "hint: check --db and --schema"},
			absent: []string{"server is up"}},
		{name: "bad scheme", args: []string{"--db", "mysql://x", "executions", "list"},
			want:   []string{`cannot open the database mysql://x (from --db): `, `must start with sqlite://, postgres:// or postgresql://`},
			absent: []string{"server is up"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := cli.Env{Getenv: func(k string) string { return tc.env[k] }}
			res := run(t, env, tc.args...)
			if res.code != cli.ExitUsage {
				t.Fatalf("exit %d, want 2\n%s", res.code, res.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(res.stderr, a) {
					t.Errorf("stderr shows %q:\n%s", a, res.stderr)
				}
			}
			if n := strings.Count(res.stderr, "connection refused"); n > 1 {
				t.Errorf("stderr says connection refused %d times:\n%s", n, res.stderr)
			}
		})
	}
}

// TestDatabaseFromNewerRelease: a database a newer release migrated is
// refused, saying so, and the hint names the way out.
func TestDatabaseFromNewerRelease(t *testing.T) {
	url := createdSQLite(t)
	db, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(url, "sqlite://"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO cloacina_migrations (version, name, applied_at) VALUES (1000, '1000_later', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	res := run(t, cli.Env{}, "--db", url, "executions", "list")
	if res.code != cli.ExitUsage || !strings.Contains(res.stderr, "schema version 1000") ||
		!strings.Contains(res.stderr, "hint: a newer release of cloacina has upgraded this database") || strings.Contains(res.stderr, "pass --db") {
		t.Fatalf("exit %d, stderr:\n%s\nwant exit 2, the version and the newer-release hint", res.code, res.stderr)
	}
}

// TestDatabaseFromEnv: without --db the command uses
// CLOACINA_DATABASE_URL; --db wins over it.
func TestDatabaseFromEnv(t *testing.T) {
	url := createdSQLite(t)
	env := cli.Env{Getenv: func(k string) string {
		if k == cli.EnvDatabaseURL {
			return url
		}
		return ""
	}}
	if res := run(t, env, "executions", "list", "--json"); res.code != cli.ExitOK || res.stdout != "[]\n" {
		t.Fatalf("from env: exit %d %q %s", res.code, res.stdout, res.stderr)
	}
	if res := run(t, env, "--db", "sqlite://"+t.TempDir()+"/other.db", "executions", "list"); res.code != cli.ExitUsage {
		t.Fatalf("--db should win over the environment: exit %d", res.code)
	}
}

// TestUsageErrors: mistakes on the command line exit 2 with what is wrong
// and how to find the right form.
func TestUsageErrors(t *testing.T) {
	url := createdSQLite(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"executions", "shwo"}, "cloacina executions: unknown command \"shwo\"; did you mean \"show\"?\nRun 'cloacina executions --help' for the list.\n"},
		{[]string{"exections"}, "cloacina: unknown command \"exections\"; did you mean \"executions\"?\n"},
		{[]string{"executions", "show"}, "cloacina executions show: missing execution id\nusage: cloacina executions show [flags] <id>\nRun 'cloacina executions show --help' for details.\n"},
		{[]string{"executions", "show", "a", "b"}, "cloacina executions show: expected one execution id, got 2 arguments\n"},
		{[]string{"executions", "list", "--limt", "3"}, "cloacina executions list: flag provided but not defined: -limt\nRun 'cloacina executions list --help' for usage.\n"},
		{[]string{"executions", "list", "--status", "faild"}, "cloacina executions list: --status: unknown state \"faild\"; did you mean \"failed\"? (states: pending, running, completed, failed, cancelled, paused)\n"},
		{[]string{"executions", "events"}, "cloacina executions events: missing execution id (or pass --follow to follow every execution)\n"},
		{[]string{"executions", "retry", "x", "--mode", "some"}, "cloacina executions retry: --mode must be failed or all, not \"some\"\n"},
		{[]string{"workflows", "show", "etl", "--format", "png"}, "cloacina workflows show: --format must be text, mermaid or dot, not \"png\"\n"},
		{[]string{"purge"}, "cloacina purge: --older-than is required and must be positive (e.g. --older-than 30d keeps 30 days)\n"},
		{[]string{"purge", "--older-than", "a month"}, "cloacina purge: invalid value \"a month\" for flag -older-than: \"a month\": write a Go duration such as 36h, or whole days such as 30d\n"},
		{[]string{"purge", "--older-than", "30d", "--status", "running"}, "cloacina purge: --status Running: only finished executions are purged (completed, failed, cancelled)\n"},
		{[]string{"purge", "--older-than", "1h", "--status", "running"}, "cloacina purge: --status Running: only finished executions are purged (completed, failed, cancelled)\n"},
		{[]string{"run", "etl", "--header", "nokey"}, "cloacina run: --header \"nokey\": want key=value\n"},
		{[]string{"schedules"}, "cloacina schedules: missing subcommand\n"},
	} {
		res := cmd(t, url, tc.args...)
		if res.code != cli.ExitUsage || !strings.HasPrefix(res.stderr, tc.want) {
			t.Errorf("cloacina %s: exit %d, stderr:\n%s\nwant it to start with:\n%s", strings.Join(tc.args, " "), res.code, res.stderr, tc.want)
		}
	}
}

// TestHelp: help goes to stdout and exits 0; it documents the global
// flags, the database variable and the exit codes.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}} {
		res := run(t, cli.Env{}, args...)
		if res.code != cli.ExitOK {
			t.Fatalf("%v: exit %d", args, res.code)
		}
		golden(t, "help", res.stdout)
	}
	res := run(t, cli.Env{}, "help", "executions", "list")
	if res.code != cli.ExitOK {
		t.Fatalf("exit %d", res.code)
	}
	golden(t, "help_executions_list", res.stdout)
	if again := run(t, cli.Env{}, "executions", "list", "--help"); again.code != cli.ExitOK || again.stdout != res.stdout {
		t.Fatalf("--help differs from help: exit %d\n%s", again.code, again.stdout)
	}
	if res := run(t, cli.Env{}, "executions", "--help"); res.code != cli.ExitOK || !strings.Contains(res.stdout, "retry   run a finished execution again") {
		t.Fatalf("group help: exit %d\n%s", res.code, res.stdout)
	}
	if res := run(t, cli.Env{}); res.code != cli.ExitUsage || !strings.HasPrefix(res.stderr, "usage: cloacina <command>") {
		t.Fatalf("no arguments: exit %d\n%s", res.code, res.stderr)
	}
}

// TestMissingSchema: a PostgreSQL schema no runner has set up (a misspelt
// --schema) exits 2, names the schemas that have Cloacina tables, and is
// not created.
func TestMissingSchema(t *testing.T) {
	url := postgresURL(t)
	known := createdSchema(t, url)
	typo := known[:len(known)-1] + "z"
	if typo == known {
		typo = known[:len(known)-1] + "y"
	}
	env := cli.Env{Getenv: func(string) string { return "" }}
	res := run(t, env, "--db", url, "--schema", typo, "executions", "list")
	if res.code != cli.ExitUsage {
		t.Fatalf("exit %d, want 2\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, w := range []string{`no Cloacina tables in schema "` + typo + `"`, "(from --db): check --schema", known,
		`did you mean "` + known + `"?`} {
		if !strings.Contains(res.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
		}
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, typo).
		Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Fatalf("schema %s was created", typo)
	}
	mustRun(t, cli.ExitOK, url, "--schema", known, "executions", "list")
}
