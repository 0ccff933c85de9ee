// Command performance measures the executor on synthetic workflows of no-op
// tasks and prints throughput and step latency.
//
//	go run ./examples/performance -shape parallel -workflows 1000 -concurrency 32
//	go run ./examples/performance -shape wide -n 10000
//	go run ./examples/performance -shape chain -n 1000
//
// Shapes: simple (1 task), pipeline (3 in a chain), parallel (1 -> 3 -> 1),
// wide (N independent tasks in one workflow), chain (N tasks in a line).
// Step latency is the time from the end of a task's last dependency to its
// own start, measured inside the task functions.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

func main() {
	shape := flag.String("shape", "parallel", "simple, pipeline, parallel, wide or chain")
	workflows := flag.Int("workflows", 0, "executions to run (default 1000 for simple/pipeline/parallel, 1 for wide/chain)")
	n := flag.Int("n", 1000, "tasks per workflow for wide and chain")
	concurrency := flag.Int("concurrency", 32, "runner concurrency")
	dbURL := flag.String("db", "", "database URL (default: a fresh SQLite file in a temporary directory)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "performance:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "performance:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*shape, *workflows, *n, *concurrency, *dbURL); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "performance:", err)
		os.Exit(1)
	}
}

// recorder keeps each task's start and end times, keyed by execution and task.
type recorder struct {
	mu    sync.Mutex
	start map[[2]string]time.Time
	end   map[[2]string]time.Time
}

func (r *recorder) task(ctx context.Context, _ *runtime.Context) error {
	now := time.Now()
	m, _ := runtime.MetaFrom(ctx)
	k := [2]string{m.ExecutionID, m.TaskID}
	r.mu.Lock()
	r.start[k] = now
	r.end[k] = time.Now()
	r.mu.Unlock()
	return nil
}

func buildShape(shape string, n int, fn runtime.TaskFunc) (*runtime.Workflow, error) {
	noRetry := runtime.NoRetry()
	t := func(id string, deps ...string) *runtime.Task {
		return &runtime.Task{ID: id, Dependencies: deps, Func: fn, Retry: &noRetry}
	}
	b := runtime.NewWorkflow("perf_" + shape)
	switch shape {
	case "simple":
		b.Add(t("only"))
	case "pipeline":
		b.Add(t("extract"), t("transform", "extract"), t("load", "transform"))
	case "parallel":
		b.Add(t("fan_out"), t("a", "fan_out"), t("b", "fan_out"), t("c", "fan_out"), t("fan_in", "a", "b", "c"))
	case "wide":
		for i := 0; i < n; i++ {
			b.Add(t(fmt.Sprintf("t%d", i)))
		}
	case "chain":
		for i := 0; i < n; i++ {
			if i == 0 {
				b.Add(t("t0"))
			} else {
				b.Add(t(fmt.Sprintf("t%d", i), fmt.Sprintf("t%d", i-1)))
			}
		}
	default:
		return nil, fmt.Errorf("unknown shape %q", shape)
	}
	return b.Build()
}

func run(shape string, workflows, n, concurrency int, dbURL string) error {
	if workflows == 0 {
		workflows = 1000
		if shape == "wide" || shape == "chain" {
			workflows = 1
		}
	}
	if dbURL == "" {
		dir, err := os.MkdirTemp("", "cloacina-perf-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbURL = "sqlite://" + filepath.Join(dir, "perf.db")
	}
	rec := &recorder{start: map[[2]string]time.Time{}, end: map[[2]string]time.Time{}}
	wf, err := buildShape(shape, n, rec.task)
	if err != nil {
		return err
	}
	reg := runtime.NewRegistry()
	if err := reg.Register(wf); err != nil {
		return err
	}
	ctx := context.Background()
	r, err := runtime.NewRunner(ctx, &runtime.Config{
		DatabaseURL: dbURL, Concurrency: concurrency, Registry: reg,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	defer r.Shutdown(ctx)

	begin := time.Now()
	execs := make([]*runtime.Execution, 0, workflows)
	for i := 0; i < workflows; i++ {
		e, err := r.ExecuteAsync(ctx, wf.Name(), nil)
		if err != nil {
			return err
		}
		execs = append(execs, e)
	}
	submitted := time.Since(begin)
	for _, e := range execs {
		if _, err := e.Wait(ctx); err != nil {
			return fmt.Errorf("execution %s: %w", e.ID(), err)
		}
	}
	elapsed := time.Since(begin)

	var lat []time.Duration
	for _, e := range execs {
		for _, t := range wf.Tasks() {
			if len(t.Dependencies) == 0 {
				continue
			}
			var last time.Time
			for _, d := range t.Dependencies {
				if end := rec.end[[2]string{e.ID(), d}]; end.After(last) {
					last = end
				}
			}
			lat = append(lat, rec.start[[2]string{e.ID(), t.ID}].Sub(last))
		}
	}
	tasks := workflows * wf.Len()
	fmt.Printf("shape=%s workflows=%d tasks=%d concurrency=%d db=%s\n", shape, workflows, tasks, concurrency, redact(dbURL))
	fmt.Printf("elapsed %s (submitting %s)\n", elapsed.Round(time.Millisecond), submitted.Round(time.Millisecond))
	fmt.Printf("workflows/s %.1f\n", float64(workflows)/elapsed.Seconds())
	fmt.Printf("tasks/s %.1f\n", float64(tasks)/elapsed.Seconds())
	if len(lat) > 0 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		fmt.Printf("step latency p50 %s p99 %s max %s (%d steps)\n",
			pct(lat, 50), pct(lat, 99), lat[len(lat)-1].Round(time.Microsecond), len(lat))
	}
	return nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	i = min(max(i-1, 0), len(sorted)-1)
	return sorted[i].Round(time.Microsecond)
}

// redact hides a password in a database URL.
func redact(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	at := strings.LastIndex(rest, "@")
	if !ok || at < 0 {
		return u
	}
	if user, _, hasPass := strings.Cut(rest[:at], ":"); hasPass {
		return scheme + "://" + user + ":***" + rest[at:]
	}
	return u
}
