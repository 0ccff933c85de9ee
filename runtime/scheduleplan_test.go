package runtime

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func mustDef(t *testing.T, s Schedule) *schedDef {
	t.Helper()
	if s.Name == "" {
		s.Name = "s"
	}
	if s.Workflow == "" {
		s.Workflow = "wf"
	}
	n, expr, loc, err := s.normalized()
	if err != nil {
		t.Fatal(err)
	}
	return &schedDef{Schedule: n, expr: expr, loc: loc}
}

// fires renders a plan's fires as "15:04 kind outcome" lines.
func fires(p *schedPlan) string {
	var out []string
	for _, f := range p.Fires {
		out = append(out, fmt.Sprintf("%s %s %s", f.At.UTC().Format("15:04"), f.Kind, f.Outcome))
	}
	return strings.Join(out, "; ")
}

func TestPlanOnTime(t *testing.T) {
	d := mustDef(t, Schedule{Cron: "*/5 * * * *"})
	st := &store.Schedule{NextAt: t0.Add(5 * time.Minute)}
	if p := d.plan(st, t0.Add(4*time.Minute), t0, false); len(p.Fires) != 0 || !p.State.NextAt.Equal(st.NextAt) {
		t.Fatalf("before the tick: %s, next %s", fires(p), p.State.NextAt)
	}
	p := d.plan(st, t0.Add(5*time.Minute+20*time.Millisecond), t0, false)
	if got := fires(p); got != "12:05 scheduled started" {
		t.Fatalf("at the tick: %s", got)
	}
	if !p.State.NextAt.Equal(t0.Add(10*time.Minute)) || !p.State.LastAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("state after the tick: next %s, last %s", p.State.NextAt, p.State.LastAt)
	}
}

// downtime plans a schedule whose runner was down from 12:00 to 12:32 with
// ticks every 5 minutes: 12:05 .. 12:30 were missed.
func downtime(t *testing.T, s Schedule, prevUnfinished bool) *schedPlan {
	t.Helper()
	s.Cron = "*/5 * * * *"
	d := mustDef(t, s)
	st := &store.Schedule{NextAt: t0.Add(5 * time.Minute)}
	back := t0.Add(32 * time.Minute)
	return d.plan(st, back, back, prevUnfinished)
}

func TestPlanCatchup(t *testing.T) {
	for _, tc := range []struct {
		s       Schedule
		want    string
		skipped int64
	}{
		{Schedule{Catchup: CatchupSkip}, "", 6},
		{Schedule{Catchup: CatchupLatest}, "12:30 catchup started", 5},
		{Schedule{Catchup: CatchupAll, Overlap: OverlapAllow},
			"12:05 catchup started; 12:10 catchup started; 12:15 catchup started; 12:20 catchup started; 12:25 catchup started; 12:30 catchup started", 0},
		{Schedule{Catchup: CatchupAll, MaxCatchup: 2, Overlap: OverlapAllow}, "12:25 catchup started; 12:30 catchup started", 4},
		// The caught-up ticks are one unit for the overlap policy.
		{Schedule{Catchup: CatchupAll, MaxCatchup: 2}, "12:25 catchup started; 12:30 catchup started", 4},
	} {
		p := downtime(t, tc.s, false)
		if got := fires(p); got != tc.want || p.State.SkippedCatchup != tc.skipped {
			t.Errorf("%s/%d: fires %q, skipped %d; want %q, %d", tc.s.Catchup, tc.s.MaxCatchup, got, p.State.SkippedCatchup, tc.want, tc.skipped)
		}
		if !p.State.NextAt.Equal(t0.Add(35 * time.Minute)) {
			t.Errorf("%s: next tick %s, want 12:35", tc.s.Catchup, p.State.NextAt)
		}
	}
}

func TestPlanCatchupAllIsOneUnitForOverlap(t *testing.T) {
	// The execution before the downtime is still unfinished: overlap=skip
	// skips the whole catch-up, overlap=buffer holds its first tick.
	p := downtime(t, Schedule{Catchup: CatchupAll, MaxCatchup: 2}, true)
	if got := fires(p); got != "12:25 catchup skipped_overlap; 12:30 catchup skipped_overlap" {
		t.Errorf("skip: %s", got)
	}
	p = downtime(t, Schedule{Catchup: CatchupAll, MaxCatchup: 2, Overlap: OverlapBuffer}, true)
	if got := fires(p); got != "12:30 catchup skipped_overlap" || !p.State.BufferedAt.Equal(t0.Add(25*time.Minute)) {
		t.Errorf("buffer: %s, buffered %s", got, p.State.BufferedAt)
	}
}

func TestPlanLateButWatching(t *testing.T) {
	// A tick handled 30s late while the runner was up is on time, whatever
	// the catch-up policy; one handled more than lateGrace late is missed.
	d := mustDef(t, Schedule{Cron: "*/5 * * * *", Catchup: CatchupSkip})
	st := &store.Schedule{NextAt: t0.Add(5 * time.Minute)}
	if got := fires(d.plan(st, t0.Add(5*time.Minute+30*time.Second), t0, false)); got != "12:05 scheduled started" {
		t.Errorf("30s late: %s", got)
	}
	if got := fires(d.plan(st, t0.Add(5*time.Minute+lateGrace+time.Second), t0, false)); got != "" {
		t.Errorf("more than lateGrace late, catchup=skip: %s", got)
	}
}

func TestPlanOverlap(t *testing.T) {
	d := func(o OverlapPolicy) *schedDef { return mustDef(t, Schedule{Cron: "*/5 * * * *", Overlap: o}) }
	st := &store.Schedule{NextAt: t0.Add(5 * time.Minute), LastExecution: "prev"}
	at := t0.Add(5 * time.Minute)

	p := d(OverlapSkip).plan(st, at, t0, true)
	if got := fires(p); got != "12:05 scheduled skipped_overlap" || p.State.SkippedOverlap != 1 {
		t.Errorf("skip: %s, skipped %d", got, p.State.SkippedOverlap)
	}
	if got := fires(d(OverlapAllow).plan(st, at, t0, true)); got != "12:05 scheduled started" {
		t.Errorf("allow: %s", got)
	}
	// buffer: the tick waits for the previous execution...
	b := d(OverlapBuffer)
	p = b.plan(st, at, t0, true)
	if len(p.Fires) != 0 || !p.State.BufferedAt.Equal(at) {
		t.Fatalf("buffer: %s, buffered %s", fires(p), p.State.BufferedAt)
	}
	// ...a second tick meanwhile is skipped, not buffered too...
	st2 := p.State
	p = b.plan(&st2, t0.Add(10*time.Minute), t0, true)
	if got := fires(p); got != "12:10 scheduled skipped_overlap" || !p.State.BufferedAt.Equal(at) {
		t.Fatalf("buffer, second tick: %s, buffered %s", got, p.State.BufferedAt)
	}
	// ...and it starts once the previous execution ended.
	st3 := p.State
	if w := b.wakeAt(&st3, false); !w.Equal(at) {
		t.Fatalf("wakeAt with a buffered tick and the previous execution ended = %s", w)
	}
	p = b.plan(&st3, t0.Add(11*time.Minute), t0, false)
	if got := fires(p); got != "12:05 scheduled started" || !p.State.BufferedAt.IsZero() {
		t.Fatalf("buffer, previous ended: %s, buffered %s", got, p.State.BufferedAt)
	}
}

func TestPlanPausedAndDisabled(t *testing.T) {
	d := mustDef(t, Schedule{Cron: "@every 1m"})
	for _, st := range []*store.Schedule{{NextAt: t0, Paused: true}, {NextAt: t0, Disabled: true}} {
		if p := d.plan(st, t0.Add(time.Hour), t0, false); len(p.Fires) != 0 || !d.wakeAt(st, false).IsZero() {
			t.Errorf("paused %v disabled %v: %s", st.Paused, st.Disabled, fires(p))
		}
	}
}

func TestPlanStartEnd(t *testing.T) {
	d := mustDef(t, Schedule{Cron: "@every 10m", Start: t0.Add(3 * time.Minute), End: t0.Add(25 * time.Minute)})
	// @every counts from Start: 12:03, 12:13, 12:23; nothing after End.
	var ticks []string
	for at := d.next(t0); !at.IsZero(); at = d.next(at) {
		ticks = append(ticks, at.Format("15:04"))
	}
	if got := strings.Join(ticks, " "); got != "12:03 12:13 12:23" {
		t.Fatalf("ticks = %s", got)
	}
	st := &store.Schedule{NextAt: t0.Add(23 * time.Minute)}
	p := d.plan(st, t0.Add(23*time.Minute), t0, false)
	if fires(p) != "12:23 scheduled started" || !p.State.NextAt.IsZero() {
		t.Fatalf("last tick: %s, next %s", fires(p), p.State.NextAt)
	}
	cal := mustDef(t, Schedule{Cron: "0 * * * *", Start: t0.Add(90 * time.Minute)})
	if got := cal.next(t0); !got.Equal(t0.Add(2 * time.Hour)) {
		t.Fatalf("calendar schedule with a start: first tick %s, want 14:00", got)
	}
}

func TestPlanDST(t *testing.T) {
	// Berlin, 2026-03-29: 02:30 does not exist; the tick fires at 03:00
	// CEST, once. 2026-10-25: 02:30 occurs twice; it fires once.
	d := mustDef(t, Schedule{Cron: "30 2 * * *", Timezone: "Europe/Berlin"})
	berlin := d.loc
	from := time.Date(2026, 3, 28, 12, 0, 0, 0, berlin)
	var got []string
	for at, i := d.next(from), 0; i < 3; at, i = d.next(at), i+1 {
		got = append(got, at.In(berlin).Format("01-02 15:04 MST"))
	}
	if s := strings.Join(got, ", "); s != "03-29 03:00 CEST, 03-30 02:30 CEST, 03-31 02:30 CEST" {
		t.Errorf("spring forward: %s", s)
	}
	got = nil
	from = time.Date(2026, 10, 24, 12, 0, 0, 0, berlin)
	for at, i := d.next(from), 0; i < 2; at, i = d.next(at), i+1 {
		got = append(got, at.In(berlin).Format("01-02 15:04 MST"))
	}
	if s := strings.Join(got, ", "); s != "10-25 02:30 CEST, 10-26 02:30 CET" {
		t.Errorf("fall back: %s", s)
	}
	ny := mustDef(t, Schedule{Cron: "30 1 * * *", Timezone: "America/New_York"})
	got = nil
	from = time.Date(2026, 10, 31, 12, 0, 0, 0, ny.loc)
	for at, i := ny.next(from), 0; i < 2; at, i = ny.next(at), i+1 {
		got = append(got, at.In(ny.loc).Format("01-02 15:04 MST"))
	}
	if s := strings.Join(got, ", "); s != "11-01 01:30 EDT, 11-02 01:30 EST" {
		t.Errorf("New York fall back: %s", s)
	}
}

func TestJitterIsBoundedAndShared(t *testing.T) {
	d := mustDef(t, Schedule{Cron: "@every 1m", Jitter: 10 * time.Second})
	spread := map[time.Duration]bool{}
	for i := range 200 {
		tick := t0.Add(time.Duration(i) * time.Minute)
		j := d.jitter(tick)
		if j < 0 || j >= 10*time.Second {
			t.Fatalf("jitter %s out of [0, 10s)", j)
		}
		if again := mustDef(t, Schedule{Cron: "@every 1m", Jitter: 10 * time.Second}).jitter(tick); again != j {
			t.Fatalf("jitter differs between two runners: %s, %s", j, again)
		}
		spread[j/time.Second] = true
	}
	if len(spread) < 8 {
		t.Errorf("jitter is not spread: %d distinct seconds out of 10", len(spread))
	}
	st := &store.Schedule{NextAt: t0}
	if p := d.plan(st, t0.Add(d.jitter(t0)-time.Millisecond), t0, false); len(p.Fires) != 0 {
		t.Errorf("fired before its jitter: %s", fires(p))
	}
}

func TestScheduleValidation(t *testing.T) {
	_, _, _, err := Schedule{Name: "x", Workflow: "wf", Cron: "61 * * * *", Timezone: "Mars/Base", Catchup: "most",
		Overlap: "never", Input: []byte(`[1]`), Start: t0, End: t0.Add(-time.Hour), Jitter: -1}.normalized()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"Cron:", `Timezone "Mars/Base"`, `Catchup "most"`, `Overlap "never"`, "Input: must be a JSON object",
		"End (", "Jitter must not be negative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
