package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

// The schedule tests move their manual clocks by minutes and hours while
// tasks run; their runners heartbeat hourly and count a claim stale after
// three hours, so a jump does not make a running task look abandoned, and
// poll daily, so the scheduler sleeps exactly until its next tick. Before
// moving the clock, a test waits for the timer of what it expects next
// (manualClock.waitTimerAt).

// schedT0 is where the schedule tests' clocks start: a whole minute.
var schedT0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// fireSeen is what a scheduled execution saw in its input.
type fireSeen struct{ at, kind, schedule, mode string }

// scheduledWorkflow is a one-task workflow that reports each execution's
// schedule keys on seen, with the given schedules.
func scheduledWorkflow(seen chan<- fireSeen, scheds ...runtime.Schedule) *runtime.Workflow {
	b := runtime.NewWorkflow("nightly").Add(&runtime.Task{ID: "run", Fingerprint: "run", Func: fn(func(ctx context.Context, c *runtime.Context) error {
		var f fireSeen
		_ = c.Get(runtime.InputScheduledTime, &f.at)
		_ = c.Get(runtime.InputFireKind, &f.kind)
		_ = c.Get(runtime.InputSchedule, &f.schedule)
		_ = c.Get("mode", &f.mode)
		seen <- f
		return nil
	})})
	for _, s := range scheds {
		b.Schedule(s)
	}
	return b.MustBuild()
}

// next waits for the next execution to report.
func next(t *testing.T, seen <-chan fireSeen) fireSeen {
	t.Helper()
	select {
	case f := <-seen:
		return f
	case <-time.After(20 * time.Second):
		t.Fatal("no scheduled execution ran within 20s")
	}
	return fireSeen{}
}

func TestScheduleFiresOnItsTicks(t *testing.T) {
	clock := newManualClock(schedT0)
	seen := make(chan fireSeen, 10)
	// Overlap allow: the test moves the clock on as soon as a task runs,
	// before its execution has ended.
	wf := scheduledWorkflow(seen, runtime.Schedule{Cron: "@every 1m", Timezone: "Europe/Berlin", Overlap: runtime.OverlapAllow,
		Input: json.RawMessage(`{"mode":"full"}`)})
	r := newRunner(t, &runtime.Config{HeartbeatInterval: time.Hour, StaleClaimThreshold: 3 * time.Hour, FallbackPollInterval: 24 * time.Hour, Clock: clock}, wf)
	ctx := context.Background()

	list, err := r.ListSchedules(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListSchedules = %v, %v", list, err)
	}
	if s := list[0]; s.Name != "nightly" || s.Workflow != "nightly" || s.Origin != "code" || !s.NextFire.Equal(schedT0.Add(time.Minute)) ||
		s.Catchup != runtime.CatchupLatest || s.Overlap != runtime.OverlapAllow {
		t.Fatalf("stored schedule = %+v", s)
	}
	for i := 1; i <= 2; i++ {
		clock.waitTimerAt(t, schedT0.Add(time.Duration(i)*time.Minute))
		clock.Advance(time.Minute)
		f := next(t, seen)
		want := schedT0.Add(time.Duration(i) * time.Minute).In(mustZone(t, "Europe/Berlin")).Format(time.RFC3339)
		if f.at != want || f.kind != "scheduled" || f.schedule != "nightly" || f.mode != "full" {
			t.Fatalf("tick %d: execution saw %+v, want at %s", i, f, want)
		}
	}
	d, err := r.DescribeSchedule(ctx, "nightly", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.RecentFires) != 2 || d.RecentFires[0].Outcome != "started" || d.RecentFires[0].ExecutionID == "" {
		t.Fatalf("recent fires = %+v", d.RecentFires)
	}
	var nexts []string
	for _, n := range d.NextFires {
		nexts = append(nexts, n.Sub(schedT0).String())
	}
	if got := strings.Join(nexts, " "); got != "3m0s 4m0s 5m0s" {
		t.Fatalf("next fires (from t0) = %s", got)
	}
	ex, err := r.Execution(ctx, d.RecentFires[0].ExecutionID)
	if err != nil {
		t.Fatal(err)
	}
	<-ex.Done()
	sums, err := r.ListExecutions(ctx, &runtime.ListOptions{Workflow: "nightly"})
	if err != nil || len(sums) != 2 {
		t.Fatalf("ListExecutions = %v, %v", sums, err)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestScheduleCatchupAfterDowntime stops the only runner after one tick,
// lets five ticks pass, and starts a new one on the same database: the
// missed ticks are handled as the schedule's catch-up policy says.
func TestScheduleCatchupAfterDowntime(t *testing.T) {
	for _, tc := range []struct {
		catchup runtime.CatchupPolicy
		want    []string // fires from minute 2 on, as "minute kind"
	}{
		{runtime.CatchupSkip, []string{"8 scheduled"}},
		{runtime.CatchupLatest, []string{"7 catchup", "8 scheduled"}},
		{runtime.CatchupAll, []string{"3 catchup", "4 catchup", "5 catchup", "6 catchup", "7 catchup", "8 scheduled"}},
	} {
		t.Run(string(tc.catchup), func(t *testing.T) {
			clock := newManualClock(schedT0)
			db := "sqlite://" + filepath.Join(t.TempDir(), "sched.db")
			sched := runtime.Schedule{Cron: "@every 1m", Catchup: tc.catchup, Overlap: runtime.OverlapAllow}
			seen := make(chan fireSeen, 20)

			first := newRunner(t, &runtime.Config{HeartbeatInterval: time.Hour, StaleClaimThreshold: 3 * time.Hour, FallbackPollInterval: 24 * time.Hour, Clock: clock, DatabaseURL: db}, scheduledWorkflow(seen, sched))
			for i := 1; i <= 2; i++ {
				clock.waitTimerAt(t, schedT0.Add(time.Duration(i)*time.Minute))
				clock.Advance(time.Minute)
				next(t, seen)
			}
			shutdown(t, first)

			clock.Advance(5*time.Minute + 30*time.Second) // 12:07:30; ticks 3..7 missed
			second := newRunner(t, &runtime.Config{HeartbeatInterval: time.Hour, StaleClaimThreshold: 3 * time.Hour, FallbackPollInterval: 24 * time.Hour, Clock: clock, DatabaseURL: db}, scheduledWorkflow(seen, sched))
			clock.waitTimerAt(t, schedT0.Add(8*time.Minute))
			clock.Advance(30 * time.Second) // 12:08
			// Executions run in any order; the fires recorded (checked
			// below) show that nothing else was started.
			var got []string
			for range tc.want {
				f := next(t, seen)
				at, _ := time.Parse(time.RFC3339, f.at)
				got = append(got, fmt.Sprintf("%d %s", int(at.Sub(schedT0)/time.Minute), f.kind))
			}
			sort.Strings(got)
			if strings.Join(got, ", ") != strings.Join(tc.want, ", ") {
				t.Fatalf("after downtime: %q, want %q", got, tc.want)
			}
			d, err := second.DescribeSchedule(context.Background(), "nightly", 20)
			if err != nil {
				t.Fatal(err)
			}
			if want := int64(5 - len(tc.want) + 1); d.SkippedCatchup != want {
				t.Errorf("SkippedCatchup = %d, want %d", d.SkippedCatchup, want)
			}
			if len(d.RecentFires) != 2+len(tc.want) {
				t.Errorf("%d fires recorded, want %d", len(d.RecentFires), 2+len(tc.want))
			}
		})
	}
}

func shutdown(t *testing.T, r *runtime.Runner) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestScheduleAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		clock := newManualClock(schedT0)
		seen := make(chan fireSeen, 100)
		r := newRunner(t, &runtime.Config{HeartbeatInterval: time.Hour, StaleClaimThreshold: 3 * time.Hour, FallbackPollInterval: 24 * time.Hour, Clock: clock}, scheduledWorkflow(seen))
		ctx := context.Background()

		if _, err := r.CreateSchedule(ctx, runtime.Schedule{Name: "hourly", Workflow: "nightly", Cron: "0 * * * *"}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.CreateSchedule(ctx, runtime.Schedule{Name: "hourly", Workflow: "nightly", Cron: "0 * * * *"}); !errors.Is(err, runtime.ErrScheduleExists) {
			t.Fatalf("second CreateSchedule: %v, want ErrScheduleExists", err)
		}
		if _, err := r.CreateSchedule(ctx, runtime.Schedule{Name: "x", Workflow: "unknown", Cron: "@daily"}); err == nil ||
			!strings.Contains(err.Error(), `workflow "unknown" is not registered`) {
			t.Fatalf("CreateSchedule of an unknown workflow: %v", err)
		}
		if _, err := r.CreateSchedule(ctx, runtime.Schedule{Name: "bad", Workflow: "nightly", Cron: "0 25 * * *"}); err == nil ||
			!strings.Contains(err.Error(), "Cron:") {
			t.Fatalf("CreateSchedule with a bad expression: %v", err)
		}

		// Trigger now, while paused: a manual execution.
		if changed, err := r.PauseSchedule(ctx, "hourly"); err != nil || !changed {
			t.Fatalf("PauseSchedule = %v, %v", changed, err)
		}
		ex, err := r.TriggerSchedule(ctx, "hourly")
		if err != nil {
			t.Fatal(err)
		}
		if f := next(t, seen); f.kind != "manual" || f.schedule != "hourly" {
			t.Fatalf("manual fire saw %+v", f)
		}
		<-ex.Done()
		// Paused: the 13:00 tick does not fire. Resumed at 13:30, the next
		// tick is 14:00.
		clock.Advance(90 * time.Minute)
		if changed, err := r.ResumeSchedule(ctx, "hourly"); err != nil || !changed {
			t.Fatalf("ResumeSchedule = %v, %v", changed, err)
		}
		list, _ := r.ListSchedules(ctx)
		if len(list) != 1 || !list[0].NextFire.Equal(schedT0.Add(2*time.Hour)) || list[0].Paused {
			t.Fatalf("after resume: %+v", list)
		}
		clock.waitTimerAt(t, schedT0.Add(2*time.Hour))
		clock.Advance(30 * time.Minute)
		if f := next(t, seen); f.kind != "scheduled" || f.at != schedT0.Add(2*time.Hour).Format(time.RFC3339) {
			t.Fatalf("after resume, saw %+v", f)
		}

		// Backfill 09:00..11:00 of the same day, twice: three executions once.
		execs, err := r.BackfillSchedule(ctx, "hourly", schedT0.Add(-3*time.Hour), schedT0.Add(-time.Hour))
		if err != nil || len(execs) != 3 {
			t.Fatalf("BackfillSchedule = %d executions, %v", len(execs), err)
		}
		for range 3 {
			if f := next(t, seen); f.kind != "backfill" {
				t.Fatalf("backfill saw %+v", f)
			}
		}
		for _, e := range execs {
			<-e.Done()
		}
		again, err := r.BackfillSchedule(ctx, "hourly", schedT0.Add(-3*time.Hour), schedT0.Add(-time.Hour))
		if err != nil || len(again) != 0 {
			t.Fatalf("second BackfillSchedule = %d executions, %v", len(again), err)
		}
		if _, err := r.BackfillSchedule(ctx, "hourly", schedT0, schedT0.Add(-time.Hour)); err == nil {
			t.Fatal("a backfill whose end is before its start was accepted")
		}

		// Update: every 15 minutes from now on.
		info, err := r.UpdateSchedule(ctx, runtime.Schedule{Name: "hourly", Workflow: "nightly", Cron: "*/15 * * * *"})
		if err != nil || !info.NextFire.Equal(schedT0.Add(2*time.Hour+15*time.Minute)) {
			t.Fatalf("UpdateSchedule = %+v, %v", info, err)
		}
		d, err := r.DescribeSchedule(ctx, "hourly", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.RecentFires) != 5 || d.RecentFires[0].Kind != "scheduled" || d.RecentFires[0].Status == nil {
			t.Fatalf("recent fires = %+v", d.RecentFires)
		}
		if _, err := r.PauseSchedule(ctx, "hourli"); !errors.Is(err, runtime.ErrScheduleNotFound) || !strings.Contains(err.Error(), `did you mean "hourly"?`) {
			t.Fatalf("PauseSchedule of a misspelt name: %v", err)
		}
		if found, err := r.DeleteSchedule(ctx, "hourly"); err != nil || !found {
			t.Fatalf("DeleteSchedule = %v, %v", found, err)
		}
		if _, err := r.DescribeSchedule(ctx, "hourly", 1); !errors.Is(err, runtime.ErrScheduleNotFound) {
			t.Fatalf("DescribeSchedule after delete: %v", err)
		}
	})
}

func TestScheduleReconciliation(t *testing.T) {
	clock := newManualClock(schedT0)
	db := "sqlite://" + filepath.Join(t.TempDir(), "sched.db")
	seen := make(chan fireSeen, 10)
	ctx := context.Background()
	r1 := newRunner(t, &runtime.Config{HeartbeatInterval: time.Hour, StaleClaimThreshold: 3 * time.Hour, FallbackPollInterval: 24 * time.Hour, Clock: clock, DatabaseURL: db}, scheduledWorkflow(seen,
		runtime.Schedule{Name: "a", Cron: "@hourly"}, runtime.Schedule{Name: "b", Cron: "@daily"}))
	if _, err := r1.CreateSchedule(ctx, runtime.Schedule{Name: "mine", Workflow: "nightly", Cron: "@weekly"}); err != nil {
		t.Fatal(err)
	}
	shutdown(t, r1)
	// The code now declares "a" every 30 minutes and no "b".
	r2 := newRunner(t, &runtime.Config{HeartbeatInterval: time.Hour, StaleClaimThreshold: 3 * time.Hour, FallbackPollInterval: 24 * time.Hour, Clock: clock, DatabaseURL: db}, scheduledWorkflow(seen, runtime.Schedule{Name: "a", Cron: "*/30 * * * *"}))
	list, err := r2.ListSchedules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]runtime.ScheduleInfo{}
	for _, s := range list {
		got[s.Name] = s
	}
	if a := got["a"]; a.Cron != "*/30 * * * *" || a.Disabled || !a.NextFire.Equal(schedT0.Add(30*time.Minute)) {
		t.Errorf("a = %+v", a)
	}
	if b := got["b"]; !b.Disabled || b.NextFire != (time.Time{}) {
		t.Errorf("b = %+v, want disabled", b)
	}
	if m := got["mine"]; m.Origin != "api" || m.Disabled {
		t.Errorf("mine = %+v, want left alone", m)
	}
}

func TestTriggers(t *testing.T) {
	for _, tc := range []struct {
		concurrency runtime.TriggerConcurrency
		// executions started by the polls 4 to 9, which return one input
		// while the first execution is unfinished (poll 10's may be
		// stored too)
		least, most int
	}{{runtime.ConcurrencyForbid, 1, 1}, {runtime.ConcurrencyAllow, 6, 7}} {
		t.Run(string(tc.concurrency), func(t *testing.T) {
			clock := newManualClock(schedT0)
			polled := make(chan int64, 100)
			release := make(chan struct{})
			var calls atomic.Int64
			wf := runtime.NewWorkflow("ingest").Add(&runtime.Task{ID: "load", Fingerprint: "load",
				Func: fn(func(ctx context.Context, c *runtime.Context) error {
					select {
					case <-release:
					case <-ctx.Done():
					}
					return nil
				})}).
				Trigger(runtime.Trigger{Name: "new_files", Poll: time.Second, Concurrency: tc.concurrency,
					Func: func(ctx context.Context) (*runtime.Context, error) {
						n := calls.Add(1)
						defer func() { polled <- n }()
						switch n {
						case 1:
							panic("the first poll panics")
						case 2:
							return nil, errors.New("the second poll fails")
						case 3:
							return nil, nil // nothing this time
						}
						c := runtime.NewContext()
						_ = c.Set("file", "a.csv")
						return c, nil
					}}).MustBuild()
			logs := &recordingHandler{}
			r := newRunner(t, &runtime.Config{HeartbeatInterval: time.Hour, StaleClaimThreshold: 3 * time.Hour, FallbackPollInterval: 24 * time.Hour, Clock: clock, Logger: slog.New(logs)}, wf)
			var once sync.Once
			unblock := func() { once.Do(func() { close(release) }) }
			t.Cleanup(unblock) // before the runner's shutdown: cleanups run last first
			waitPoll := func(want int64) {
				t.Helper()
				for {
					select {
					case n := <-polled:
						if n >= want {
							return
						}
					case <-time.After(20 * time.Second):
						t.Fatalf("poll %d did not happen", want)
					}
				}
			}
			// Each poll's timer is set once the poll (and its fire) is
			// done: wait for it before moving the clock.
			waitPoll(1)
			for n := int64(2); n <= 10; n++ {
				clock.waitTimerAt(t, clock.Now().Add(time.Second))
				clock.Advance(time.Second)
				waitPoll(n)
			}
			sums, err := r.ListExecutions(context.Background(), &runtime.ListOptions{Workflow: "ingest"})
			if err != nil {
				t.Fatal(err)
			}
			if len(sums) < tc.least || len(sums) > tc.most {
				t.Fatalf("%d executions after 7 polls with one input, want %d to %d", len(sums), tc.least, tc.most)
			}
			unblock()
			if !logs.has("trigger poll failed; polling again at the next interval", "the first poll panics") {
				t.Errorf("the panic was not logged: %v", logs.messages())
			}
			infos, err := r.ListTriggers(context.Background())
			if err != nil || len(infos) != 1 || infos[0].LeaseOwner != r.ID() || infos[0].Concurrency != tc.concurrency {
				t.Fatalf("ListTriggers = %+v, %v", infos, err)
			}
		})
	}
}

// has reports whether a record with the message has an error attribute
// containing errText.
func (h *recordingHandler) has(msg, errText string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.records {
		found := false
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "error" && strings.Contains(a.Value.String(), errText) {
				found = true
			}
			return !found
		})
		if r.Message == msg && found {
			return true
		}
	}
	return false
}

func (h *recordingHandler) messages() []string { return h.atLeast(slog.LevelDebug) }
