// Command ui serves Cloacina's web UI under /ops/, behind HTTP basic
// authentication, beside a runner with three workflows to look at: report
// (a fan-out and fan-in that takes a few seconds), flaky (fails, so its
// graph shows a failed task and the ones skipped because of it) and
// hourly-report (a schedule of report).
//
//	go run ./examples/ui                         # http://127.0.0.1:8080/ops/ (user admin, password printed)
//	go run ./examples/ui -db postgres://... -addr :8080 -password secret
//	go run ./examples/ui -readonly               # actions refused
//
// Start executions from the workflow pages, cancel, pause, resume and retry
// them, and watch them run: the execution page follows its events live.
package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/ui"
)

func main() {
	db := flag.String("db", "sqlite://cloacina-ui.db", "database URL")
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	password := flag.String("password", "", "password of the user admin (default: a random one, printed)")
	readOnly := flag.Bool("readonly", false, "show everything, refuse every action")
	flag.Parse()
	if *password == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		*password = hex.EncodeToString(b)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ui:", err)
		os.Exit(2)
	}
	fmt.Printf("serving http://%s/ops/ (user admin, password %s); Ctrl-C to stop\n", ln.Addr(), *password)
	if err := serve(ctx, ln, *db, *password, *readOnly); err != nil {
		fmt.Fprintln(os.Stderr, "ui:", err)
		os.Exit(1)
	}
}

// serve runs the runner and the UI on ln until ctx ends.
func serve(ctx context.Context, ln net.Listener, dbURL, password string, readOnly bool) error {
	reg := runtime.NewRegistry()
	for _, w := range workflows() {
		if err := reg.Register(w); err != nil {
			return err
		}
	}
	runner, err := runtime.NewRunner(ctx, &runtime.Config{
		DatabaseURL: dbURL, Registry: reg,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Shutdown(sctx)
	}()

	mux := http.NewServeMux()
	mux.Handle("/ops/", basicAuth("admin", password, ui.Handler(ui.Options{
		Runner: runner, Registry: reg, Prefix: "/ops", ReadOnly: readOnly,
	})))
	mux.Handle("/{$}", http.RedirectHandler("/ops/", http.StatusSeeOther))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Shutdown does not wait for the live event streams; closing the
	// runner below ends them.
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// basicAuth stands for the authentication of your own server: the UI has
// none of its own.
func basicAuth(user, password string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 || subtle.ConstantTimeCompare([]byte(p), []byte(password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="cloacina"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// work is a task that takes d, or less if its execution is cancelled.
func work(d time.Duration) runtime.TaskFunc {
	return func(ctx context.Context, c *runtime.Context) error {
		t := time.NewTimer(d) // the task's work, simulated
		defer t.Stop()
		select {
		case <-t.C:
			meta, _ := runtime.MetaFrom(ctx)
			return c.Set("done_"+meta.TaskID, time.Now().UTC().Format(time.RFC3339))
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func workflows() []*runtime.Workflow {
	retry := runtime.DefaultRetryPolicy()
	retry.MaxAttempts, retry.InitialDelay, retry.Jitter = 2, 500*time.Millisecond, false
	task := func(id string, d time.Duration, deps ...string) *runtime.Task {
		return &runtime.Task{ID: id, Func: work(d), Dependencies: deps, Retry: &retry}
	}
	report := runtime.NewWorkflow("report").Description("gathers three sources, merges them and publishes a report").Add(
		task("extract_orders", 800*time.Millisecond),
		task("extract_customers", 1200*time.Millisecond),
		task("extract_stock", 600*time.Millisecond),
		task("join", 900*time.Millisecond, "extract_orders", "extract_customers"),
		task("forecast", 1500*time.Millisecond, "extract_stock", "join"),
		task("render", 700*time.Millisecond, "join"),
		task("publish", 400*time.Millisecond, "render", "forecast"),
	).Schedule(runtime.Schedule{Name: "hourly-report", Cron: "@hourly"}).MustBuild()

	flaky := runtime.NewWorkflow("flaky").Description("fails at its second step").Add(
		task("fetch", 500*time.Millisecond),
		&runtime.Task{ID: "parse", Dependencies: []string{"fetch"}, Retry: &retry,
			Func: func(context.Context, *runtime.Context) error {
				return errors.New(`unexpected token "<" at line 1: <html><script>…`)
			}},
		task("store", 300*time.Millisecond, "parse"),
		task("notify", 200*time.Millisecond, "store"),
	).MustBuild()
	return []*runtime.Workflow{report, flaky}
}
