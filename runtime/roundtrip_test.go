package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/runtime/store"
)

// customError is a user's own error type: its type name survives the
// store, the type itself cannot.
type customError struct{ code int }

func (e *customError) Error() string { return fmt.Sprintf("custom failure %d", e.code) }

var errSentinel = errors.New("a user's sentinel")

// refusedAddr returns an address nothing listens on.
func refusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// failuresWorkflow has one independent task per kind of failure, and one
// that is refused a connection once and then succeeds.
func failuresWorkflow(addr string) *runtime.Workflow {
	once := runtime.NoRetry()
	transientTwice := runtime.NoRetry()
	transientTwice.MaxAttempts, transientTwice.InitialDelay, transientTwice.Jitter = 2, 0, false
	transientTwice.Condition = runtime.RetryCondition{Kind: runtime.RetryTransient}
	dial := func(ctx context.Context) error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
		}
		return err
	}
	task := func(id string, f runtime.TaskFunc) *runtime.Task {
		return &runtime.Task{ID: id, Func: f, Retry: &once}
	}
	timesOut := task("times_out", fn(func(ctx context.Context, _ *runtime.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}))
	timesOut.Timeout = 20 * time.Millisecond
	return runtime.NewWorkflow("failures").Add(
		task("panics", fn(func(context.Context, *runtime.Context) error { panic("boom") })),
		timesOut,
		task("transient", fn(func(context.Context, *runtime.Context) error {
			return runtime.Transient(errors.New("flaky backend"))
		})),
		task("permanent", fn(func(context.Context, *runtime.Context) error {
			return runtime.Permanent(fmt.Errorf("bad input: %w", errSentinel))
		})),
		task("missing_key", fn(func(_ context.Context, c *runtime.Context) error {
			_, err := runtime.Get[int](c, "nope")
			return err
		})),
		task("refused", fn(func(ctx context.Context, _ *runtime.Context) error { return dial(ctx) })),
		task("custom", fn(func(context.Context, *runtime.Context) error { return &customError{code: 7} })),
		&runtime.Task{ID: "refused_then_ok", Retry: &transientTwice, Func: fn(func(ctx context.Context, _ *runtime.Context) error {
			if m, _ := runtime.MetaFrom(ctx); m.Attempt == 1 {
				return dial(ctx)
			}
			return nil
		})},
	).MustBuild()
}

// checkFailures lists what is wrong with a result of failuresWorkflow, as
// a reader of the store (in any process) sees it.
func checkFailures(res *runtime.PipelineResult) []string {
	var bad []string
	errOf := func(id string) error {
		tr, ok := res.Task(id)
		if !ok || tr.Err == nil {
			bad = append(bad, fmt.Sprintf("%s: no error (%+v)", id, tr))
			return errors.New("none")
		}
		var te *runtime.TaskError
		if !errors.As(tr.Err, &te) || te.TaskID != id {
			bad = append(bad, fmt.Sprintf("%s: error %T is not its *TaskError", id, tr.Err))
		}
		return tr.Err
	}
	expect := func(id string, ok bool, what string) {
		if !ok {
			bad = append(bad, id+": "+what)
		}
	}
	var rec *runtime.RecordedError

	err := errOf("panics")
	var pe *runtime.PanicError
	expect("panics", errors.As(err, &pe) && pe.Value == "boom" && strings.Contains(pe.Stack, "goroutine"), fmt.Sprintf("errors.As *PanicError with value and stack: %v", err))
	expect("panics", !runtime.IsTransient(err), "a panic is not transient")

	err = errOf("times_out")
	var te *runtime.TimeoutError
	expect("times_out", errors.Is(err, context.DeadlineExceeded), "errors.Is context.DeadlineExceeded")
	expect("times_out", errors.As(err, &te) && te.After == 20*time.Millisecond, "errors.As *TimeoutError of 20ms")
	expect("times_out", runtime.IsTransient(err), "a timeout is transient")
	expect("times_out", strings.Contains(err.Error(), "task timed out after 20ms"), "message says the timeout fired: "+err.Error())

	err = errOf("transient")
	expect("transient", runtime.IsTransient(err) && !runtime.IsPermanent(err), "IsTransient")
	expect("transient", strings.Contains(err.Error(), "flaky backend"), "message kept")

	err = errOf("permanent")
	expect("permanent", runtime.IsPermanent(err) && !runtime.IsTransient(err), "IsPermanent")
	expect("permanent", !errors.Is(err, errSentinel), "a user's sentinel cannot survive the store")

	err = errOf("missing_key")
	var ce *runtime.ContextError
	expect("missing_key", errors.As(err, &ce) && ce.Op == "get" && ce.Key == "nope", "errors.As *ContextError get nope")
	expect("missing_key", errors.Is(err, runtime.ErrKeyNotFound), "errors.Is ErrKeyNotFound")

	err = errOf("refused")
	expect("refused", runtime.IsTransient(err), "connection refused is transient")
	expect("refused", errors.As(err, &rec) && rec.Type == "syscall.Errno", fmt.Sprintf("innermost type syscall.Errno, got %+v", rec))

	err = errOf("custom")
	expect("custom", errors.As(err, &rec) && rec.Type == "*runtime_test.customError" && rec.Message == "custom failure 7",
		fmt.Sprintf("type name and message kept, got %+v", rec))

	if tr, _ := res.Task("refused_then_ok"); tr.Status != runtime.TaskStatusCompleted || tr.Attempts != 2 {
		bad = append(bad, fmt.Sprintf("refused_then_ok: %s after %d attempts, want Completed after 2 (retry_condition=transient retries a refused connection)", tr.Status, tr.Attempts))
	}
	return bad
}

func TestErrorsSurviveTheStore(t *testing.T) { forEachBackend(t, testErrorsSurviveTheStore) }

func testErrorsSurviveTheStore(t *testing.T) {
	cfg := &runtime.Config{}
	r := newRunner(t, cfg, failuresWorkflow(refusedAddr(t)))
	res := execute(t, r, "failures", nil)
	if res.Status != runtime.PipelineStatusFailed {
		t.Fatalf("status %s", res.Status)
	}
	for _, b := range checkFailures(res) {
		t.Error(b)
	}
	// A second process, with no workflow registered, reads the same result.
	out, err := readerProcess(t, readerConfig{DatabaseURL: cfg.DatabaseURL, Schema: cfg.Schema, ExecutionID: res.ExecutionID})
	if err != nil {
		t.Fatalf("reader process: %v\n%s", err, out)
	}
}

// readerEnv makes the test binary a reader process (see readerMain).
const readerEnv = "CLOACINA_TEST_READER"

type readerConfig struct {
	DatabaseURL, Schema, ExecutionID string
}

func readerProcess(t *testing.T, cfg readerConfig) ([]byte, error) {
	t.Helper()
	env, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), readerEnv+"="+string(env))
	return cmd.CombinedOutput()
}

// readerMain opens the store, reads one execution's result and checks it
// with checkFailures; the exit code says whether it is right.
func readerMain() int {
	var cfg readerConfig
	if err := json.Unmarshal([]byte(os.Getenv(readerEnv)), &cfg); err != nil {
		fmt.Println("reader config:", err)
		return 2
	}
	ctx := context.Background()
	r, err := runtime.NewRunner(ctx, &runtime.Config{DatabaseURL: cfg.DatabaseURL, Schema: cfg.Schema, Registry: runtime.NewRegistry(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println("start runner:", err)
		return 2
	}
	defer r.Shutdown(ctx)
	e, err := r.Execution(ctx, cfg.ExecutionID)
	if err != nil {
		fmt.Println("execution:", err)
		return 1
	}
	res, err := e.Result(ctx)
	if err != nil {
		fmt.Println("result:", err)
		return 1
	}
	bad := checkFailures(res)
	for _, b := range bad {
		fmt.Println(b)
	}
	if len(bad) > 0 {
		return 1
	}
	return 0
}

func TestExecuteReturnsTheIDWhenItsContextEnds(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		release := make(chan struct{})
		wf := runtime.NewWorkflow("slow").Add(&runtime.Task{ID: "wait", Retry: fastRetry(1),
			Func: fn(func(ctx context.Context, _ *runtime.Context) error {
				select {
				case <-release:
				case <-ctx.Done():
				}
				return nil
			})}).MustBuild()
		r := newRunner(t, nil, wf)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		res, err := r.Execute(ctx, "slow", nil)
		if !errors.Is(err, context.DeadlineExceeded) || res == nil || res.ExecutionID == "" || res.Status.Terminal() {
			t.Fatalf("Execute with an ending context = %+v, %v; want the running execution and the context's error", res, err)
		}
		close(release)
		e, err := r.Execution(context.Background(), res.ExecutionID)
		if err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer wcancel()
		if final, err := e.Wait(wctx); err != nil || final.Status != runtime.PipelineStatusCompleted {
			t.Fatalf("the execution found again by its id: %+v, %v", final, err)
		}
	})
}

func TestAnExecutionEndedAtCreationWakesItsWaiter(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		wf := runtime.NewWorkflow("never").Add(&runtime.Task{ID: "only", Retry: fastRetry(1),
			Trigger: runtime.ContextValue("mode", runtime.OpEquals, "full"),
			Func:    fn(func(context.Context, *runtime.Context) error { return nil })}).MustBuild()
		// With the fallback poll an hour away, only the push wakes Execute.
		r := newRunner(t, &runtime.Config{FallbackPollInterval: time.Hour}, wf)
		res := execute(t, r, "never", nil)
		if res.Status != runtime.PipelineStatusCompleted || taskStatus(t, res, "only").Status != runtime.TaskStatusSkipped {
			t.Fatalf("result %+v", res)
		}
	})
}

// recordingHandler keeps the records logged through it.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r)
	h.mu.Unlock()
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

func (h *recordingHandler) atLeast(level slog.Level) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.records {
		if r.Level >= level {
			out = append(out, r.Message)
		}
	}
	return out
}

func TestCancelLogsNoLostClaims(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		started := make(chan struct{})
		wf := runtime.NewWorkflow("cancel_me").Add(&runtime.Task{ID: "wait", Retry: fastRetry(1),
			Func: fn(func(ctx context.Context, _ *runtime.Context) error {
				close(started)
				<-ctx.Done()
				return ctx.Err()
			})}).MustBuild()
		logs := &recordingHandler{}
		r := newRunner(t, &runtime.Config{Logger: slog.New(logs)}, wf)
		e, err := r.ExecuteAsync(context.Background(), "cancel_me", nil)
		if err != nil {
			t.Fatal(err)
		}
		<-started
		if err := e.Cancel(context.Background()); err != nil {
			t.Fatal(err)
		}
		if res, err := e.Wait(context.Background()); !errors.Is(err, runtime.ErrExecutionCancelled) {
			t.Fatalf("Wait = %+v, %v", res, err)
		}
		// Shutting down waits for the cancelled attempt and records its
		// outcome, which is discarded: that is expected, not a warning.
		if err := r.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if warned := logs.atLeast(slog.LevelWarn); len(warned) > 0 {
			t.Fatalf("a user's cancel logged warnings: %q", warned)
		}
	})
}

func TestMessagesSayWhatIsWrong(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, err := runtime.NewRunner(ctx, &runtime.Config{DatabaseURL: "sqlite://" + dir})
	if err == nil || !strings.Contains(err.Error(), "is a directory, not a database file") || !strings.Contains(err.Error(), filepath.Join(dir, "cloacina.db")) {
		t.Fatalf("a directory as the database = %v", err)
	}
	_, err = runtime.NewRunner(ctx, &runtime.Config{DatabaseURL: "sqlite://" + filepath.Join(dir, "missing", "x.db")})
	if err == nil || !strings.Contains(err.Error(), "create it first") {
		t.Fatalf("a database in a missing directory = %v", err)
	}

	r := newRunner(t, nil)
	_, err = r.Execution(ctx, "nope")
	if !errors.Is(err, runtime.ErrExecutionNotFound) || err.Error() != "execution nope not found" {
		t.Fatalf("unknown execution = %q", err)
	}
	if _, err := r.Cancel(ctx, "nope"); err == nil || err.Error() != "execution nope not found" {
		t.Fatalf("cancel of an unknown execution = %v", err)
	}

	reg := runtime.NewRegistry()
	mk := func(v string) *runtime.Workflow {
		return runtime.NewWorkflow("etl").Add(&runtime.Task{ID: "a", Fingerprint: v, Func: fn(func(context.Context, *runtime.Context) error { return nil })}).MustBuild()
	}
	reg.MustRegister(mk("one"))
	var msg bytes.Buffer
	func() {
		defer func() { fmt.Fprint(&msg, recover()) }()
		reg.MustRegister(mk("two"))
	}()
	if !strings.Contains(msg.String(), "registered by package github.com/cloacina-go/cloacina/runtime_test") ||
		!strings.Contains(msg.String(), "package github.com/cloacina-go/cloacina/runtime_test cannot register") {
		t.Fatalf("duplicate registration panic = %s", msg.String())
	}
}

// stallingStore is a real store whose CompleteTasks waits until its
// context ends, as a hung database would.
type stallingStore struct {
	store.Store
	stall chan struct{} // closed: CompleteTasks stalls from now on
}

func (s *stallingStore) CompleteTasks(ctx context.Context, p *store.CompleteTasksParams) (*store.CompleteTasksResult, error) {
	select {
	case <-s.stall:
		<-ctx.Done()
		return nil, ctx.Err()
	default:
		return s.Store.CompleteTasks(ctx, p)
	}
}

func TestShutdownIsBoundedByItsContext(t *testing.T) {
	st := sqliteStore(t)
	stalling := &stallingStore{Store: st, stall: make(chan struct{})}
	started := make(chan struct{})
	wf := runtime.NewWorkflow("stuck").Add(&runtime.Task{ID: "a", Retry: fastRetry(1),
		Func: fn(func(ctx context.Context, _ *runtime.Context) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})}).MustBuild()
	r := newRunner(t, &runtime.Config{Store: stalling}, wf)
	if _, err := r.ExecuteAsync(context.Background(), "stuck", nil); err != nil {
		t.Fatal(err)
	}
	<-started
	close(stalling.stall) // recording the interrupted attempt will hang
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	begin := time.Now()
	err := r.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want its context's error", err)
	}
	// The bound is the context plus the one-second grace for the last
	// transaction; without it the flush would retry for minutes.
	if took := time.Since(begin); took > 10*time.Second {
		t.Fatalf("Shutdown took %s after its context ended", took)
	}
}
