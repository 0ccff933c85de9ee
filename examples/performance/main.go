// Command performance measures the executor on synthetic workflows of no-op
// tasks and prints throughput and step latency.
//
//	go run ./examples/performance -shape parallel -workflows 1000 -concurrency 32
//	go run ./examples/performance -shape wide -n 10000
//	go run ./examples/performance -shape chain -n 1000
//	go run ./examples/performance -shape chain -n 200 -runners 2 -db postgres://postgres@127.0.0.1:5432/test
//
// Shapes: simple (1 task), pipeline (3 in a chain), parallel (1 -> 3 -> 1),
// wide (N independent tasks in one workflow), chain (N tasks in a line).
//
// With -runners N the program starts N-1 copies of itself as worker
// processes, each with its own runner on the same database, so tasks move
// between processes. On PostgreSQL each run uses a fresh schema, dropped at
// the end; without -db the store is a fresh SQLite file.
//
// Step latency is the time from the end of a task's last dependency to its
// own start, measured inside the task functions (worker processes report
// theirs when they stop); the processes share the host's clock.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cloacina-go/cloacina/runtime"
)

type options struct {
	shape       string
	workflows   int
	n           int
	concurrency int
	runners     int
	dbURL       string
	schema      string
	worker      bool
	records     string
	submit      string
}

func main() {
	var o options
	flag.StringVar(&o.shape, "shape", "parallel", "simple, pipeline, parallel, wide or chain")
	flag.IntVar(&o.workflows, "workflows", 0, "executions to run (default 1000 for simple/pipeline/parallel, 1 for wide/chain)")
	flag.IntVar(&o.n, "n", 1000, "tasks per workflow for wide and chain")
	flag.IntVar(&o.concurrency, "concurrency", 32, "concurrency of each runner")
	flag.IntVar(&o.runners, "runners", 1, "runner processes sharing the database (this one included)")
	flag.StringVar(&o.dbURL, "db", "", "database URL (default: a fresh SQLite file in a temporary directory)")
	flag.StringVar(&o.schema, "schema", "", "PostgreSQL schema (default: a fresh one, dropped at the end)")
	flag.BoolVar(&o.worker, "worker", false, "run as a worker process until standard input closes (used by -runners)")
	flag.StringVar(&o.records, "records", "", "where a worker writes its task timings")
	flag.StringVar(&o.submit, "submit", "serial", "how executions are submitted: serial (one ExecuteAsync after another), concurrent (ExecuteAsync from 32 goroutines) or many (one ExecuteMany)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "performance:", err)
			os.Exit(1)
		}
	}
	var err error
	if o.worker {
		err = work(o)
	} else {
		err = run(o)
	}
	pprof.StopCPUProfile()
	if err != nil {
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

func newRecorder() *recorder {
	return &recorder{start: map[[2]string]time.Time{}, end: map[[2]string]time.Time{}}
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

// write saves the timings as "execution task start end" lines (Unix ns).
func (r *recorder) write(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	r.mu.Lock()
	for k, s := range r.start {
		fmt.Fprintf(w, "%s %s %d %d\n", k[0], k[1], s.UnixNano(), r.end[k].UnixNano())
	}
	r.mu.Unlock()
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// read merges timings written by a worker.
func (r *recorder) read(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var exec, task string
		var s, e int64
		if _, err := fmt.Sscan(sc.Text(), &exec, &task, &s, &e); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		r.start[[2]string{exec, task}], r.end[[2]string{exec, task}] = time.Unix(0, s), time.Unix(0, e)
	}
	return sc.Err()
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

func startRunner(ctx context.Context, o options, wf *runtime.Workflow) (*runtime.Runner, error) {
	reg := runtime.NewRegistry()
	if err := reg.Register(wf); err != nil {
		return nil, err
	}
	return runtime.NewRunner(ctx, &runtime.Config{
		DatabaseURL: o.dbURL, Schema: o.schema, Concurrency: o.concurrency, Registry: reg,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

// work is a worker process: it runs tasks until standard input closes,
// then writes its timings.
func work(o options) error {
	rec := newRecorder()
	wf, err := buildShape(o.shape, o.n, rec.task)
	if err != nil {
		return err
	}
	ctx := context.Background()
	r, err := startRunner(ctx, o, wf)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin) // the parent closes it when the run is over
	if err := r.Shutdown(ctx); err != nil {
		return err
	}
	return rec.write(o.records)
}

func isPostgres(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

func run(o options) error {
	if o.workflows == 0 {
		o.workflows = 1000
		if o.shape == "wide" || o.shape == "chain" {
			o.workflows = 1
		}
	}
	dir, err := os.MkdirTemp("", "cloacina-perf-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.dbURL == "" {
		o.dbURL = "sqlite://" + filepath.Join(dir, "perf.db")
	}
	if isPostgres(o.dbURL) && o.schema == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		o.schema = "cloacina_perf_" + hex.EncodeToString(b[:])
		defer dropSchema(o.dbURL, o.schema)
	}
	rec := newRecorder()
	wf, err := buildShape(o.shape, o.n, rec.task)
	if err != nil {
		return err
	}
	ctx := context.Background()
	r, err := startRunner(ctx, o, wf) // creates and migrates the store first
	if err != nil {
		return err
	}
	defer r.Shutdown(ctx)
	workers, err := startWorkers(o, dir)
	if err != nil {
		return err
	}

	begin := time.Now()
	execs, err := submit(ctx, r, wf.Name(), o.workflows, o.submit)
	if err != nil {
		return err
	}
	submitted := time.Since(begin)
	for _, e := range execs {
		<-e.Done()
	}
	elapsed := time.Since(begin)
	// Only now, outside the timing, is every result read and checked.
	for _, e := range execs {
		if _, err := e.Wait(ctx); err != nil {
			return fmt.Errorf("execution %s: %w", e.ID(), err)
		}
	}
	local := len(rec.start)
	if err := stopWorkers(workers, rec); err != nil {
		return err
	}

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
	tasks := o.workflows * wf.Len()
	fmt.Printf("shape=%s workflows=%d tasks=%d concurrency=%d runners=%d submit=%s db=%s\n",
		o.shape, o.workflows, tasks, o.concurrency, o.runners, o.submit, redact(o.dbURL))
	if o.workflows > 1 {
		fmt.Printf("elapsed %s (submitting %s = %.0f executions/s)\n", elapsed.Round(time.Millisecond),
			submitted.Round(time.Millisecond), float64(o.workflows)/submitted.Seconds())
	} else {
		// One execution: its submission time is what there is to say.
		fmt.Printf("elapsed %s (submitting %s)\n", elapsed.Round(time.Millisecond), submitted.Round(time.Millisecond))
	}
	fmt.Printf("workflows/s %.1f\n", float64(o.workflows)/elapsed.Seconds())
	fmt.Printf("tasks/s %.1f\n", float64(tasks)/elapsed.Seconds())
	if o.runners > 1 {
		fmt.Printf("tasks run by this process %d, by the workers %d\n", local, len(rec.start)-local)
	}
	if len(lat) > 0 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		fmt.Printf("step latency p50 %s p99 %s max %s (%d steps)\n",
			pct(lat, 50), pct(lat, 99), lat[len(lat)-1].Round(time.Microsecond), len(lat))
	}
	if peak := peakRSS(); peak != "" {
		fmt.Printf("peak RSS of this process %s\n", peak)
	}
	return nil
}

// peakRSS is the process's peak resident set size as the kernel reports it
// (VmHWM in /proc/self/status), or "" where there is no such file.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// submit starts n executions of the workflow the given way and returns
// their handles.
func submit(ctx context.Context, r *runtime.Runner, name string, n int, how string) ([]*runtime.Execution, error) {
	switch how {
	case "serial":
		execs := make([]*runtime.Execution, 0, n)
		for i := 0; i < n; i++ {
			e, err := r.ExecuteAsync(ctx, name, nil)
			if err != nil {
				return nil, err
			}
			execs = append(execs, e)
		}
		return execs, nil
	case "concurrent":
		execs := make([]*runtime.Execution, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		const submitters = 32
		for g := 0; g < submitters; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := g; i < n; i += submitters {
					execs[i], errs[i] = r.ExecuteAsync(ctx, name, nil)
				}
			}(g)
		}
		wg.Wait()
		return execs, errors.Join(errs...)
	case "many":
		subs := make([]runtime.Submission, n)
		for i := range subs {
			subs[i] = runtime.Submission{Workflow: name}
		}
		return r.ExecuteMany(ctx, subs)
	}
	return nil, fmt.Errorf("-submit %q: want serial, concurrent or many", how)
}

type worker struct {
	cmd     *exec.Cmd
	stdin   io.Closer
	records string
}

// startWorkers starts o.runners-1 worker processes and waits until each has
// its runner up.
func startWorkers(o options, dir string) ([]*worker, error) {
	var ws []*worker
	for i := 1; i < o.runners; i++ {
		w := &worker{records: filepath.Join(dir, fmt.Sprintf("worker-%d.txt", i))}
		w.cmd = exec.Command(os.Args[0], "-worker", "-shape", o.shape, "-n", fmt.Sprint(o.n),
			"-concurrency", fmt.Sprint(o.concurrency), "-db", o.dbURL, "-schema", o.schema, "-records", w.records)
		w.cmd.Stderr = os.Stderr
		in, err := w.cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		out, err := w.cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := w.cmd.Start(); err != nil {
			return nil, err
		}
		w.stdin = in
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || strings.TrimSpace(line) != "ready" {
			return nil, fmt.Errorf("worker %d did not start: %q %v", i, line, err)
		}
		ws = append(ws, w)
	}
	return ws, nil
}

func stopWorkers(ws []*worker, rec *recorder) error {
	var errs []error
	for _, w := range ws {
		w.stdin.Close()
	}
	for _, w := range ws {
		if err := w.cmd.Wait(); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, rec.read(w.records))
	}
	return errors.Join(errs...)
}

func dropSchema(dbURL, schema string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "performance: drop schema:", err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		fmt.Fprintln(os.Stderr, "performance: drop schema:", err)
	}
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
