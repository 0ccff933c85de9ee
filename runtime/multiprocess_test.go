package runtime_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/runtime/store"
)

// The multi-process tests run this test binary again as worker processes
// sharing one PostgreSQL schema. TestMain dispatches to pgWorkerMain when
// pgWorkerEnv holds a pgWorkerConfig in JSON.
const pgWorkerEnv = "CLOACINA_PG_WORKER"

// pgWorkerConfig tells a worker process what to run.
type pgWorkerConfig struct {
	DatabaseURL string        `json:"database_url"`
	Schema      string        `json:"schema"`
	ID          string        `json:"id"`  // runner id, also the name of the run log
	Dir         string        `json:"dir"` // where the run log is written
	Sleep       time.Duration `json:"sleep"`
	Heartbeat   time.Duration `json:"heartbeat"`
	Stale       time.Duration `json:"stale"`
	// Mode selects what the worker registers and does besides running
	// tasks: "" the multi-process workflow; see scheduleWorker for the
	// others.
	Mode    string `json:"mode,omitempty"`
	Catchup string `json:"catchup,omitempty"`
}

// mpWorkflowName is the workflow every worker registers.
const mpWorkflowName = "multiprocess"

// mpWorkflow is the 100-task workflow of the multi-process tests: 40
// independent tasks, 10 chains of 4 links, a hub fanning out to 17 spokes,
// a join after every spoke and every chain's last link, and a final task
// after the join and one independent task. Readiness crosses processes: a
// chain's next link, the join and the final task are decided by whichever
// process records the last of their dependencies. Every task runs run.
func mpWorkflow(run runtime.TaskFunc) *runtime.Workflow {
	wf := runtime.NewWorkflow(mpWorkflowName)
	add := func(id string, deps ...string) {
		wf.Add(&runtime.Task{ID: id, Dependencies: deps, Fingerprint: "mp-" + id, Func: run})
	}
	for i := range 40 {
		add(fmt.Sprintf("solo_%02d", i))
	}
	var joinDeps []string
	for c := range 10 {
		prev := ""
		for l := range 4 {
			id := fmt.Sprintf("chain_%d_%d", c, l)
			if prev == "" {
				add(id)
			} else {
				add(id, prev)
			}
			prev = id
		}
		joinDeps = append(joinDeps, prev)
	}
	add("hub")
	for s := range 17 {
		id := fmt.Sprintf("spoke_%02d", s)
		add(id, "hub")
		joinDeps = append(joinDeps, id)
	}
	add("join", joinDeps...)
	add("final", "join", "solo_00")
	return wf.MustBuild()
}

// mpTasksPerExecution is mpWorkflow's size.
const mpTasksPerExecution = 100

// pgCreateExecution creates an execution of wf directly in the store, as
// Runner.ExecuteAsync would, so that a process can start work without
// being able to run it (a runner claims every workflow in its registry; a
// runner with an empty registry claims nothing but cannot start anything).
// wf must have no trigger rules: every root is made Ready with the
// execution's input, which is what the runner decides for such roots.
func pgCreateExecution(ctx context.Context, st store.Store, wf *runtime.Workflow) (string, error) {
	id := uuid.Must(uuid.NewV7()).String()
	specs := make([]store.TaskSpec, 0, wf.Len())
	for _, task := range wf.Tasks() {
		if task.Trigger != nil {
			return "", fmt.Errorf("pgCreateExecution: task %s has a trigger rule", task.ID)
		}
		specs = append(specs, store.TaskSpec{TaskID: task.ID, Deps: task.Dependencies, MaxAttempts: task.RetryPolicyOrDefault().MaxAttempts})
	}
	_, err := st.CreateExecutions(ctx, &store.CreateExecutionsParams{
		Executions: []*store.NewExecution{{ID: id, WorkflowName: wf.Name(), WorkflowVersion: wf.Version(), Tasks: specs}},
		RunnerID:   "test-producer",
		Decide: func(in *store.DecideInput) (*store.Decision, error) {
			if in.ExecutionInput == nil {
				return nil, fmt.Errorf("pgCreateExecution: %s is not a root", in.TaskID)
			}
			return &store.Decision{Run: true, Input: *in.ExecutionInput}, nil
		},
	})
	return id, err
}

// runRecorder appends one line per event of a task run to a run log:
//
//	S <execution id> <task id> <pid> <attempt> <time>   when the task function starts
//	E <execution id> <task id> <pid> <attempt> <time>   just before it returns nil
//
// Each line is one write(2) on a file opened with O_APPEND, so lines are
// whole and survive a SIGKILL of the writer.
type runRecorder struct {
	f   *os.File
	pid int
}

func newRunRecorder(path string) (*runRecorder, error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return &runRecorder{f: f, pid: os.Getpid()}, nil
}

func (r *runRecorder) record(phase byte, m runtime.TaskMeta) error {
	_, err := r.f.WriteString(fmt.Sprintf("%c %s %s %d %d %s\n", phase, m.ExecutionID, m.TaskID, r.pid, m.Attempt,
		time.Now().UTC().Format("15:04:05.000000")))
	return err
}

// task is the function of every task: record the start, sleep, record the
// end.
func (r *runRecorder) task(sleep time.Duration) runtime.TaskFunc {
	return func(ctx context.Context, _ *runtime.Context) error {
		m, ok := runtime.MetaFrom(ctx)
		if !ok {
			return errors.New("no task meta in the task's context")
		}
		if err := r.record('S', m); err != nil {
			return err
		}
		if sleep > 0 {
			t := time.NewTimer(sleep)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return context.Cause(ctx)
			}
		}
		return r.record('E', m)
	}
}

// pgWorkerMain is a worker process's main: run a runner on the shared
// schema, print "ready", and shut down when stdin is closed (or run until
// SIGKILL).
func pgWorkerMain() int {
	var cfg pgWorkerConfig
	if err := json.Unmarshal([]byte(os.Getenv(pgWorkerEnv)), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "worker config:", err)
		return 2
	}
	rec, err := newRunRecorder(filepath.Join(cfg.Dir, cfg.ID+".log"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer rec.f.Close()
	reg := runtime.NewRegistry()
	switch cfg.Mode {
	case "":
		reg.MustRegister(mpWorkflow(rec.task(cfg.Sleep)))
	case retryWorkerMode:
		reg.MustRegister(retryWorkerWorkflow(cfg))
	default:
		reg.MustRegister(scheduleWorkerWorkflow(cfg))
	}
	r, err := runtime.NewRunner(context.Background(), &runtime.Config{
		DatabaseURL: cfg.DatabaseURL, Schema: cfg.Schema, Registry: reg, RunnerID: cfg.ID,
		HeartbeatInterval: cfg.Heartbeat, StaleClaimThreshold: cfg.Stale, FallbackPollInterval: 500 * time.Millisecond,
		// Errors go to stderr, which the parent shows when a test fails.
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start runner:", err)
		return 1
	}
	if err := scheduleWorkerStart(r, cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.Shutdown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "shutdown:", err)
		return 1
	}
	return 0
}

// pgWorker is a worker process started by a test.
type pgWorker struct {
	id      string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	logPath string
	errPath string
	done    bool
}

// startPGWorkers starts n worker processes on schema and returns once each
// has its runner started. They are stopped, or killed, when the test ends.
// adjust, when given, may change the configuration of worker i.
func startPGWorkers(t *testing.T, n int, cfg pgWorkerConfig, adjust ...func(i int, c *pgWorkerConfig)) []*pgWorker {
	t.Helper()
	var ws []*pgWorker
	ready := make(chan error, n)
	for i := range n {
		c := cfg
		c.ID = fmt.Sprintf("worker%d", i+1)
		for _, a := range adjust {
			a(i, &c)
		}
		env, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		w := &pgWorker{id: c.ID, logPath: filepath.Join(c.Dir, c.ID+".log"), errPath: filepath.Join(c.Dir, c.ID+".stderr")}
		stderr, err := os.Create(w.errPath)
		if err != nil {
			t.Fatal(err)
		}
		w.cmd = exec.Command(os.Args[0], "-test.run=^$")
		w.cmd.Env = append(os.Environ(), pgWorkerEnv+"="+string(env))
		w.cmd.Stderr = stderr
		if w.stdin, err = w.cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		stdout, err := w.cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := w.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		stderr.Close() // the child has its own descriptor
		ws = append(ws, w)
		t.Cleanup(func() { w.stop(t) })
		go func() { // ends when the child prints its line or exits
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err == nil && line != "ready\n" {
				err = fmt.Errorf("unexpected output %q", line)
			}
			if err != nil {
				err = fmt.Errorf("%s did not start: %w", w.id, err)
			}
			ready <- err
		}()
	}
	timeout := time.NewTimer(60 * time.Second)
	defer timeout.Stop()
	for range n {
		select {
		case err := <-ready:
			if err != nil {
				for _, w := range ws {
					w.dumpStderr(t)
				}
				t.Fatal(err)
			}
		case <-timeout.C:
			t.Fatal("the workers did not start within 60s")
		}
	}
	return ws
}

// stop closes the worker's stdin, which makes it shut down, and waits for
// it to exit; a worker that does not exit in time is killed.
func (w *pgWorker) stop(t *testing.T) {
	if w.done {
		return
	}
	w.done = true
	_ = w.stdin.Close()
	exited := make(chan error, 1)
	go func() { exited <- w.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("%s exited with %v", w.id, err)
			w.dumpStderr(t)
		}
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		<-exited
		t.Errorf("%s did not shut down within 30s; killed", w.id)
		w.dumpStderr(t)
	}
}

// kill sends SIGKILL and reaps the process.
func (w *pgWorker) kill(t *testing.T) {
	if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	w.done = true
	_ = w.cmd.Wait() // "signal: killed"
	_ = w.stdin.Close()
}

func (w *pgWorker) dumpStderr(t *testing.T) {
	if b, err := os.ReadFile(w.errPath); err == nil && len(b) > 0 {
		const limit = 4000
		if len(b) > limit {
			b = b[len(b)-limit:]
		}
		t.Logf("%s stderr (tail):\n%s", w.id, b)
	}
}

// runKey names one task of one execution.
type runKey struct{ exec, task string }

// runLog is what the run logs of a set of processes say.
type runLog struct {
	starts map[runKey]map[int]int // pid -> runs started
	ends   map[runKey]map[int]int // pid -> runs finished
	byPID  map[int]int            // pid -> runs finished
	lines  map[runKey][]string    // for failure messages
}

func readRunLogs(t *testing.T, paths ...string) *runLog {
	t.Helper()
	l := &runLog{starts: map[runKey]map[int]int{}, ends: map[runKey]map[int]int{}, byPID: map[int]int{}, lines: map[runKey][]string{}}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(b)) {
			f := strings.Fields(line)
			if len(f) != 6 || !strings.HasSuffix(line, "\n") {
				t.Fatalf("%s: malformed run log line %q", p, line)
			}
			pid, err := strconv.Atoi(f[3])
			if err != nil {
				t.Fatalf("%s: %q: %v", p, line, err)
			}
			k := runKey{f[1], f[2]}
			l.lines[k] = append(l.lines[k], strings.TrimSpace(line))
			m := l.starts
			if f[0] == "E" {
				m = l.ends
				l.byPID[pid]++
			}
			if m[k] == nil {
				m[k] = map[int]int{}
			}
			m[k][pid]++
		}
	}
	return l
}

func total(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// countLines counts the S and E lines of one run log, for progress checks.
func countLines(path string) (starts, ends int) {
	b, _ := os.ReadFile(path)
	for line := range strings.Lines(string(b)) {
		switch {
		case strings.HasPrefix(line, "S "):
			starts++
		case strings.HasPrefix(line, "E "):
			ends++
		}
	}
	return starts, ends
}

// mpSetup is the shared part of the multi-process tests: a schema, the
// parent's watcher runner and the workers' configuration.
type mpSetup struct {
	schema  string
	dir     string
	watcher *runtime.Runner
	wf      *runtime.Workflow // the parent's copy, for creating executions
	worker  pgWorkerConfig
}

// newMPSetup starts the parent's runner; opts adjust its configuration.
func newMPSetup(t *testing.T, sleep, stale time.Duration, opts ...func(*runtime.Config)) *mpSetup {
	t.Helper()
	u := postgresURL(t)
	s := &mpSetup{schema: freshSchema(t), dir: t.TempDir()}
	// The parent runs no task: its runner's registry is empty, so it claims
	// nothing. It creates executions through the store (pgCreateExecution)
	// and waits for them. Its fallback poll is far longer than any test, so
	// only a notification from a worker process can wake its Wait calls.
	cfg := &runtime.Config{
		DatabaseURL: u, Schema: s.schema, RunnerID: "parent",
		HeartbeatInterval: time.Second, StaleClaimThreshold: time.Hour, FallbackPollInterval: time.Hour,
	}
	for _, o := range opts {
		o(cfg)
	}
	s.watcher = newRunner(t, cfg)
	s.wf = mpWorkflow(func(context.Context, *runtime.Context) error { return errors.New("the parent runs no task") })
	s.worker = pgWorkerConfig{DatabaseURL: u, Schema: s.schema, Dir: s.dir, Sleep: sleep,
		Heartbeat: 100 * time.Millisecond, Stale: stale}
	return s
}

func (s *mpSetup) create(t *testing.T, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ids := make([]string, n)
	for i := range ids {
		id, err := pgCreateExecution(ctx, s.watcher.Store(), s.wf)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

// waitAll waits, through the parent's runner, for every execution (all at
// once) and checks that each Completed with every task Completed. For the
// executions that completed after their Wait began, it returns the longest
// time between the completion (by the database's clock, on this host) and
// the return of Wait, and how many there were.
func (s *mpSetup) waitAll(t *testing.T, ids []string, timeout time.Duration) (lag time.Duration, measured int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	type waited struct {
		id        string
		res       *runtime.PipelineResult
		err       error
		began, at time.Time
	}
	got := make(chan waited, len(ids))
	for _, id := range ids {
		began := time.Now()
		h, err := s.watcher.Execution(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		go func() { // ends when Wait does, at the latest when ctx ends
			res, err := h.Wait(ctx)
			got <- waited{id, res, err, began, time.Now()}
		}()
	}
	var failed bool
	for range ids {
		w := <-got
		switch {
		case w.err != nil:
			t.Errorf("execution %s: %v", w.id, w.err)
			failed = true
			continue
		case w.res.Status != runtime.PipelineStatusCompleted || len(w.res.Tasks) != mpTasksPerExecution:
			t.Errorf("execution %s: %s with %d tasks", w.id, w.res.Status, len(w.res.Tasks))
			failed = true
		}
		for _, tr := range w.res.Tasks {
			if tr.Status != runtime.TaskStatusCompleted {
				t.Errorf("execution %s task %s: %s", w.id, tr.TaskID, tr.Status)
				failed = true
			}
		}
		if w.res.CompletedAt.After(w.began) {
			lag, measured = max(lag, w.at.Sub(w.res.CompletedAt)), measured+1
		}
	}
	if failed {
		t.FailNow()
	}
	return lag, measured
}

// mpEvents reads every execution's event log through the parent's runner.
// It checks that each task has exactly one task_completed event and the
// execution exactly one execution_completed, and returns, per task, the
// runner that recorded its completion, the runners that started it (in
// order) and the runners that recovered it.
type mpEvents struct {
	completedBy map[runKey]string
	startedBy   map[runKey][]string
	recoveredBy map[runKey][]string
}

func (s *mpSetup) events(t *testing.T, ids []string) *mpEvents {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ev := &mpEvents{completedBy: map[runKey]string{}, startedBy: map[runKey][]string{}, recoveredBy: map[runKey][]string{}}
	for _, id := range ids {
		es, err := s.watcher.Events(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		completions := map[string]int{}
		execCompleted := 0
		for _, e := range es {
			k := runKey{id, e.TaskID}
			switch e.Kind {
			case store.EventTaskCompleted:
				completions[e.TaskID]++
				ev.completedBy[k] = e.RunnerID
			case store.EventTaskStarted:
				ev.startedBy[k] = append(ev.startedBy[k], e.RunnerID)
			case store.EventTaskRecovered:
				ev.recoveredBy[k] = append(ev.recoveredBy[k], e.RunnerID)
			case store.EventExecutionCompleted:
				execCompleted++
			case store.EventTaskFailed, store.EventTaskAbandoned, store.EventTaskRetrying, store.EventTaskSkipped:
				t.Errorf("execution %s task %s: unexpected event %s: %s", id, e.TaskID, e.Kind, e.Message)
			}
		}
		if execCompleted != 1 {
			t.Errorf("execution %s: %d execution_completed events", id, execCompleted)
		}
		for _, task := range s.wf.Tasks() {
			if n := completions[task.ID]; n != 1 {
				t.Errorf("execution %s task %s: %d task_completed events, want 1", id, task.ID, n)
			}
		}
		if len(completions) != mpTasksPerExecution {
			t.Errorf("execution %s: completions of %d distinct tasks", id, len(completions))
		}
	}
	return ev
}

func workerLogs(ws []*pgWorker) []string {
	var ps []string
	for _, w := range ws {
		ps = append(ps, w.logPath)
	}
	return ps
}

func workerPIDs(ws []*pgWorker) map[int]string {
	m := map[int]string{}
	for _, w := range ws {
		m[w.cmd.Process.Pid] = w.id
	}
	return m
}

// TestPostgresManyWorkerProcesses shares 20,000 tasks (200 executions of a
// 100-task workflow) between 4 worker processes: every execution Completes,
// every task runs exactly once and is completed exactly once in the event
// log, and the work is spread over the processes. The parent's Wait calls
// are woken only by notifications from the workers.
func TestPostgresManyWorkerProcesses(t *testing.T) {
	s := newMPSetup(t, 0, 10*time.Second)
	workers := startPGWorkers(t, 4, s.worker)
	start := time.Now()
	ids := s.create(t, 200)
	created := time.Since(start)
	lag, measured := s.waitAll(t, ids, 120*time.Second)
	elapsed := time.Since(start)
	for _, w := range workers {
		w.stop(t) // every attempt has returned once the workers are down
	}
	t.Logf("20,000 tasks in 200 executions: %s (creating the executions took %s); of %d Waits woken by a worker's notification, the slowest returned %s after the completion",
		elapsed.Round(time.Millisecond), created.Round(time.Millisecond), measured, lag.Round(time.Millisecond))
	if lag > 5*time.Second {
		t.Errorf("a Wait returned %s after its execution completed: it was not woken by the notification", lag)
	}

	log := readRunLogs(t, workerLogs(workers)...)
	pids := workerPIDs(workers)
	if len(log.starts) != len(ids)*mpTasksPerExecution || len(log.ends) != len(ids)*mpTasksPerExecution {
		t.Fatalf("runs logged for %d (started) and %d (finished) tasks, want %d", len(log.starts), len(log.ends), len(ids)*mpTasksPerExecution)
	}
	for k, m := range log.starts {
		if total(m) != 1 || total(log.ends[k]) != 1 {
			t.Errorf("task %s/%s started %v and finished %v times by pid, want exactly once", k.exec, k.task, m, log.ends[k])
		}
	}
	ev := s.events(t, ids)
	for k, m := range log.ends {
		for pid := range m {
			if ev.completedBy[k] != pids[pid] {
				t.Errorf("task %s/%s ran in %s (pid %d) but its completion was recorded by %q", k.exec, k.task, pids[pid], pid, ev.completedBy[k])
			}
		}
	}
	// Readiness crossed processes: count the dependencies whose dependent
	// ran in another process.
	ranIn := func(k runKey) int {
		for pid := range log.ends[k] {
			return pid
		}
		return 0
	}
	edges, crossing := 0, 0
	for _, id := range ids {
		for _, task := range s.wf.Tasks() {
			for _, dep := range task.Dependencies {
				edges++
				if ranIn(runKey{id, dep}) != ranIn(runKey{id, task.ID}) {
					crossing++
				}
			}
		}
	}
	t.Logf("%d of %d dependencies were decided across processes (the dependent ran in another process)", crossing, edges)
	if crossing == 0 {
		t.Error("no dependency crossed processes")
	}
	var shares []string
	busy := 0
	for _, w := range workers {
		n := log.byPID[w.cmd.Process.Pid]
		shares = append(shares, fmt.Sprintf("%s=%d", w.id, n))
		if n > 0 {
			busy++
		}
	}
	t.Logf("tasks run per process: %s", strings.Join(shares, " "))
	if busy < 2 {
		t.Errorf("only %d worker process(es) ran tasks; the work was not shared", busy)
	}
}

// TestPostgresWorkerKilledMidRun kills one of 4 worker processes with
// SIGKILL while it is inside tasks: the survivors recover its claims, every
// execution Completes, every task is completed exactly once in the event
// log, and the only tasks that run twice are ones the killed process had
// started and whose completion it never recorded. The survivors declare a
// claim stale after 1s without a heartbeat (they beat every 100ms).
func TestPostgresWorkerKilledMidRun(t *testing.T) {
	// The stale threshold is thirty heartbeats: on a loaded machine a live
	// survivor's heartbeat can lag a second, and its claims would then be
	// recovered too (allowed, at least once, but not what this test counts).
	// The parent polls: the victim may die between committing the end of
	// an execution and sending its notification, which the fallback poll
	// is there to cover.
	s := newMPSetup(t, 3*time.Millisecond, 3*time.Second, func(c *runtime.Config) { c.FallbackPollInterval = time.Second })
	// The victim's tasks last longer, so some are surely in flight at the
	// kill, however the scheduler times the check and the signal.
	workers := startPGWorkers(t, 4, s.worker, func(i int, c *pgWorkerConfig) {
		if i == 1 {
			c.Sleep = 50 * time.Millisecond
		}
	})
	victim := workers[1]
	start := time.Now()
	ids := s.create(t, 200)

	// Kill the victim once about 2,000 tasks have run and it is inside
	// some. The run logs are the test's only view of the children.
	deadline := time.Now().Add(60 * time.Second)
	for {
		doneAll := 0
		for _, w := range workers {
			_, e := countLines(w.logPath)
			doneAll += e
		}
		vs, ve := countLines(victim.logPath)
		if doneAll >= 2000 && ve > 0 && vs > ve {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run never reached 2,000 finished tasks with the victim busy (%d finished)", doneAll)
		}
		time.Sleep(2 * time.Millisecond)
	}
	victim.kill(t)
	killedAt := time.Since(start)

	s.waitAll(t, ids, 120*time.Second)
	elapsed := time.Since(start)
	for _, w := range workers {
		w.stop(t) // every attempt has returned once the survivors are down
	}

	vpid := victim.cmd.Process.Pid
	log := readRunLogs(t, workerLogs(workers)...)
	ev := s.events(t, ids)
	if len(ev.completedBy) != len(ids)*mpTasksPerExecution {
		t.Fatalf("%d tasks completed in the event log, want %d", len(ev.completedBy), len(ids)*mpTasksPerExecution)
	}
	explained := 0
	explain := func(k runKey) { // the first few offenders' history
		if explained++; explained > 3 {
			return
		}
		es, _ := s.watcher.Events(context.Background(), k.exec)
		var b strings.Builder
		for _, e := range es {
			if e.TaskID == k.task {
				fmt.Fprintf(&b, "\n  event %s %-15s %-8s attempt %d %s", e.At.UTC().Format("15:04:05.000000"), e.Kind, e.RunnerID, e.Attempt, e.Message)
			}
		}
		for _, l := range log.lines[k] {
			fmt.Fprintf(&b, "\n  run   %s", l)
		}
		t.Logf("history of %s/%s (victim pid %d):%s", k.exec, k.task, vpid, b.String())
	}

	// In flight at the kill: started in the victim, never finished there.
	inFlight := map[runKey]bool{}
	for k, m := range log.starts {
		if m[vpid] > 0 && log.ends[k][vpid] == 0 {
			inFlight[k] = true
		}
	}
	if len(inFlight) == 0 {
		t.Fatal("the victim had no task in flight when it was killed")
	}
	var twice, finishedUnrecorded, survivorDups int
	for k, m := range log.starts {
		runs := total(m)
		switch {
		case runs-m[vpid] > 1:
			survivorDups++
			if survivorDups <= 10 {
				t.Errorf("task %s/%s ran %d times in surviving processes (runs by pid: %v)", k.exec, k.task, runs-m[vpid], m)
			}
			explain(k)
		case m[vpid] > 1:
			t.Errorf("task %s/%s ran %d times in the killed process", k.exec, k.task, m[vpid])
		case runs > 1:
			twice++
			// A second run is allowed only for a task the victim had started
			// and whose completion it never recorded.
			if ev.completedBy[k] == victim.id {
				t.Errorf("task %s/%s ran twice although the killed process recorded its completion", k.exec, k.task)
				explain(k)
			}
			if !inFlight[k] {
				finishedUnrecorded++ // finished in the victim, killed before its outcome was committed
			}
		}
		if inFlight[k] && runs != 2 {
			t.Errorf("task %s/%s was in flight in the killed process but ran %d times", k.exec, k.task, runs)
		}
	}
	if survivorDups > 10 {
		t.Errorf("... %d tasks in all ran more than once in surviving processes", survivorDups)
	}
	// Every recovery took back a claim of the victim and was made by a
	// survivor; every task in flight in the victim was recovered and
	// completed by a survivor.
	badRecoveries := 0
	for k, by := range ev.recoveredBy {
		started := ev.startedBy[k]
		if len(by) != 1 || by[0] == victim.id || len(started) != 2 || started[0] != victim.id || started[1] == victim.id {
			if badRecoveries++; badRecoveries <= 10 {
				t.Errorf("task %s/%s: recovered by %v, started by %v; want one recovery, of a claim of %s", k.exec, k.task, by, started, victim.id)
			}
		}
	}
	if badRecoveries > 10 {
		t.Errorf("... %d unexpected recoveries in all", badRecoveries)
	}
	for k := range inFlight {
		if len(ev.recoveredBy[k]) != 1 || ev.completedBy[k] == victim.id {
			t.Errorf("task %s/%s in flight at the kill: recovered by %v, completed by %q", k.exec, k.task, ev.recoveredBy[k], ev.completedBy[k])
		}
	}
	var shares []string
	for _, w := range workers {
		shares = append(shares, fmt.Sprintf("%s=%d", w.id, log.byPID[w.cmd.Process.Pid]))
	}
	t.Logf("killed %s at %s; all 20,000 tasks done at %s. Tasks finished per process: %s", victim.id,
		killedAt.Round(time.Millisecond), elapsed.Round(time.Millisecond), strings.Join(shares, " "))
	t.Logf("in flight in the killed process: %d; ran twice: %d (%d had finished in the killed process before their outcome was committed); claims recovered: %d",
		len(inFlight), twice, finishedUnrecorded, len(ev.recoveredBy))
}

// TestPostgresWaitWokenByAnotherProcess: a Wait in this process, whose
// runner polls only once an hour, returns promptly when a worker process
// finishes the execution.
func TestPostgresWaitWokenByAnotherProcess(t *testing.T) {
	s := newMPSetup(t, 0, 10*time.Second)
	ids := s.create(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	h, err := s.watcher.Execution(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if st, err := h.Status(ctx); err != nil || st != runtime.PipelineStatusPending {
		t.Fatalf("before any worker: %v %v", st, err)
	}
	type waited struct {
		res *runtime.PipelineResult
		err error
		at  time.Time
	}
	got := make(chan waited, 1)
	go func() {
		res, err := h.Wait(ctx)
		got <- waited{res, err, time.Now()}
	}()
	workers := startPGWorkers(t, 1, s.worker)
	w := <-got
	if w.err != nil {
		t.Fatal(w.err)
	}
	lag := w.at.Sub(w.res.CompletedAt)
	t.Logf("Wait returned %s after the worker process completed the execution", lag.Round(time.Microsecond))
	if w.res.Status != runtime.PipelineStatusCompleted || lag > 3*time.Second {
		t.Fatalf("status %s, Wait returned %s after completion", w.res.Status, lag)
	}
	workers[0].stop(t)
	log := readRunLogs(t, workerLogs(workers)...)
	if len(log.ends) != mpTasksPerExecution || log.byPID[workers[0].cmd.Process.Pid] != mpTasksPerExecution {
		t.Fatalf("the worker ran %d tasks, want %d", log.byPID[workers[0].cmd.Process.Pid], mpTasksPerExecution)
	}
}
