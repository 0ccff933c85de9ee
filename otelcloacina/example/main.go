// Command example runs a small workflow with OpenTelemetry: traces go to
// stdout, metrics are served for Prometheus at http://ADDR/metrics.
//
//	go run ./example                 # three runs, then prints the cloacina metrics it serves and exits
//	go run ./example -serve -addr :9464   # keeps serving /metrics until interrupted
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/cloacina-go/cloacina/otelcloacina"
	"github.com/cloacina-go/cloacina/runtime"
)

func main() {
	db := flag.String("db", "", "database URL (default: a SQLite file in a temporary directory)")
	addr := flag.String("addr", "127.0.0.1:0", "address to serve /metrics on")
	runs := flag.Int("runs", 3, "executions to run")
	serve := flag.Bool("serve", false, "keep serving /metrics after the runs, until interrupted")
	flag.Parse()
	if err := run(*db, *addr, *runs, *serve); err != nil {
		log.Fatal(err)
	}
}

func run(db, addr string, runs int, serve bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if db == "" {
		dir, err := os.MkdirTemp("", "otelcloacina-example")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		db = "sqlite://" + filepath.Join(dir, "example.db")
	}

	// Traces to stdout, metrics to a Prometheus registry of our own.
	spans, err := stdouttrace.New(stdouttrace.WithPrettyPrint())
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(context.Background())
	reg := prometheus.NewRegistry()
	metrics, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(metrics))
	defer mp.Shutdown(context.Background())

	mw, err := otelcloacina.New(&otelcloacina.Config{TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		return err
	}
	registry := runtime.NewRegistry()
	registry.MustRegister(workflow())
	cfg := &runtime.Config{DatabaseURL: db, Registry: registry, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	mw.Install(cfg)
	runner, err := runtime.NewRunner(ctx, cfg)
	if err != nil {
		return err
	}
	defer runner.Shutdown(context.Background())

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) // ended by Shutdown below
	defer srv.Shutdown(context.Background())
	fmt.Fprintf(os.Stderr, "serving metrics at http://%s/metrics\n", ln.Addr())

	// The caller's span: each execution's trace links to it.
	tracer := tp.Tracer("example")
	for i := 0; i < runs; i++ {
		rctx, span := tracer.Start(ctx, "nightly job")
		res, err := runner.Execute(rctx, "report", nil)
		span.End()
		if res == nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "execution %s: %s\n", res.ExecutionID, res.Status)
	}
	// The execution spans end when the runner learns the executions
	// ended; Shutdown waits for that.
	if err := runner.Shutdown(ctx); err != nil && !errors.Is(err, runtime.ErrRunnerClosed) {
		return err
	}
	if serve {
		<-ctx.Done()
		return nil
	}
	return printMetrics("http://" + ln.Addr().String() + "/metrics")
}

// workflow is fetch (flaky: fails about one attempt in three) -> render.
func workflow() *runtime.Workflow {
	retry := runtime.DefaultRetryPolicy()
	retry.InitialDelay, retry.MaxAttempts = 10*time.Millisecond, 5
	return runtime.NewWorkflow("report").
		Add(&runtime.Task{ID: "fetch", Retry: &retry, Func: func(ctx context.Context, c *runtime.Context) error {
			if rand.IntN(3) == 0 {
				return errors.New("upstream timed out")
			}
			return c.Set("rows", 42)
		}}).
		Add(&runtime.Task{ID: "render", Dependencies: []string{"fetch"}, Func: func(ctx context.Context, c *runtime.Context) error {
			rows, err := runtime.Get[int](c, "rows")
			if err != nil {
				return err
			}
			return c.Set("report", fmt.Sprintf("%d rows", rows))
		}}).MustBuild()
}

// printMetrics scrapes url and prints the cloacina series, histograms as
// their sums and counts.
func printMetrics(url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "cloacina_") && !strings.Contains(line, "_bucket{") {
			fmt.Println(sc.Text())
		}
	}
	return sc.Err()
}
