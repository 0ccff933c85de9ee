package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cloacina-go/cloacina/runtime"
)

// TestAttemptHooksWrapEveryAttempt checks that hooks run around each
// attempt in order, the first outermost, see the attempt's facts and the
// task's error, can replace that error, and that a panicking hook fails
// the attempt as a panicking task does.
func TestAttemptHooksWrapEveryAttempt(t *testing.T) {
	var mu sync.Mutex
	var trail []string
	note := func(s string) { mu.Lock(); trail = append(trail, s); mu.Unlock() }
	hook := func(name string) runtime.AttemptHook {
		return func(ctx context.Context, a runtime.TaskMeta, run func(context.Context) error) error {
			note(fmt.Sprintf("%s>%s#%d", name, a.TaskID, a.Attempt))
			err := run(ctx)
			note(fmt.Sprintf("%s<%s:%v", name, a.TaskID, err))
			if a.TaskID == "mask" && err != nil {
				return nil // the hook forgives the failure
			}
			return err
		}
	}
	wf := runtime.NewWorkflow("hooked").
		Add(&runtime.Task{ID: "ok", Retry: fastRetry(1), Func: fn(func(ctx context.Context, _ *runtime.Context) error {
			if m, _ := runtime.MetaFrom(ctx); m.TaskID != "ok" {
				return fmt.Errorf("the task sees meta %+v", m)
			}
			return nil
		})}).
		Add(&runtime.Task{ID: "mask", Dependencies: []string{"ok"}, Retry: fastRetry(1),
			Func: fn(func(context.Context, *runtime.Context) error { return errors.New("masked") })}).MustBuild()
	r := newRunner(t, &runtime.Config{AttemptHooks: []runtime.AttemptHook{hook("outer"), hook("inner")}}, wf)
	res := execute(t, r, "hooked", nil)
	if res.Status != runtime.PipelineStatusCompleted {
		t.Fatalf("result %+v", res)
	}
	want := "outer>ok#1 inner>ok#1 inner<ok:<nil> outer<ok:<nil> outer>mask#1 inner>mask#1 inner<mask:masked outer<mask:<nil>"
	if got := strings.Join(trail, " "); got != want {
		t.Fatalf("hook trail\n got %s\nwant %s", got, want)
	}

	boom := runtime.NewWorkflow("boom").Add(&runtime.Task{ID: "t", Retry: fastRetry(1),
		Func: fn(func(context.Context, *runtime.Context) error { return nil })}).MustBuild()
	r2 := newRunner(t, &runtime.Config{AttemptHooks: []runtime.AttemptHook{
		func(context.Context, runtime.TaskMeta, func(context.Context) error) error { panic("hook broke") },
	}}, boom)
	res = execute(t, r2, "boom", nil)
	var pe *runtime.PanicError
	if res.Status != runtime.PipelineStatusFailed || !errors.As(taskStatus(t, res, "t").Err, &pe) || pe.Value != "hook broke" {
		t.Fatalf("a panicking hook: %+v", res)
	}
}
