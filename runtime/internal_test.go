package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// Every stored state has exactly one status, and back: the converters are
// one table, and this keeps the table whole when a state is added.
func TestStatesMatchTheStore(t *testing.T) {
	seen := map[TaskStatus]bool{}
	for _, st := range store.TaskStates {
		s, err := fromStoreTaskState(st)
		if err != nil || seen[s] || taskStates[s] != st {
			t.Fatalf("task state %q -> %v, %v", st, s, err)
		}
		seen[s] = true
		if s.Terminal() != st.Terminal() {
			t.Fatalf("%s and %q disagree on being terminal", s, st)
		}
	}
	if len(seen) != len(taskStatusNames) || len(taskStates) != len(taskStatusNames) {
		t.Fatalf("%d stored task states, %d statuses", len(seen), len(taskStatusNames))
	}
	execSeen := map[PipelineStatus]bool{}
	for _, st := range store.ExecutionStates {
		s, err := fromStoreExecState(st)
		if err != nil || execSeen[s] {
			t.Fatalf("execution state %q -> %v, %v", st, s, err)
		}
		back, err := toStoreExecState(s)
		if err != nil || back != st || s.Terminal() != st.Terminal() {
			t.Fatalf("execution state %q -> %s -> %q, %v", st, s, back, err)
		}
		execSeen[s] = true
	}
	if len(execSeen) != len(pipelineStatusNames) {
		t.Fatalf("%d stored execution states, %d statuses", len(execSeen), len(pipelineStatusNames))
	}
	if _, err := fromStoreTaskState("exploded"); err == nil {
		t.Fatal("an unknown stored state was accepted")
	}
}

func TestDeadlinesForgetEndedExecutions(t *testing.T) {
	d := newDeadlines(nil)
	t0 := time.Unix(1000, 0)
	d.add("a", t0.Add(3*time.Second))
	d.add("b", t0.Add(1*time.Second))
	d.add("c", t0.Add(2*time.Second))
	d.add("b", t0.Add(time.Hour)) // a second add of the same execution changes nothing
	if next, ok := d.next(); !ok || !next.Equal(t0.Add(time.Second)) {
		t.Fatalf("next = %v, %v", next, ok)
	}
	d.remove("b") // b ended: its deadline must cost nothing
	d.remove("nope")
	if next, _ := d.next(); !next.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("next after removing b = %v", next)
	}
	if got := d.due(t0.Add(2500 * time.Millisecond)); len(got) != 1 || got[0] != "c" {
		t.Fatalf("due = %v, want [c]", got)
	}
	if got := d.due(t0.Add(time.Hour)); len(got) != 1 || got[0] != "a" || d.len() != 0 {
		t.Fatalf("due = %v, left %d", got, d.len())
	}
	if _, ok := d.next(); ok {
		t.Fatal("an empty tracker has a next deadline")
	}
}

func TestRunnerForgetsTheDeadlineOfAFinishedExecution(t *testing.T) {
	reg := NewRegistry()
	reg.MustRegister(NewWorkflow("quick").Add(&Task{ID: "a", Func: func(context.Context, *Context) error { return nil }}).MustBuild())
	ctx := context.Background()
	r, err := NewRunner(ctx, &Config{DatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "t.db"), Registry: reg,
		WorkflowTimeout: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(ctx)
	if _, err := r.Execute(ctx, "quick", nil); err != nil {
		t.Fatal(err)
	}
	if n := r.deadlines.len(); n != 0 {
		t.Fatalf("%d deadlines tracked after the execution completed, want 0", n)
	}
}

// TestSubmissionsShareATransaction checks that calls arriving while a batch
// is being stored are stored together in the next one, each call's
// executions whole, and that every call gets back its own executions.
func TestSubmissionsShareATransaction(t *testing.T) {
	var s submissions
	release := make(chan struct{})
	var mu sync.Mutex
	var batches [][]string
	save := func(_ context.Context, news []*store.NewExecution) ([]*store.Execution, error) {
		var ids []string
		var out []*store.Execution
		for _, ne := range news {
			ids = append(ids, ne.ID)
			out = append(out, &store.Execution{ID: "stored-" + ne.ID})
		}
		mu.Lock()
		first := len(batches) == 0
		batches = append(batches, ids)
		mu.Unlock()
		if first {
			<-release // hold the first batch in flight while others queue
		}
		return out, nil
	}
	one := func(id string) []*store.NewExecution { return []*store.NewExecution{{ID: id}} }
	firstDone := make(chan error)
	go func() {
		res, err := s.create(context.Background(), one("a"), save)
		if err == nil && (len(res) != 1 || res[0].ID != "stored-a") {
			err = fmt.Errorf("first call got %v", res)
		}
		firstDone <- err
	}()
	// Wait until the first call's batch is in flight.
	for {
		mu.Lock()
		n := len(batches)
		mu.Unlock()
		if n == 1 {
			break
		}
		goruntime.Gosched()
	}
	const followers = 8
	errs := make(chan error, followers)
	for i := 0; i < followers; i++ {
		go func() {
			res, err := s.create(context.Background(), []*store.NewExecution{{ID: fmt.Sprintf("f%d", i)}, {ID: fmt.Sprintf("g%d", i)}}, save)
			if err == nil && (len(res) != 2 || res[0].ID != fmt.Sprintf("stored-f%d", i) || res[1].ID != fmt.Sprintf("stored-g%d", i)) {
				err = fmt.Errorf("follower %d got another call's executions: %v, %v", i, res[0], res[1])
			}
			errs <- err
		}()
	}
	// Wait until every follower has queued behind the batch in flight.
	for {
		s.mu.Lock()
		n := len(s.queue)
		s.mu.Unlock()
		if n == followers {
			break
		}
		goruntime.Gosched()
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatalf("first call: %v", err)
	}
	for i := 0; i < followers; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if len(batches) != 2 || len(batches[1]) != 2*followers {
		t.Fatalf("batches %v, want the first call alone, then all %d followers' executions together", batches, followers)
	}
	for i, id := range batches[1] {
		if i%2 == 1 && id[1:] != batches[1][i-1][1:] {
			t.Fatalf("batch %v splits a call's executions", batches[1])
		}
	}
	failed := errors.New("commit failed")
	if _, err := s.create(context.Background(), one("z"), func(context.Context, []*store.NewExecution) ([]*store.Execution, error) {
		return nil, failed
	}); !errors.Is(err, failed) {
		t.Fatalf("a failed batch: %v, want its error", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy || len(s.queue) != 0 {
		t.Fatalf("after the batches: busy %v, queue %d", s.busy, len(s.queue))
	}
}

// TestWaitIgnoresNewsOfAnEarlierEnd: news of an execution's first end can
// arrive after a retry in place has run it again (a PostgreSQL
// notification is sent after its commit, and may come late). Wait must not
// take it for the end of the retry.
func TestWaitIgnoresNewsOfAnEarlierEnd(t *testing.T) {
	release := make(chan struct{})
	var runs atomic.Int32
	noRetry := NoRetry()
	reg := NewRegistry()
	reg.MustRegister(NewWorkflow("twice").Add(&Task{ID: "a", Retry: &noRetry, Func: func(ctx context.Context, _ *Context) error {
		if runs.Add(1) == 1 {
			return errors.New("first run fails")
		}
		<-release
		return nil
	}}).MustBuild())
	ctx := context.Background()
	r, err := NewRunner(ctx, &Config{DatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "t.db"), Registry: reg,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer r.Shutdown(ctx)
	defer unblock() // before Shutdown, which waits for the task
	first, _ := r.Execute(ctx, "twice", nil)
	if first == nil || first.Status != PipelineStatusFailed {
		t.Fatalf("first run: %+v", first)
	}
	ex, err := r.Retry(ctx, first.ExecutionID, RetryModeFailed)
	if err != nil {
		t.Fatal(err)
	}
	r.finished(first.ExecutionID) // the late news of the first end
	waited := make(chan *PipelineResult, 1)
	go func() {
		res, _ := ex.Wait(ctx)
		waited <- res
	}()
	select {
	case res := <-waited:
		t.Fatalf("Wait returned %s while the retry was still running", res.Status)
	case <-time.After(100 * time.Millisecond): // long enough for a wrong return; the right one comes only after release
	}
	unblock()
	if res := <-waited; res == nil || res.Status != PipelineStatusCompleted {
		t.Fatalf("after the retry: %+v, want Completed", res)
	}
}
