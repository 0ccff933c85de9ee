package cloacinatest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/cloacinatest"
)

var t0 = time.Date(2030, time.June, 1, 12, 0, 0, 0, time.UTC)

// TestAdvanceFiresTimersInOrder checks that Advance fires the timers due
// on the way, each with the clock reading its time, and leaves later ones.
func TestAdvanceFiresTimersInOrder(t *testing.T) {
	t.Parallel()
	c := cloacinatest.NewFakeClock(t0)
	a, b, late := c.NewTimer(time.Second), c.NewTimer(3*time.Second), c.NewTimer(time.Hour)
	c.Advance(10 * time.Second)
	if at := <-a.C(); !at.Equal(t0.Add(time.Second)) {
		t.Errorf("the 1s timer sent %s", at)
	}
	if at := <-b.C(); !at.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("the 3s timer sent %s", at)
	}
	if now := c.Now(); !now.Equal(t0.Add(10 * time.Second)) {
		t.Errorf("now %s, want 10s after the start", now)
	}
	if next, ok := c.Next(); !ok || !next.Equal(t0.Add(time.Hour)) {
		t.Errorf("next timer at %s, want the 1h one", next)
	}
	select {
	case <-late.C():
		t.Fatal("the timer due in an hour fired")
	default:
	}
}

// TestAutoAdvanceFiresOneTimerAtATime checks that AutoAdvance fires timers
// in order of time, then of setting, each once the last one's callback
// returned.
func TestAutoAdvanceFiresOneTimerAtATime(t *testing.T) {
	t.Parallel()
	c := cloacinatest.NewFakeClock(t0)
	var got []string // appended by one callback at a time, or the test fails under -race
	done := make(chan struct{})
	at := func(name string, d time.Duration) {
		c.AfterFunc(d, func() {
			got = append(got, name+"@"+c.Now().Sub(t0).String())
			if len(got) == 4 {
				close(done)
			}
		})
	}
	at("c", 3*time.Second)
	at("a", time.Second)
	at("b1", 2*time.Second)
	at("b2", 2*time.Second)
	stop := c.AutoAdvance()
	<-done
	stop()
	if want := "a@1s b1@2s b2@2s c@3s"; strings.Join(got, " ") != want {
		t.Fatalf("fired %v, want %s", got, want)
	}
}

// TestTimerStopAndReset checks Stop and Reset on channel timers, as
// time.Timer behaves since Go 1.23.
func TestTimerStopAndReset(t *testing.T) {
	t.Parallel()
	c := cloacinatest.NewFakeClock(t0)
	tm := c.NewTimer(time.Minute)
	if !tm.Stop() {
		t.Fatal("Stop of an armed timer reported false")
	}
	if tm.Stop() {
		t.Fatal("Stop of a stopped timer reported true")
	}
	c.Advance(time.Hour)
	select {
	case <-tm.C():
		t.Fatal("a stopped timer fired")
	default:
	}
	if tm.Reset(time.Minute) {
		t.Fatal("Reset of a stopped timer reported it active")
	}
	c.Advance(time.Minute)
	if got := <-tm.C(); !got.Equal(t0.Add(time.Hour + time.Minute)) {
		t.Fatalf("timer sent %s", got)
	}
	c.Advance(time.Hour) // nothing armed
	tm.Reset(time.Second)
	c.Advance(time.Second) // fires; the value waits in the channel
	tm.Reset(time.Second)  // discards it
	select {
	case v := <-tm.C():
		t.Fatalf("Reset kept the value %s", v)
	default:
	}
	fired := make(chan struct{})
	c.AfterFunc(0, func() { close(fired) }) // due now: fires at once
	<-fired
	if tm := c.AfterFunc(time.Second, func() {}); tm.C() != nil {
		t.Fatal("an AfterFunc timer has a channel")
	}
}

// TestIdleWhileCallbacksRun checks that a running AfterFunc callback
// counts as work in progress, so AutoAdvance waits for it.
func TestIdleWhileCallbacksRun(t *testing.T) {
	t.Parallel()
	c := cloacinatest.NewFakeClock(t0)
	release := make(chan struct{})
	running := make(chan struct{})
	c.AfterFunc(time.Second, func() { close(running); <-release })
	second := make(chan time.Time, 1)
	c.AfterFunc(2*time.Second, func() { second <- c.Now() })
	if !c.Idle() {
		t.Fatal("a clock with no runner and nothing running is not idle")
	}
	stop := c.AutoAdvance()
	defer stop()
	<-running
	if c.Idle() {
		t.Fatal("idle while a callback runs")
	}
	if now := c.Now(); !now.Equal(t0.Add(time.Second)) {
		t.Fatalf("the clock moved on to %s while a callback ran", now)
	}
	close(release)
	if at := <-second; !at.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("second timer fired at %s", at)
	}
}

// TestSleepOutsideATask checks Sleep from a plain goroutine: it ends when
// the clock gets there, or when its context ends.
func TestSleepOutsideATask(t *testing.T) {
	t.Parallel()
	c := cloacinatest.NewFakeClock(t0)
	done := make(chan error, 1)
	go func() { done <- c.Sleep(context.Background(), time.Hour) }()
	stop := c.AutoAdvance()
	if err := <-done; err != nil || !c.Now().Equal(t0.Add(time.Hour)) {
		t.Fatalf("Sleep returned %v at %s", err, c.Now())
	}
	stop()
	cause := errors.New("given up")
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() { done <- c.Sleep(ctx, time.Hour) }()
	cancel(cause)
	if err := <-done; !errors.Is(err, cause) {
		t.Fatalf("Sleep returned %v, want the context's cause", err)
	}
	if err := c.Sleep(ctx, 0); !errors.Is(err, cause) {
		t.Fatalf("Sleep(0) on an ended context returned %v", err)
	}
	if err := c.Sleep(context.Background(), -time.Second); err != nil {
		t.Fatalf("Sleep(-1s) returned %v", err)
	}
}
