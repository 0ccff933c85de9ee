package cloacinatest_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/cloacinatest"
	"github.com/cloacina-go/cloacina/runtime"
)

// TestScheduleOnAFakeClock runs a runner with an hourly schedule on a
// FakeClock: with AutoAdvance on, the clock jumps from tick to tick as
// soon as the runner is idle, so three hours of ticks take no time, and
// each tick starts one execution at its scheduled time.
func TestScheduleOnAFakeClock(t *testing.T) {
	t.Parallel()
	clock := cloacinatest.NewFakeClock(t0)
	seen := make(chan string, 10)
	wf := runtime.NewWorkflow("hourly").Add(&runtime.Task{ID: "run", Fingerprint: "run",
		Func: func(ctx context.Context, c *runtime.Context) error {
			at, err := runtime.Get[string](c, runtime.InputScheduledTime)
			seen <- at
			return err
		}}).Schedule(runtime.Schedule{Cron: "@hourly"}).MustBuild()
	reg := runtime.NewRegistry()
	reg.MustRegister(wf)
	r, err := runtime.NewRunner(context.Background(), &runtime.Config{Clock: clock, Registry: reg,
		DatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "hourly.db"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	stop := clock.AutoAdvance()
	defer stop()
	for i := 1; i <= 3; i++ {
		select {
		case at := <-seen:
			if want := t0.Add(time.Duration(i) * time.Hour).Format(time.RFC3339); at != want {
				t.Fatalf("execution %d saw scheduled time %s, want %s", i, at, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("tick %d did not run", i)
		}
	}
}
