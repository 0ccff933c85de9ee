package runtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/runtime/store"
)

// The schedule workers of the multi-process tests (pgWorkerConfig.Mode):
//
//	"schedule": workflow "ticker", scheduled @every 1s with the configured
//	            catch-up policy (overlap allow)
//	"trigger":  workflow "ticker" with trigger "poller" (poll 200ms,
//	            concurrency allow), which starts an execution on every poll
//	"submit":   workflow "ticker"; at start, 32 goroutines submit it with
//	            one idempotency key and write the ids they got to <id>.ids
const tickerWorkflow = "ticker"

func scheduleWorkerWorkflow(cfg pgWorkerConfig) *runtime.Workflow {
	b := runtime.NewWorkflow(tickerWorkflow).Add(&runtime.Task{ID: "tick", Fingerprint: "tick",
		Func: fn(func(context.Context, *runtime.Context) error { return nil })})
	switch cfg.Mode {
	case "schedule":
		b.Schedule(runtime.Schedule{Cron: "@every 1s", Catchup: runtime.CatchupPolicy(cfg.Catchup), Overlap: runtime.OverlapAllow})
	case "trigger":
		b.Trigger(runtime.Trigger{Name: "poller", Poll: 200 * time.Millisecond, Concurrency: runtime.ConcurrencyAllow,
			Func: func(ctx context.Context) (*runtime.Context, error) { return runtime.NewContext(), nil }})
	}
	return b.MustBuild()
}

func scheduleWorkerStart(r *runtime.Runner, cfg pgWorkerConfig) error {
	if cfg.Mode != "submit" {
		return nil
	}
	ids := make([]string, 32)
	errs := make([]error, 32)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := r.ExecuteAsync(context.Background(), tickerWorkflow, nil, runtime.WithIdempotencyKey("nightly-2026-06-01"))
			if err == nil {
				ids[i] = e.ID()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(cfg.Dir, cfg.ID+".ids"), []byte(strings.Join(ids, "\n")), 0o644)
}

// tickerExecutions reads every execution of the ticker workflow with the
// scheduled time in its input and the runner that created it.
type tickerExec struct {
	id, at, kind, runner string
}

func tickerExecutions(t *testing.T, st store.Store) []tickerExec {
	t.Helper()
	ctx := context.Background()
	execs, err := st.ListExecutions(ctx, &store.ListExecutionsParams{WorkflowName: tickerWorkflow, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	var out []tickerExec
	for _, e := range execs {
		var in map[string]any
		if err := json.Unmarshal(e.Input.Data, &in); err != nil {
			t.Fatal(err)
		}
		evs, err := st.ListEvents(ctx, e.ID)
		if err != nil || len(evs) == 0 {
			t.Fatalf("events of %s: %v, %v", e.ID, evs, err)
		}
		at, _ := in[runtime.InputScheduledTime].(string)
		kind, _ := in[runtime.InputFireKind].(string)
		out = append(out, tickerExec{id: e.ID, at: at, kind: kind, runner: evs[0].RunnerID})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

// waitTicks waits until the ticker has n executions, or fails.
func waitTicks(t *testing.T, st store.Store, n int, within time.Duration) []tickerExec {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := tickerExecutions(t, st)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d executions after %s, want %d", len(got), within, n)
		}
		// The ticks come once a second from other processes; this test
		// watches them from outside, through the database.
		time.Sleep(200 * time.Millisecond)
	}
}

// checkOnePerTick fails unless the executions' scheduled times are
// distinct whole seconds with none missing between the first and the last,
// except in the given gap (exclusive bounds).
func checkOnePerTick(t *testing.T, execs []tickerExec) {
	t.Helper()
	seen := map[string]string{}
	var times []time.Time
	for _, e := range execs {
		if prev, dup := seen[e.at]; dup {
			t.Fatalf("tick %s started two executions: %s and %s", e.at, prev, e.id)
		}
		seen[e.at] = e.id
		at, err := time.Parse(time.RFC3339, e.at)
		if err != nil {
			t.Fatalf("execution %s: scheduled time %q: %v", e.id, e.at, err)
		}
		times = append(times, at)
	}
	for i := 1; i < len(times); i++ {
		if d := times[i].Sub(times[i-1]); d != time.Second {
			t.Fatalf("ticks %s and %s are %s apart: a tick is missing", times[i-1].Format(time.TimeOnly), times[i].Format(time.TimeOnly), d)
		}
	}
}

func TestPostgresScheduleAcrossProcesses(t *testing.T) {
	s := newMPSetup(t, 0, 2*time.Second)
	cfg := s.worker
	cfg.Mode, cfg.Catchup = "schedule", "skip"
	ws := startPGWorkers(t, 3, cfg)
	st := s.watcher.Store()

	execs := waitTicks(t, st, 8, 30*time.Second)
	checkOnePerTick(t, execs)
	runners := map[string]int{}
	for _, e := range execs {
		runners[e.runner]++
	}
	t.Logf("fires by runner: %v", runners)
	logLateness(t, st, "ticker")

	// Kill -9 the process that fired last; the others go on, one execution
	// per tick.
	last := execs[len(execs)-1].runner
	for _, w := range ws {
		if w.id == last {
			w.kill(t)
		}
	}
	after := waitTicks(t, st, len(execs)+5, 30*time.Second)
	checkOnePerTick(t, after)
	for _, e := range after[len(execs)+1:] {
		if e.runner == last {
			t.Fatalf("tick %s was fired by %s, which was killed", e.at, last)
		}
	}
}

// TestPostgresScheduleCatchupAcrossProcesses stops every runner for five
// seconds and starts them again: the missed ticks are handled as the
// catch-up policy says, once.
func TestPostgresScheduleCatchupAcrossProcesses(t *testing.T) {
	for _, policy := range []string{"skip", "latest", "all"} {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			s := newMPSetup(t, 0, 2*time.Second)
			cfg := s.worker
			cfg.Mode, cfg.Catchup = "schedule", policy
			st := s.watcher.Store()
			ws := startPGWorkers(t, 3, cfg)
			before := waitTicks(t, st, 2, 30*time.Second)
			for _, w := range ws {
				w.stop(t)
			}
			stoppedAt := time.Now()
			before = tickerExecutions(t, st)
			// The downtime is real time: the ticks of a real clock must pass.
			time.Sleep(5 * time.Second)
			startPGWorkers(t, 3, cfg, func(i int, c *pgWorkerConfig) { c.ID = fmt.Sprintf("again%d", i+1) })
			all := waitTicks(t, st, len(before)+2, 30*time.Second)
			var catchup, scheduled []tickerExec
			for _, e := range all[len(before):] {
				switch e.kind {
				case "catchup":
					catchup = append(catchup, e)
				case "scheduled":
					scheduled = append(scheduled, e)
				}
			}
			seen := map[string]bool{}
			for _, e := range all {
				if seen[e.at] {
					t.Fatalf("tick %s fired twice", e.at)
				}
				seen[e.at] = true
			}
			switch policy {
			case "skip":
				if len(catchup) != 0 {
					t.Fatalf("catchup=skip fired %d missed ticks", len(catchup))
				}
			case "latest":
				if len(catchup) != 1 {
					t.Fatalf("catchup=latest fired %d missed ticks, want 1", len(catchup))
				}
			case "all":
				// Every tick from the last before the stop to the first
				// after the restart, once.
				checkOnePerTick(t, all)
				if len(catchup) < 4 {
					t.Fatalf("catchup=all fired %d missed ticks after %s down, want at least 4", len(catchup), 5*time.Second)
				}
			}
			t.Logf("%s: %d before, %d caught up, %d on time after %s down", policy, len(before), len(catchup), len(scheduled), time.Since(stoppedAt).Round(time.Second))
		})
	}
}

func TestPostgresTriggerLeaseTakeover(t *testing.T) {
	s := newMPSetup(t, 0, 2*time.Second)
	cfg := s.worker
	cfg.Mode = "trigger"
	ws := startPGWorkers(t, 2, cfg)
	st := s.watcher.Store()
	first := waitTicks(t, st, 3, 30*time.Second)
	holders := map[string]bool{}
	for _, e := range first {
		holders[e.runner] = true
	}
	if len(holders) != 1 {
		t.Fatalf("two runners polled the trigger at once: %v", holders)
	}
	owner := first[0].runner
	for _, w := range ws {
		if w.id == owner {
			w.kill(t)
		}
	}
	killedAt := len(tickerExecutions(t, st))
	later := waitTicks(t, st, killedAt+3, 30*time.Second)
	var takers []string
	for _, e := range later {
		if e.runner != owner && !contains(takers, e.runner) {
			takers = append(takers, e.runner)
		}
	}
	if len(takers) != 1 {
		t.Fatalf("after %s was killed, the trigger was polled by %v, want one other runner", owner, takers)
	}
	infos, err := s.watcher.ListTriggers(context.Background())
	if err != nil || len(infos) != 1 || infos[0].LeaseOwner != takers[0] {
		t.Fatalf("ListTriggers = %+v, %v", infos, err)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestPostgresIdempotencyKeyAcrossProcesses(t *testing.T) {
	s := newMPSetup(t, 0, 2*time.Second)
	cfg := s.worker
	cfg.Mode = "submit"
	startPGWorkers(t, 2, cfg)
	var ids []string
	for _, name := range []string{"worker1", "worker2"} {
		b, err := os.ReadFile(filepath.Join(s.dir, name+".ids"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strings.Split(string(b), "\n")...)
	}
	if len(ids) != 64 {
		t.Fatalf("%d ids, want 64", len(ids))
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("64 submissions with one key in two processes got executions %s and %s", ids[0], id)
		}
	}
	if execs := tickerExecutions(t, s.watcher.Store()); len(execs) != 1 {
		t.Fatalf("%d executions stored, want 1", len(execs))
	}
}

// logLateness logs how late a schedule's fires were stored after their
// ticks (the database's commit time against the tick): a measurement for
// the record, not an assertion, since shared machines vary.
func logLateness(t *testing.T, st store.Store, name string) {
	t.Helper()
	fires, err := st.ListFires(context.Background(), name, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var late []time.Duration
	for _, f := range fires {
		if f.Kind == "scheduled" {
			late = append(late, f.FiredAt.Sub(f.ScheduledAt))
		}
	}
	if len(late) == 0 {
		return
	}
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	p := func(q float64) time.Duration { return late[min(len(late)-1, int(q*float64(len(late))))] }
	t.Logf("lateness of %d on-time fires: p50 %s, p99 %s, max %s", len(late), p(0.5), p(0.99), late[len(late)-1])
}
