package cli_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cloacina-go/cloacina/internal/cli"
	"github.com/cloacina-go/cloacina/internal/testdb"
	"github.com/cloacina-go/cloacina/runtime"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the output")

func TestMain(m *testing.M) {
	// Every runner a test or the command starts is shut down, and Shutdown
	// waits for its goroutines: none may be left.
	goleak.VerifyTestMain(m)
}

// sqliteURL is a new, empty SQLite database for one test.
func sqliteURL(t *testing.T) string {
	t.Helper()
	return "sqlite://" + filepath.Join(t.TempDir(), "cloacina.db")
}

// createdSQLite is a new SQLite database with the schema applied (the
// command refuses a file that does not exist).
func createdSQLite(t *testing.T) string {
	t.Helper()
	url := sqliteURL(t)
	r, err := runtime.NewRunner(context.Background(), &runtime.Config{DatabaseURL: url, Registry: runtime.NewRegistry(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return url
}

// createdSchema returns a fresh PostgreSQL schema that a runner has set
// up, as the command expects of the schemas it opens.
func createdSchema(t *testing.T, url string) string {
	t.Helper()
	schema := freshSchema(t)
	r, err := runtime.NewRunner(context.Background(), &runtime.Config{DatabaseURL: url, Schema: schema,
		Registry: runtime.NewRegistry(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return schema
}

// postgresURL returns the test server's URL, or skips the test saying how to
// enable it (see internal/testdb).
func postgresURL(t testing.TB) string { t.Helper(); return testdb.URL(t) }

// freshSchema returns a new schema for one test, dropped when it ends.
func freshSchema(t testing.TB) string { t.Helper(); return testdb.FreshSchema(t, "cloacina_cli_") }

// worker starts a runner that executes wfs on the database, as a user's
// program would, and shuts it down when the test ends.
func worker(t *testing.T, url, schema string, wfs ...*runtime.Workflow) *runtime.Runner {
	t.Helper()
	reg := runtime.NewRegistry()
	for _, wf := range wfs {
		reg.MustRegister(wf)
	}
	ctx := context.Background()
	// The command's writes (a cancel, a new execution) reach the worker,
	// through another store, by a notification: its fallback poll is an
	// hour. Heartbeats carry a cancel to running tasks.
	r, err := runtime.NewRunner(ctx, &runtime.Config{DatabaseURL: url, Schema: schema, Registry: reg, RunnerID: "worker-1",
		FallbackPollInterval: time.Hour, HeartbeatInterval: 100 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("NewRunner: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return r
}

// syncBuffer is a writer the command may write to while the test reads
// it; each write wakes the readers waiting in waitFor.
type syncBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{wrote: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the output contains s, woken by each write.
func (b *syncBuffer) waitFor(t *testing.T, s string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for !strings.Contains(b.String(), s) {
		select {
		case <-b.wrote:
		case <-timeout:
			t.Fatalf("timed out waiting for %q in output:\n%s", s, b.String())
		}
	}
}

// result is one run of the command.
type result struct {
	stdout, stderr string
	code           int
}

// run runs the command in-process with env (Stdout and Stderr replaced
// by buffers).
func run(t *testing.T, env cli.Env, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	env.Stdout, env.Stderr = &out, &errb
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	code := cli.Run(ctx, &env, args)
	return result{out.String(), errb.String(), code}
}

// cmd runs `cloacina --db url args...` with an empty environment.
func cmd(t *testing.T, url string, args ...string) result {
	t.Helper()
	return run(t, cli.Env{}, append([]string{"--db", url}, args...)...)
}

// mustRun is cmd that fails the test unless the command exits with code.
func mustRun(t *testing.T, code int, url string, args ...string) result {
	t.Helper()
	res := cmd(t, url, args...)
	if res.code != code {
		t.Fatalf("cloacina %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.code, code, res.stdout, res.stderr)
	}
	return res
}

var (
	tableTime  = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{3})?Z`)
	jsonTime   = regexp.MustCompile(`"\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)"`)
	duration   = regexp.MustCompile(`\b(\d+h)?(\d+m)?\d+(\.\d+)?(ns|µs|ms|s)\b`)
	durationMS = regexp.MustCompile(`"duration_ms": [0-9.]+`)
	spaces     = regexp.MustCompile(`  +`)
)

// normalize makes output comparable across runs: each id in ids becomes
// its name in angle brackets (<ok>), times become <TIME> and durations
// <DUR>. Then, since the width of a table's columns follows the lengths
// those replaced, runs of spaces after a line's indentation become two
// spaces and trailing spaces go: goldens check the cells and their order,
// not the padding (TestTableAlignment checks that).
func normalize(s string, ids map[string]string) string {
	names := make([]string, 0, len(ids))
	for id := range ids {
		names = append(names, id)
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	for _, id := range names {
		s = strings.ReplaceAll(s, id, "<"+ids[id]+">")
	}
	s = tableTime.ReplaceAllString(s, "<TIME>")
	s = jsonTime.ReplaceAllString(s, `"<TIME>"`)
	s = durationMS.ReplaceAllString(s, `"duration_ms": <MS>`)
	s = duration.ReplaceAllString(s, "<DUR>")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		body := strings.TrimLeft(l, " ")
		indent := l[:len(l)-len(body)]
		lines[i] = indent + strings.TrimRight(spaces.ReplaceAllString(body, "  "), " ")
	}
	return strings.Join(lines, "\n")
}

// golden compares got with testdata/name.golden (or writes it with
// -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no golden file %s: run go test -run %s -update", path, t.Name())
	}
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -run %s -update rewrites it)\ngot:\n%s\nwant:\n%s", path, t.Name(), got, want)
	}
}

// noRetry is a policy of one attempt.
func noRetry() *runtime.RetryPolicy {
	p := runtime.NoRetry()
	return &p
}

// etl is extract -> transform -> load; load fails when the input has
// "fail": true. Fixed fingerprints make its version the same in every run.
func etl() *runtime.Workflow {
	return runtime.NewWorkflow("etl").Description("extract, transform, load").Add(
		&runtime.Task{ID: "extract", Fingerprint: "e1", Retry: noRetry(), Func: func(_ context.Context, c *runtime.Context) error {
			return c.Set("rows", []int{1, 2, 3})
		}},
		&runtime.Task{ID: "transform", Fingerprint: "t1", Dependencies: []string{"extract"}, Retry: noRetry(),
			Func: func(_ context.Context, c *runtime.Context) error { return c.Set("sum", 6) }},
		&runtime.Task{ID: "load", Fingerprint: "l1", Dependencies: []string{"transform"}, Retry: noRetry(),
			Func: func(_ context.Context, c *runtime.Context) error {
				if c.Has("fail") {
					return runtime.Permanent(errors.New("warehouse refused the rows"))
				}
				return c.Set("loaded", true)
			}},
	).MustBuild()
}

// gated is one task that waits for release (or for its context to end).
func gated(name string, release <-chan struct{}) *runtime.Workflow {
	return runtime.NewWorkflow(name).Add(
		&runtime.Task{ID: "wait", Fingerprint: "w1", Retry: noRetry(), Func: func(ctx context.Context, c *runtime.Context) error {
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}},
	).MustBuild()
}

// input makes an input context from key/value pairs.
func input(t *testing.T, kv ...any) *runtime.Context {
	t.Helper()
	c := runtime.NewContext()
	for i := 0; i < len(kv); i += 2 {
		if err := c.Set(kv[i].(string), kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// execute runs a workflow to its end on r.
func execute(t *testing.T, r *runtime.Runner, name string, in *runtime.Context) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := r.Execute(ctx, name, in)
	if res == nil {
		t.Fatalf("Execute %s: %v", name, err)
	}
	return res.ExecutionID
}

// waitEvent waits until the execution has an event of this kind.
func waitEvent(t *testing.T, r *runtime.Runner, id, kind string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sub, err := r.Subscribe(ctx, runtime.EventFilter{ExecutionID: id, UntilEnd: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s of %s: %v", kind, id, err)
		}
		if ev.Kind == kind {
			return
		}
	}
}
