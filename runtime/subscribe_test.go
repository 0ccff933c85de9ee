package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cloacina-go/cloacina/runtime"
)

// chain is extract -> transform -> load, each task writing its name.
func chain(name string) *runtime.Workflow {
	task := func(id string, deps ...string) *runtime.Task {
		return &runtime.Task{ID: id, Dependencies: deps, Func: fn(func(_ context.Context, c *runtime.Context) error {
			return c.Set(id, true)
		})}
	}
	return runtime.NewWorkflow(name).Add(task("extract"), task("transform", "extract"), task("load", "transform")).MustBuild()
}

// chainStory is what the log tells of one run of chain.
var chainStory = []string{"execution_created", "task_started:extract", "task_completed:extract",
	"task_started:transform", "task_completed:transform", "task_started:load", "task_completed:load", "execution_completed"}

func story(events []runtime.Event) []string {
	var out []string
	for _, e := range events {
		if e.TaskID != "" {
			out = append(out, e.Kind+":"+e.TaskID)
		} else {
			out = append(out, e.Kind)
		}
	}
	return out
}

// nextN reads n events, failing the test after 30s.
func nextN(t *testing.T, sub *runtime.Subscription, n int) []runtime.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []runtime.Event
	for len(out) < n {
		e, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("Next after %v: %v", story(out), err)
		}
		out = append(out, e)
	}
	return out
}

// TestSubscribeFollowsTheLog: a subscription from now sees one execution's
// whole story in order, each event with its workflow and a cursor; a new
// runner resuming from a cursor in the middle gets exactly the rest.
func TestSubscribeFollowsTheLog(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		url, schema := testDatabase(t)
		r := newRunner(t, &runtime.Config{DatabaseURL: url, Schema: schema}, chain("etl"))
		execute(t, r, "etl", nil) // history before the subscription starts
		sub, err := r.Subscribe(ctx, runtime.EventFilter{FromNow: true})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		res := execute(t, r, "etl", nil)
		events := nextN(t, sub, len(chainStory))
		if got := story(events); !reflect.DeepEqual(got, chainStory) {
			t.Fatalf("events = %v\nwant %v", got, chainStory)
		}
		for i, e := range events {
			if e.ExecutionID != res.ExecutionID || e.WorkflowName != "etl" || e.WorkflowVersion != res.WorkflowVersion || e.RunnerID != r.ID() {
				t.Fatalf("event %d = %+v, want execution %s of etl %s by %s", i, e, res.ExecutionID, res.WorkflowVersion, r.ID())
			}
		}

		// Another runner on the same database resumes from the third
		// event's cursor, saved as text.
		saved := events[2].Cursor.String()
		from, err := runtime.ParseCursor(saved)
		if err != nil {
			t.Fatal(err)
		}
		other := newRunner(t, &runtime.Config{DatabaseURL: url, Schema: schema})
		resumed, err := other.Subscribe(ctx, runtime.EventFilter{From: from, ExecutionID: res.ExecutionID, UntilEnd: true})
		if err != nil {
			t.Fatal(err)
		}
		rest := nextN(t, resumed, len(chainStory)-3)
		if got := story(rest); !reflect.DeepEqual(got, chainStory[3:]) {
			t.Fatalf("resumed events = %v\nwant %v", got, chainStory[3:])
		}
		if _, err := resumed.Next(ctx); !errors.Is(err, io.EOF) {
			t.Fatalf("Next after the execution's end = %v, want io.EOF", err)
		}
	})
}

// TestSubscribeFilters: by workflow and by execution, over a log that
// holds other workflows' events.
func TestSubscribeFilters(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		r := newRunner(t, nil, chain("etl"), chain("other"))
		byWorkflow, err := r.Subscribe(ctx, runtime.EventFilter{Workflow: "other"})
		if err != nil {
			t.Fatal(err)
		}
		defer byWorkflow.Close()
		execute(t, r, "etl", nil)
		res := execute(t, r, "other", nil)
		execute(t, r, "etl", nil)
		events := nextN(t, byWorkflow, len(chainStory))
		for _, e := range events {
			if e.ExecutionID != res.ExecutionID || e.WorkflowName != "other" {
				t.Fatalf("workflow subscription returned %+v", e)
			}
		}
		byExec, err := r.Subscribe(ctx, runtime.EventFilter{ExecutionID: res.ExecutionID})
		if err != nil {
			t.Fatal(err)
		}
		defer byExec.Close()
		if got := story(nextN(t, byExec, len(chainStory))); !reflect.DeepEqual(got, chainStory) {
			t.Fatalf("execution subscription = %v", got)
		}
		// Nothing more comes for that execution; the wait ends with ctx.
		wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if e, err := byExec.Next(wctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Next on an ended execution = %+v, %v; want to wait until ctx ends", e, err)
		}
		if _, err := r.Subscribe(ctx, runtime.EventFilter{UntilEnd: true}); err == nil || !strings.Contains(err.Error(), "ExecutionID") {
			t.Fatalf("UntilEnd without an execution: %v", err)
		}
	})
}

// TestExecutionFollow follows an execution from its handle while it runs:
// the iterator yields its story and ends with it.
func TestExecutionFollow(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		gate := make(chan struct{})
		wf := runtime.NewWorkflow("gated").
			Add(&runtime.Task{ID: "first", Func: fn(func(context.Context, *runtime.Context) error { <-gate; return nil })}).
			Add(&runtime.Task{ID: "second", Dependencies: []string{"first"}, Func: fn(func(context.Context, *runtime.Context) error { return nil })}).
			MustBuild()
		r := newRunner(t, nil, wf)
		exec, err := r.ExecuteAsync(ctx, "gated", nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []runtime.Event
		for ev, err := range exec.Follow(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ev)
			if ev.Kind == "task_started" && ev.TaskID == "first" {
				close(gate) // the rest happens while the loop follows
			}
		}
		want := []string{"execution_created", "task_started:first", "task_completed:first", "task_started:second",
			"task_completed:second", "execution_completed"}
		if !reflect.DeepEqual(story(got), want) {
			t.Fatalf("followed %v\nwant %v", story(got), want)
		}
		// An id no execution has is an error, not a wait for ever.
		if _, err := r.Subscribe(ctx, runtime.EventFilter{ExecutionID: "nope", UntilEnd: true}); !errors.Is(err, runtime.ErrExecutionNotFound) {
			t.Fatalf("Subscribe to an unknown execution: %v", err)
		}
	})
}

// TestSubscribeAcrossProcesses: a runner that shares the database, with
// no workflow of its own, follows the executions another runs. Its
// fallback poll is an hour, so only the notifications can wake it: on
// PostgreSQL, LISTEN/NOTIFY; on a SQLite file shared with another store,
// the store's watch of the data version.
func TestSubscribeAcrossProcesses(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		url, schema := testDatabase(t)
		worker := newRunner(t, &runtime.Config{DatabaseURL: url, Schema: schema}, chain("etl"))
		watcher := newRunner(t, &runtime.Config{DatabaseURL: url, Schema: schema, FallbackPollInterval: time.Hour})
		sub, err := watcher.Subscribe(ctx, runtime.EventFilter{FromNow: true})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		for i := 0; i < 3; i++ {
			res := execute(t, worker, "etl", nil)
			events := nextN(t, sub, len(chainStory))
			if got := story(events); !reflect.DeepEqual(got, chainStory) || events[0].ExecutionID != res.ExecutionID {
				t.Fatalf("run %d: watcher saw %v of %s\nwant %v of %s", i, got, events[0].ExecutionID, chainStory, res.ExecutionID)
			}
		}
	})
}

// TestSubscriptionCloseAndShutdown: Close wakes a waiting Next; after
// Shutdown, Next says the runner is closed, and a subscription on another
// runner resumes from the cursor with nothing lost.
func TestSubscriptionCloseAndShutdown(t *testing.T) {
	ctx := context.Background()
	url, _ := testDatabase(t)
	r := newRunner(t, &runtime.Config{DatabaseURL: url}, chain("etl"))
	sub, err := r.Subscribe(ctx, runtime.EventFilter{FromNow: true})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { _, err := sub.Next(ctx); errc <- err }()
	sub.Close()
	if err := <-errc; !errors.Is(err, runtime.ErrSubscriptionClosed) {
		t.Fatalf("Next after Close = %v", err)
	}

	sub, err = r.Subscribe(ctx, runtime.EventFilter{FromNow: true})
	if err != nil {
		t.Fatal(err)
	}
	execute(t, r, "etl", nil)
	first := nextN(t, sub, 3)
	if err := r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	// Events it had read already come first; then the runner is closed.
	for ev, err := range sub.All(ctx) {
		if err != nil {
			if !errors.Is(err, runtime.ErrRunnerClosed) {
				t.Fatalf("Next after Shutdown = %v, want ErrRunnerClosed", err)
			}
			break
		}
		first = append(first, ev)
	}
	if _, err := r.Subscribe(ctx, runtime.EventFilter{}); !errors.Is(err, runtime.ErrRunnerClosed) {
		t.Fatalf("Subscribe after Shutdown = %v", err)
	}
	next := newRunner(t, &runtime.Config{DatabaseURL: url})
	resumed, err := next.Subscribe(ctx, runtime.EventFilter{From: sub.Cursor()})
	if err != nil {
		t.Fatal(err)
	}
	if got := story(append(first, nextN(t, resumed, len(chainStory)-len(first))...)); !reflect.DeepEqual(got, chainStory) {
		t.Fatalf("events before and after the restart = %v\nwant %v", got, chainStory)
	}
}

// TestSubscribeFromUnknownCursor: a cursor no event of the database has
// reached (another database's, or mistyped) is refused with
// ErrUnknownCursor, naming it, instead of a subscription that waits
// forever; the cursor of the log's last event is accepted.
func TestSubscribeFromUnknownCursor(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		r := newRunner(t, nil, chain("etl"))
		res := execute(t, r, "etl", nil)
		events, err := r.Events(ctx, res.ExecutionID)
		if err != nil {
			t.Fatal(err)
		}
		last := events[len(events)-1].Cursor
		sub, err := r.Subscribe(ctx, runtime.EventFilter{From: last})
		if err != nil {
			t.Fatalf("Subscribe from the last event's cursor %s: %v", last, err)
		}
		sub.Close()
		for _, text := range []string{"999999999999-0", "0-999999999999"} {
			from, err := runtime.ParseCursor(text)
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Subscribe(ctx, runtime.EventFilter{From: from})
			if !errors.Is(err, runtime.ErrUnknownCursor) || !strings.Contains(err.Error(), text) {
				t.Fatalf("Subscribe from %s = %v, want ErrUnknownCursor naming it", text, err)
			}
		}
	})
}

// TestCursorText round-trips cursors and names a bad one.
func TestCursorText(t *testing.T) {
	c, err := runtime.ParseCursor("7-42")
	if err != nil || c.String() != "7-42" || c.IsZero() {
		t.Fatalf("ParseCursor(7-42) = %v, %v", c, err)
	}
	if z, err := runtime.ParseCursor(""); err != nil || !z.IsZero() {
		t.Fatalf("ParseCursor(\"\") = %v, %v", z, err)
	}
	var u runtime.Cursor
	if err := u.UnmarshalText([]byte("x-1")); err == nil || !strings.Contains(err.Error(), `"x-1"`) {
		t.Fatalf("bad cursor: %v", err)
	}
}

// TestEventHooksSeeTheRunnersOwnEvents: two runners share a database,
// each with a hook; every event reaches exactly one hook, the one of the
// runner that appended it, in order, and Shutdown returns only after the
// hooks saw the last events.
func TestEventHooksSeeTheRunnersOwnEvents(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		url, schema := testDatabase(t)
		type seen struct {
			mu     sync.Mutex
			events []runtime.Event
		}
		hook := func(s *seen) runtime.EventHook {
			return func(ctx context.Context, ev runtime.Event) {
				s.mu.Lock()
				s.events = append(s.events, ev)
				s.mu.Unlock()
			}
		}
		var a, b seen
		ra := newRunner(t, &runtime.Config{DatabaseURL: url, Schema: schema, EventHooks: []runtime.EventHook{hook(&a)}}, chain("etl"))
		rb := newRunner(t, &runtime.Config{DatabaseURL: url, Schema: schema, EventHooks: []runtime.EventHook{
			func(context.Context, runtime.Event) { panic("a broken hook") }, hook(&b)}}, chain("solo"))
		ea, err := ra.ExecuteAsync(ctx, "etl", nil)
		if err != nil {
			t.Fatal(err)
		}
		eb, err := rb.ExecuteAsync(ctx, "solo", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range []*runtime.Execution{ea, eb} {
			if _, err := e.Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range []*runtime.Runner{ra, rb} {
			if err := r.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			s    *seen
			r    *runtime.Runner
			exec string
		}{{&a, ra, ea.ID()}, {&b, rb, eb.ID()}} {
			if got := story(c.s.events); !reflect.DeepEqual(got, chainStory) {
				t.Fatalf("runner %s's hook saw %v\nwant %v", c.r.ID(), got, chainStory)
			}
			for _, e := range c.s.events {
				if e.RunnerID != c.r.ID() || e.ExecutionID != c.exec {
					t.Fatalf("runner %s's hook saw %+v", c.r.ID(), e)
				}
			}
		}
	})
}

// TestSubmitHooksCarryHeaders: a hook adds a header that every attempt
// sees, is told of the end with the execution as it ended, and is told
// when an idempotency key gives the submitter another execution.
func TestSubmitHooksCarryHeaders(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		var mu sync.Mutex
		var seen []string
		ends := make(chan string, 4)
		hook := func(ctx context.Context, sub *runtime.SubmitInfo) func(*runtime.ExecutionSummary, error) {
			sub.Headers["trace"] = "t-" + sub.ExecutionID
			return func(ex *runtime.ExecutionSummary, err error) {
				switch {
				case err != nil:
					ends <- "error: " + err.Error()
				default:
					ends <- fmt.Sprintf("%s %s %s", ex.ID, ex.Status, ex.Headers["trace"])
				}
			}
		}
		wf := runtime.NewWorkflow("headed").Add(&runtime.Task{ID: "t", Func: fn(func(ctx context.Context, _ *runtime.Context) error {
			m, _ := runtime.MetaFrom(ctx)
			mu.Lock()
			seen = append(seen, m.Headers["trace"]+" "+m.Headers["user"])
			mu.Unlock()
			return nil
		})}).MustBuild()
		r := newRunner(t, &runtime.Config{SubmitHooks: []runtime.SubmitHook{hook}, Logger: slog.New(slog.DiscardHandler)}, wf)
		exec, err := r.ExecuteAsync(ctx, "headed", nil, runtime.WithHeaders(map[string]string{"user": "ada"}), runtime.WithIdempotencyKey("k"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := exec.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if got, want := <-ends, fmt.Sprintf("%s Completed t-%s", exec.ID(), exec.ID()); got != want {
			t.Fatalf("end callback: %q, want %q", got, want)
		}
		mu.Lock()
		if want := []string{"t-" + exec.ID() + " ada"}; !reflect.DeepEqual(seen, want) {
			t.Fatalf("attempts saw headers %v, want %v", seen, want)
		}
		mu.Unlock()
		list, err := r.ListExecutions(ctx, nil)
		if err != nil || len(list) != 1 || list[0].Headers["user"] != "ada" {
			t.Fatalf("listed %+v, %v; want the headers", list, err)
		}
		again, err := r.ExecuteAsync(ctx, "headed", nil, runtime.WithIdempotencyKey("k"))
		if err != nil || again.ID() != exec.ID() {
			t.Fatalf("resubmission: %v, %v", again, err)
		}
		if got := <-ends; !strings.Contains(got, "idempotency key") || !strings.Contains(got, exec.ID()) {
			t.Fatalf("end callback of a taken key: %q", got)
		}
	})
}

// TestSubscribeSurvivesLostConnections terminates every connection of a
// watching runner (its pool and its LISTEN connection) between two
// executions of another runner. The watcher's fallback poll is an hour, so
// it hears of the second execution only once its listener has reconnected;
// its cursor then gives it the whole story, nothing missed or repeated.
func TestSubscribeSurvivesLostConnections(t *testing.T) {
	ctx := context.Background()
	base := postgresURL(t)
	schema := freshSchema(t)
	app := "cloacina_watch_" + strings.ReplaceAll(schema, "cloacina_test_", "")
	worker := newRunner(t, &runtime.Config{DatabaseURL: base, Schema: schema}, chain("etl"))
	watcher := newRunner(t, &runtime.Config{DatabaseURL: withApplicationName(base, app), Schema: schema,
		FallbackPollInterval: time.Hour})
	sub, err := watcher.Subscribe(ctx, runtime.EventFilter{FromNow: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	execute(t, worker, "etl", nil)
	if got := story(nextN(t, sub, len(chainStory))); !reflect.DeepEqual(got, chainStory) {
		t.Fatalf("first run: %v", got)
	}

	killer, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close(ctx)
	var killed int
	if err := killer.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, app).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no connection of the watcher found to terminate")
	}
	res := execute(t, worker, "etl", nil)
	events := nextN(t, sub, len(chainStory))
	if got := story(events); !reflect.DeepEqual(got, chainStory) || events[0].ExecutionID != res.ExecutionID {
		t.Fatalf("after the lost connections: %v of %s, want %v of %s", got, events[0].ExecutionID, chainStory, res.ExecutionID)
	}
}

// TestSubscribeSeesProgressAcrossProcesses: a watcher in another process
// sees a task start while it is still running, before anything has
// finished: the commit of the claim notifies it (its fallback poll is an
// hour), on PostgreSQL by NOTIFY, on SQLite through the data version.
func TestSubscribeSeesProgressAcrossProcesses(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		url, schema := testDatabase(t)
		gate := make(chan struct{})
		wf := runtime.NewWorkflow("gated").Add(&runtime.Task{ID: "hold", Func: fn(func(context.Context, *runtime.Context) error {
			<-gate
			return nil
		})}).MustBuild()
		worker := newRunner(t, &runtime.Config{DatabaseURL: url, Schema: schema}, wf)
		watcher := newRunner(t, &runtime.Config{DatabaseURL: url, Schema: schema, FallbackPollInterval: time.Hour})
		sub, err := watcher.Subscribe(ctx, runtime.EventFilter{FromNow: true})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		exec, err := worker.ExecuteAsync(ctx, "gated", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer close(gate)
		if got := story(nextN(t, sub, 2)); !reflect.DeepEqual(got, []string{"execution_created", "task_started:hold"}) {
			t.Fatalf("watcher saw %v while the task runs", got)
		}
		if st, err := exec.Status(ctx); err != nil || st != runtime.PipelineStatusRunning {
			t.Fatalf("execution is %v, %v; want still running", st, err)
		}
	})
}
