package runtime_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/runtime/store"
)

// withApplicationName returns the database URL with an application_name,
// so that a test can find its runner's connections in pg_stat_activity.
func withApplicationName(databaseURL, name string) string {
	sep := "?"
	if strings.Contains(databaseURL, "?") {
		sep = "&"
	}
	return databaseURL + sep + "application_name=" + name
}

// TestPostgresConnectionsTerminatedMidRun terminates every connection of
// the runner under test (its pool and its LISTEN connection) every 250ms
// while it runs 6,000 tasks: the run completes, every execution Completes,
// no task is lost and the event log holds exactly one task_completed per
// task. It reports how long the runner took to commit again after each
// termination. (Terminating every 100ms instead stalls the runner for
// seconds at a time: each terminated pooled connection costs a failed store
// call and a doubled backoff.)
func TestPostgresConnectionsTerminatedMidRun(t *testing.T) {
	base := postgresURL(t)
	schema := freshSchema(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	app := "cloacina_fault_" + hex.EncodeToString(b[:])

	var mu sync.Mutex
	runs := map[runKey]int{}
	// The last execution's tasks wait until the killer has cut the
	// runner's connections five times, so the run lasts through the
	// faults however fast the rest goes.
	faulted := make(chan struct{})
	task := func(ctx context.Context, c *runtime.Context) error {
		m, _ := runtime.MetaFrom(ctx)
		mu.Lock()
		runs[runKey{m.ExecutionID, m.TaskID}]++
		mu.Unlock()
		if c.Has("last") {
			select {
			case <-faulted:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		timer := time.NewTimer(2 * time.Millisecond)
		defer timer.Stop()
		select {
		case <-timer.C:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	wf := mpWorkflow(task)
	// A lost connection fails the store call it carried; the runner retries
	// with backoff. A claim left behind by a failed call (none should be: a
	// commit the server answered counts as done, even if the session ends
	// before the batch does) would be recovered by the stale-claim sweeper,
	// hence the short threshold.
	r := newRunner(t, &runtime.Config{
		DatabaseURL: withApplicationName(base, app), Schema: schema, RunnerID: "faulty",
		HeartbeatInterval: 50 * time.Millisecond, StaleClaimThreshold: time.Second, FallbackPollInterval: 200 * time.Millisecond,
	}, wf)

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	const executions = 60
	var handles []*runtime.Execution
	for i := range executions {
		var input *runtime.Context
		if i == executions-1 {
			input = runtime.NewContext()
			_ = input.Set("last", true)
		}
		h, err := r.ExecuteAsync(ctx, wf.Name(), input)
		if err != nil {
			t.Fatal(err)
		}
		handles = append(handles, h)
	}
	start := time.Now()

	// The killer uses its own connection, without the application name.
	killer, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close(context.Background())
	type kill struct {
		at         time.Time // database clock
		terminated int
	}
	var (
		kills        []kill
		killErr      error
		stopKilling  = make(chan struct{})
		killerExited = make(chan struct{})
	)
	go func() {
		defer close(killerExited)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		// After 30 s the last execution goes on anyway, and the count of
		// effective rounds below says what happened.
		giveUp := time.After(30 * time.Second)
		effective := 0
		for {
			select {
			case <-stopKilling:
				return
			case <-tick.C:
			}
			var k kill
			if err := killer.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)), clock_timestamp()
				FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1`, app).
				Scan(&k.terminated, &k.at); err != nil {
				killErr = err
				return
			}
			kills = append(kills, k)
			if k.terminated > 0 {
				effective++
			}
			select {
			case <-faulted:
			case <-giveUp:
				close(faulted)
			default:
				if effective == 5 {
					close(faulted)
				}
			}
		}
	}()
	stopKiller := sync.OnceFunc(func() {
		close(stopKilling)
		<-killerExited
	})
	defer stopKiller() // before the killer's connection is closed

	// Wait for every execution. Wait reads the result through the runner's
	// pool, so a read cut off by the killer is tried again.
	var waitErrors int
	results := make([]*runtime.PipelineResult, len(handles))
	for i, h := range handles {
		for {
			res, err := h.Wait(ctx)
			if res != nil && res.Status.Terminal() {
				results[i] = res
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("execution %s did not finish: %v", h.ID(), err)
			}
			waitErrors++
			time.Sleep(20 * time.Millisecond)
		}
	}
	elapsed := time.Since(start)
	stopKiller()
	if killErr != nil {
		t.Fatalf("killer: %v", killErr)
	}

	terminated, effective := 0, 0
	for _, k := range kills {
		terminated += k.terminated
		if k.terminated > 0 {
			effective++
		}
	}
	if effective < 5 {
		t.Fatalf("only %d of %d termination rounds found a connection of the runner: the test did not exercise faults", effective, len(kills))
	}

	// Every execution Completed with every task Completed.
	for _, res := range results {
		if res.Status != runtime.PipelineStatusCompleted {
			t.Errorf("execution %s: %s (%v)", res.ExecutionID, res.Status, res.Err)
			continue
		}
		for _, tr := range res.Tasks {
			if tr.Status != runtime.TaskStatusCompleted {
				t.Errorf("execution %s task %s: %s", res.ExecutionID, tr.TaskID, tr.Status)
			}
		}
	}
	// Exactly one completion per task in the event log, and every task ran.
	var (
		recovered      int
		lastCompletion time.Time
		completions    []time.Time
	)
	for _, h := range handles {
		es, err := r.Events(ctx, h.ID())
		if err != nil {
			t.Fatal(err)
		}
		done := map[string]int{}
		for _, e := range es {
			switch e.Kind {
			case store.EventTaskCompleted:
				done[e.TaskID]++
				completions = append(completions, e.At)
				if e.At.After(lastCompletion) {
					lastCompletion = e.At
				}
			case store.EventTaskRecovered:
				recovered++
			case store.EventTaskFailed, store.EventTaskAbandoned, store.EventTaskSkipped:
				t.Errorf("execution %s task %s: %s: %s", h.ID(), e.TaskID, e.Kind, e.Message)
			}
		}
		for _, task := range wf.Tasks() {
			if done[task.ID] != 1 {
				t.Errorf("execution %s task %s: %d task_completed events, want 1", h.ID(), task.ID, done[task.ID])
			}
		}
	}
	mu.Lock()
	ranTwice := 0
	for _, h := range handles {
		for _, task := range wf.Tasks() {
			switch n := runs[runKey{h.ID(), task.ID}]; {
			case n == 0:
				t.Errorf("execution %s task %s never ran", h.ID(), task.ID)
			case n > 1:
				ranTwice++
			}
		}
	}
	mu.Unlock()

	// Recovery: after each termination during the run, how long until the
	// runner committed a completion again (both times by the database's
	// clock).
	slices.SortFunc(completions, func(a, b time.Time) int { return a.Compare(b) })
	var gaps []time.Duration
	for _, k := range kills {
		if k.terminated == 0 || !k.at.Before(lastCompletion) {
			continue
		}
		i, _ := slices.BinarySearchFunc(completions, k.at, func(c, at time.Time) int {
			if !c.After(at) {
				return -1
			}
			return 1
		})
		gaps = append(gaps, completions[i].Sub(k.at))
	}
	slices.Sort(gaps)
	var sum time.Duration
	for _, g := range gaps {
		sum += g
	}
	t.Logf("%d tasks in %d executions done in %s under %d termination rounds (%d connections terminated)",
		executions*mpTasksPerExecution, executions, elapsed.Round(time.Millisecond), effective, terminated)
	if len(gaps) > 0 {
		t.Logf("first completion committed after a termination: median %s, mean %s, max %s (over %d terminations)",
			gaps[len(gaps)/2].Round(time.Millisecond), (sum / time.Duration(len(gaps))).Round(time.Millisecond),
			gaps[len(gaps)-1].Round(time.Millisecond), len(gaps))
	}
	t.Logf("claims recovered by the sweeper: %d; tasks run more than once: %d; Wait reads retried: %d", recovered, ranTwice, waitErrors)
}
