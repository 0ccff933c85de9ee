// Command river compares the throughput of Cloacina with River's burn-down
// benchmark (insert N no-op jobs, then work them all) on the same
// PostgreSQL server, in the same process, with the same number of workers.
// Cloacina runs one of two shapes of N no-op tasks in all:
//
//   - wide: one execution of N independent tasks;
//
//   - parallel: N/5 executions of the five-task workflow fan_out -> (a, b,
//     c) -> fan_in, submitted with one ExecuteMany. River works five jobs
//     per execution, so tasks/s and jobs/s compare directly.
//
//     go run . -db postgres://postgres@127.0.0.1:5432/test?sslmode=disable -n 20000 -workers 100
//     go run . -db postgres://postgres@127.0.0.1:5432/test?sslmode=disable -shape parallel -n 5000 -workers 100
//
// Both figures include the insertion of the work: Cloacina is timed from just
// before ExecuteMany (which inserts the task rows) until the runner knows the
// last execution ended (Execution.Done); River from just before its first
// InsertMany until the N-th job completion event arrives. Results are read
// and checked after the timing on both sides. Each side runs in a fresh schema that is
// dropped afterwards.
//
// This program lives in its own module so that the main module never depends
// on River.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"runtime/pprof"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/cloacina-go/cloacina/runtime"
)

// options are the command-line settings shared by both sides.
type options struct {
	db                 string
	shape              string
	n                  int
	workers            int
	timeout            time.Duration
	verbose            bool
	riverFetchCooldown time.Duration
	riverFetchPoll     time.Duration
	riverInsert        string
	riverBatch         int
	app                string // application_name of this program's connections
}

// measurement is one timed run of one side.
type measurement struct {
	elapsed time.Duration // insert + work, the figure compared
	insert  time.Duration // Cloacina: ExecuteAsync; River: all InsertMany calls
	start   time.Duration // River only: client.Start
	others  contention    // other sessions seen on the server meanwhile
}

// contention counts, over the samples taken during a timed run, the active
// sessions on the server that were not this program's.
type contention struct {
	samples, busy, max int
}

// appName is the application_name of every connection this program opens,
// so that the contention sampler can tell them from other clients'.
const appName = "cloacina_river_bench"

func (m measurement) rate(n int) float64 { return float64(n) / m.elapsed.Seconds() }

func main() {
	var o options
	flag.StringVar(&o.db, "db", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL URL used by both sides (pgxpool settings such as pool_max_conns apply to both)")
	flag.IntVar(&o.n, "n", 20000, "no-op tasks (Cloacina) and jobs (River)")
	flag.StringVar(&o.shape, "shape", "wide", "Cloacina's workflow: wide (one execution of n tasks) or parallel (n/5 five-task executions)")
	flag.IntVar(&o.workers, "workers", 100, "Cloacina Concurrency and River MaxWorkers of the default queue")
	rounds := flag.Int("rounds", 1, "measure each side this many times, alternating which goes first, and report the medians")
	cloacinaOnly := flag.Bool("cloacina-only", false, "run only the Cloacina side (for profiling)")
	riverOnly := flag.Bool("river-only", false, "run only the River side (for profiling)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up on one side's run after this long")
	flag.BoolVar(&o.verbose, "v", false, "send both libraries' warnings and errors to stderr")
	flag.DurationVar(&o.riverFetchCooldown, "river-fetch-cooldown", 2*time.Millisecond, "River Config.FetchCooldown (riverbench uses 2ms; River's default is 100ms)")
	flag.DurationVar(&o.riverFetchPoll, "river-fetch-poll-interval", 20*time.Millisecond, "River Config.FetchPollInterval (riverbench uses 20ms; River's default is 1s)")
	flag.StringVar(&o.riverInsert, "river-insert", "many", "how River inserts: many (InsertMany in batches, as riverbench does) or fast (InsertManyFast, COPY FROM)")
	flag.IntVar(&o.riverBatch, "river-batch", 5000, "jobs per River insert call (riverbench uses 5000)")
	flag.Parse()

	if err := validate(&o, *rounds, *cloacinaOnly, *riverOnly); err != nil {
		fmt.Fprintln(os.Stderr, "river-bench:", err)
		flag.Usage()
		os.Exit(2)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "river-bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "river-bench:", err)
			os.Exit(1)
		}
	}
	err := run(&o, *rounds, !*riverOnly, !*cloacinaOnly)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "river-bench:", err)
		os.Exit(1)
	}
}

func validate(o *options, rounds int, cloacinaOnly, riverOnly bool) error {
	switch {
	case o.n < 1:
		return errors.New("-n must be at least 1")
	case o.shape != "wide" && o.shape != "parallel":
		return fmt.Errorf("-shape must be wide or parallel, not %q", o.shape)
	case o.shape == "parallel" && o.n%5 != 0:
		return errors.New("-n must be a multiple of 5 for -shape parallel")
	case o.workers < 1:
		return errors.New("-workers must be at least 1")
	case rounds < 1:
		return errors.New("-rounds must be at least 1")
	case cloacinaOnly && riverOnly:
		return errors.New("-cloacina-only and -river-only exclude each other")
	case o.riverInsert != "many" && o.riverInsert != "fast":
		return fmt.Errorf("-river-insert must be many or fast, not %q", o.riverInsert)
	case o.riverBatch < 1:
		return errors.New("-river-batch must be at least 1")
	}
	// Both sides open their pools from this same URL, so pgxpool settings
	// given in it (pool_max_conns, ...) apply to both alike.
	u, err := url.Parse(o.db)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return errors.New("-db must be a postgres:// or postgresql:// URL")
	}
	q := u.Query()
	o.app = q.Get("application_name")
	if o.app == "" {
		o.app = appName
		q.Set("application_name", appName)
		u.RawQuery = q.Encode()
		o.db = u.String()
	}
	return nil
}

// watch samples, every 200ms until stop is called, how many sessions other
// than this program's are active on the server. Benchmarks on a shared
// server are only meaningful when that stays at zero. stop may be called
// more than once.
func watch(admin *pgxpool.Pool, self string) (stop func() contention) {
	done := make(chan struct{})
	result := make(chan contention, 1)
	go func() {
		var c contention
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				result <- c
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			var k int
			err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE backend_type = 'client backend' AND state <> 'idle'
				AND pid <> pg_backend_pid() AND application_name <> $1`, self).Scan(&k)
			cancel()
			if err != nil {
				continue
			}
			c.samples++
			if k > 0 {
				c.busy++
			}
			c.max = max(c.max, k)
		}
	}()
	var once sync.Once
	var c contention
	return func() contention {
		once.Do(func() { close(done); c = <-result })
		return c
	}
}

func (c contention) warn(prefix string) {
	if c.busy > 0 {
		fmt.Printf("%s  warning: other clients were busy on the server during this run (%d of %d samples, up to %d sessions at once): this figure is not reliable\n",
			prefix, c.busy, c.samples, c.max)
	}
}

func run(o *options, rounds int, doCloacina, doRiver bool) error {
	ctx := context.Background()
	admin, err := pgxpool.New(ctx, o.db)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer admin.Close()
	if err := admin.Ping(ctx); err != nil {
		return fmt.Errorf("connect: %w", err)
	}

	var cl, rv []measurement
	for i := 0; i < rounds; i++ {
		prefix := ""
		if rounds > 1 {
			prefix = fmt.Sprintf("round %d: ", i+1)
		}
		sides := []string{"cloacina", "river"}
		if i%2 == 1 { // alternate which side goes first
			sides = []string{"river", "cloacina"}
		}
		for _, side := range sides {
			switch {
			case side == "cloacina" && doCloacina:
				m, err := runCloacina(ctx, admin, o)
				if err != nil {
					return fmt.Errorf("cloacina: %w", err)
				}
				cl = append(cl, m)
				printCloacina(prefix, o, m)
			case side == "river" && doRiver:
				m, err := runRiver(ctx, admin, o)
				if err != nil {
					return fmt.Errorf("river: %w", err)
				}
				rv = append(rv, m)
				printRiver(prefix, o, m)
			}
		}
		if doCloacina && doRiver {
			fmt.Printf("%sratio cloacina/river: %.2f\n", prefix, cl[i].rate(o.n)/rv[i].rate(o.n))
		}
	}
	if rounds > 1 {
		fmt.Println()
		disturbed := 0
		for _, m := range append(append([]measurement(nil), cl...), rv...) {
			if m.others.busy > 0 {
				disturbed++
			}
		}
		if disturbed > 0 {
			fmt.Printf("warning: other clients were busy on the server during %d of %d runs: the medians are not reliable\n",
				disturbed, len(cl)+len(rv))
		}
		var mc, mr measurement
		if doCloacina {
			mc = median(cl)
			printCloacina("median: ", o, mc)
		}
		if doRiver {
			mr = median(rv)
			printRiver("median: ", o, mr)
		}
		if doCloacina && doRiver {
			fmt.Printf("median: ratio cloacina/river: %.2f\n", mc.rate(o.n)/mr.rate(o.n))
		}
	}
	return nil
}

func printCloacina(prefix string, o *options, m measurement) {
	fmt.Printf("%scloacina %s: %d tasks in %.2fs = %.0f tasks/s (workers %d)\n",
		prefix, o.shape, o.n, m.elapsed.Seconds(), m.rate(o.n), o.workers)
	m.others.warn(prefix)
	if m.insert > 0 {
		fmt.Printf("%s  submission (insert) %.3fs, then until the last execution ended %.3fs\n",
			prefix, m.insert.Seconds(), (m.elapsed - m.insert).Seconds())
	}
}

func printRiver(prefix string, o *options, m measurement) {
	fmt.Printf("%sriver burn-down: %d jobs in %.2fs = %.0f jobs/s (workers %d)\n",
		prefix, o.n, m.elapsed.Seconds(), m.rate(o.n), o.workers)
	m.others.warn(prefix)
	if m.insert > 0 {
		work := m.elapsed - m.insert - m.start
		fmt.Printf("%s  insert %.3fs, client start %.3fs, work %.3fs (riverbench counts only the work: %.0f jobs/s)\n",
			prefix, m.insert.Seconds(), m.start.Seconds(), work.Seconds(), float64(o.n)/work.Seconds())
	}
}

// median returns the measurement of median elapsed time (for an even count,
// the mean of the two middle ones; the phase breakdown is then left out).
func median(ms []measurement) measurement {
	s := append([]measurement(nil), ms...)
	sort.Slice(s, func(i, j int) bool { return s[i].elapsed < s[j].elapsed })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	a, b := s[len(s)/2-1], s[len(s)/2]
	return measurement{elapsed: (a.elapsed + b.elapsed) / 2}
}

func logger(verbose bool) *slog.Logger {
	if verbose {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func freshSchema(prefix string) (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + hex.EncodeToString(b), nil
}

func dropSchema(admin *pgxpool.Pool, schema string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := admin.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}

// runCloacina runs o.n no-op tasks in o.shape on one runner with
// Concurrency o.workers, in a fresh schema.
func runCloacina(ctx context.Context, admin *pgxpool.Pool, o *options) (m measurement, err error) {
	schema, err := freshSchema("cloacina_bench_")
	if err != nil {
		return m, err
	}
	defer func() {
		if derr := dropSchema(admin, schema); derr != nil && err == nil {
			err = fmt.Errorf("drop schema %s: %w", schema, derr)
		}
	}()

	noop := func(context.Context, *runtime.Context) error { return nil }
	p := runtime.NoRetry()
	t := func(id string, deps ...string) *runtime.Task {
		return &runtime.Task{ID: id, Dependencies: deps, Func: noop, Retry: &p}
	}
	b := runtime.NewWorkflow(o.shape)
	subs := []runtime.Submission{{Workflow: o.shape}}
	if o.shape == "parallel" {
		b.Add(t("fan_out"), t("a", "fan_out"), t("b", "fan_out"), t("c", "fan_out"), t("fan_in", "a", "b", "c"))
		subs = make([]runtime.Submission, o.n/5)
		for i := range subs {
			subs[i] = runtime.Submission{Workflow: o.shape}
		}
	} else {
		for i := 0; i < o.n; i++ {
			b.Add(t(fmt.Sprintf("t%d", i)))
		}
	}
	wf, err := b.Build()
	if err != nil {
		return m, err
	}
	reg := runtime.NewRegistry()
	if err := reg.Register(wf); err != nil {
		return m, err
	}
	r, err := runtime.NewRunner(ctx, &runtime.Config{
		DatabaseURL: o.db,
		Schema:      schema,
		Concurrency: o.workers,
		Registry:    reg,
		Logger:      logger(o.verbose),
	})
	if err != nil {
		return m, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if serr := r.Shutdown(sctx); serr != nil && err == nil {
			err = fmt.Errorf("shutdown: %w", serr)
		}
	}()

	tctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	stop := watch(admin, o.app)
	defer stop()
	begin := time.Now()
	execs, err := r.ExecuteMany(tctx, subs)
	if err != nil {
		return m, err
	}
	m.insert = time.Since(begin)
	for _, e := range execs {
		select {
		case <-e.Done():
		case <-tctx.Done():
			return m, tctx.Err()
		}
	}
	m.elapsed = time.Since(begin)
	m.others = stop()
	// As River's side only counts completion events, the results are read
	// and checked after the timing.
	var results []*runtime.PipelineResult
	for _, e := range execs {
		res, err := e.Wait(tctx)
		if err != nil {
			return m, err
		}
		results = append(results, res)
	}
	done := 0
	for _, res := range results {
		if res.Status != runtime.PipelineStatusCompleted {
			return m, fmt.Errorf("execution ended %s", res.Status)
		}
		for _, t := range res.Tasks {
			if t.Status == runtime.TaskStatusCompleted {
				done++
			}
		}
	}
	if done != o.n {
		return m, fmt.Errorf("%d of %d tasks completed", done, o.n)
	}
	return m, nil
}

// noopArgs are the arguments of River's no-op job.
type noopArgs struct {
	Num int `json:"num"`
}

func (noopArgs) Kind() string { return "noop" }

// runRiver runs River's burn-down: o.n no-op jobs are inserted before the
// client starts, then one client with o.workers workers on the default queue
// works them all. It is timed from the first insert to the last completion
// event, as seen by a subscription.
func runRiver(ctx context.Context, admin *pgxpool.Pool, o *options) (m measurement, err error) {
	schema, err := freshSchema("river_bench_")
	if err != nil {
		return m, err
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return m, err
	}
	defer func() {
		if derr := dropSchema(admin, schema); derr != nil && err == nil {
			err = fmt.Errorf("drop schema %s: %w", schema, derr)
		}
	}()

	// A pool of its own, opened from the same URL as Cloacina's, so both
	// sides get the same pgxpool settings.
	pool, err := pgxpool.New(ctx, o.db)
	if err != nil {
		return m, err
	}
	defer pool.Close()
	driver := riverpgxv5.New(pool)
	log := logger(o.verbose)

	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Schema: schema, Logger: log})
	if err != nil {
		return m, err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return m, fmt.Errorf("migrate: %w", err)
	}

	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(context.Context, *river.Job[noopArgs]) error { return nil }))
	client, err := river.NewClient(driver, &river.Config{
		Schema:            schema,
		FetchCooldown:     o.riverFetchCooldown,
		FetchPollInterval: o.riverFetchPoll,
		Logger:            log,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.workers}},
		Workers:           workers,
	})
	if err != nil {
		return m, err
	}
	// As riverbench does, count completions through a subscription large
	// enough never to drop an event (the completer has persisted a job
	// before its event is sent).
	events, unsubscribe := client.SubscribeConfig(&river.SubscribeConfig{
		ChanSize: o.n + 1000,
		Kinds:    []river.EventKind{river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled},
	})
	defer unsubscribe()

	params := make([]river.InsertManyParams, o.n)
	for i := range params {
		params[i] = river.InsertManyParams{Args: noopArgs{Num: i}}
	}

	tctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	stop := watch(admin, o.app)
	defer stop()
	begin := time.Now()
	for lo := 0; lo < o.n; lo += o.riverBatch {
		batch := params[lo:min(lo+o.riverBatch, o.n)]
		if o.riverInsert == "fast" {
			_, err = client.InsertManyFast(tctx, batch)
		} else {
			_, err = client.InsertMany(tctx, batch)
		}
		if err != nil {
			return m, fmt.Errorf("insert: %w", err)
		}
	}
	m.insert = time.Since(begin)
	if err := client.Start(tctx); err != nil {
		return m, fmt.Errorf("start: %w", err)
	}
	m.start = time.Since(begin) - m.insert
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if serr := client.Stop(sctx); serr != nil && err == nil {
			err = fmt.Errorf("stop: %w", serr)
		}
	}()

	for done := 0; done < o.n; {
		select {
		case ev, ok := <-events:
			if !ok {
				return m, errors.New("subscription closed early")
			}
			if ev.Kind != river.EventKindJobCompleted {
				return m, fmt.Errorf("job %d: unexpected event %s", ev.Job.ID, ev.Kind)
			}
			done++
		case <-tctx.Done():
			return m, fmt.Errorf("%d of %d jobs completed: %w", done, o.n, tctx.Err())
		}
	}
	m.elapsed = time.Since(begin)
	m.others = stop()
	return m, nil
}
