package ui_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/internal/testdb"
	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/ui"
)

// forEachBackend runs a test on SQLite and, when CLOACINA_TEST_DATABASE_URL
// is set, on PostgreSQL in a schema of its own.
func forEachBackend(t *testing.T, test func(t *testing.T, url, schema string)) {
	t.Run("sqlite", func(t *testing.T) {
		test(t, "sqlite://"+filepath.Join(t.TempDir(), "ui.db"), "")
	})
	t.Run("postgres", func(t *testing.T) {
		test(t, postgresURL(t), freshSchema(t))
	})
}

// postgresURL returns the test server's URL, or skips the test saying how to
// enable it (see internal/testdb).
func postgresURL(t testing.TB) string { t.Helper(); return testdb.URL(t) }

// freshSchema returns a new schema for one test, dropped when it ends.
func freshSchema(t testing.TB) string { t.Helper(); return testdb.FreshSchema(t, "cloacina_ui_test_") }

// fixture is a runner with the test workflows and the UI served under
// /ops behind a middleware that demands a header.
type fixture struct {
	t       *testing.T
	runner  *runtime.Runner
	server  *httptest.Server
	client  *http.Client
	release chan struct{} // closing it lets "blocker" finish
}

const xssError = `<script>alert("x")</script> & more`

// workflows: ok (a → b), broken (boom fails with xssError, down is
// skipped) and blocker (wait blocks until release, then after).
func newFixture(t *testing.T, dbURL, schema string, opts ui.Options, extra ...*runtime.Workflow) *fixture {
	t.Helper()
	f := &fixture{t: t, release: make(chan struct{})}
	noRetry := runtime.NoRetry()
	reg := runtime.NewRegistry()
	task := func(id string, fn runtime.TaskFunc, deps ...string) *runtime.Task {
		return &runtime.Task{ID: id, Func: fn, Dependencies: deps, Retry: &noRetry}
	}
	nop := func(context.Context, *runtime.Context) error { return nil }
	reg.MustRegister(runtime.NewWorkflow("ok").Add(
		task("a", func(_ context.Context, c *runtime.Context) error { return c.Set("a", 1) }),
		task("b", nop, "a"),
	).MustBuild())
	reg.MustRegister(runtime.NewWorkflow("broken").Add(
		task("boom", func(context.Context, *runtime.Context) error { return errors.New(xssError) }),
		task("down", nop, "boom"),
	).MustBuild())
	reg.MustRegister(runtime.NewWorkflow("blocker").Add(
		task("wait", func(ctx context.Context, _ *runtime.Context) error {
			select {
			case <-f.release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}),
		task("after", nop, "wait"),
	).MustBuild())
	for _, w := range extra {
		reg.MustRegister(w)
	}
	r, err := runtime.NewRunner(context.Background(), &runtime.Config{
		DatabaseURL: dbURL, Schema: schema, Registry: reg,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.runner = r
	opts.Runner, opts.Registry, opts.Prefix = r, reg, "/ops"
	h := ui.Handler(opts)
	mux := http.NewServeMux()
	mux.Handle("/ops/", requireUser(h))
	f.server = httptest.NewServer(mux)
	jar, _ := cookiejar.New(nil)
	f.client = &http.Client{Jar: jar, Transport: userTransport{}, Timeout: 30 * time.Second}
	t.Cleanup(func() {
		f.server.Close()
		select {
		case <-f.release:
		default:
			close(f.release)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.Shutdown(ctx)
	})
	return f
}

// requireUser stands for the user's own authentication middleware.
func requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-User") == "" {
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type userTransport struct{}

func (userTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-User", "tester")
	return http.DefaultTransport.RoundTrip(r)
}

func (f *fixture) get(path string) (int, string) {
	f.t.Helper()
	code, body, _ := f.getFollowing(path)
	return code, body
}

// getFollowing is get following redirects, and also returns the path it
// ended at.
func (f *fixture) getFollowing(path string) (int, string, string) {
	f.t.Helper()
	resp, err := f.client.Get(f.server.URL + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Request.URL.Path
}

var tokenRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// token loads a page and returns the CSRF token of its forms.
func (f *fixture) token(path string) string {
	f.t.Helper()
	_, body := f.get(path)
	m := tokenRE.FindStringSubmatch(body)
	if m == nil {
		f.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

// post submits a form (following the redirect) and returns the final
// status, body and path.
func (f *fixture) post(path string, form url.Values) (int, string, string) {
	f.t.Helper()
	resp, err := f.client.PostForm(f.server.URL+path, form)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Request.URL.Path
}

func (f *fixture) execute(name string) *runtime.PipelineResult {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, _ := f.runner.Execute(ctx, name, nil)
	if res == nil || !res.Status.Terminal() {
		f.t.Fatalf("execution of %s did not end: %+v", name, res)
	}
	return res
}

// startBlocked starts blocker and returns once its first task runs.
func (f *fixture) startBlocked() *runtime.Execution {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ex, err := f.runner.ExecuteAsync(ctx, "blocker", nil)
	if err != nil {
		f.t.Fatal(err)
	}
	for ev, err := range ex.Follow(ctx) {
		if err != nil {
			f.t.Fatal(err)
		}
		if ev.Kind == store.EventTaskStarted && ev.TaskID == "wait" {
			return ex
		}
	}
	f.t.Fatal("blocker ended before its task started")
	return nil
}

func (f *fixture) status(id string) runtime.PipelineStatus {
	f.t.Helper()
	ex, err := f.runner.Execution(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	st, err := ex.Status(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return st
}

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", body)
		t.FailNow()
	}
}
