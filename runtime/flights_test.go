package runtime_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/sqlite"
)

// overlapStore is a real store that says it writes in parallel, so the
// runner keeps two calls in flight, and records every CompleteTasks that
// began while another call in the air recorded an outcome unblocking one
// of the same tasks: on PostgreSQL both transactions would lock that task,
// and the second would wait for the first to commit.
type overlapStore struct {
	store.Store
	wf *runtime.Workflow

	mu       sync.Mutex
	aloft    map[string]int // "execution/task" unblocked by calls in progress
	overlaps []string
	calls    int
}

func (s *overlapStore) WriteParallelism() int { return 2 }

func (s *overlapStore) CompleteTasks(ctx context.Context, p *store.CompleteTasksParams) (*store.CompleteTasksResult, error) {
	var unblocks []string
	for _, oc := range p.Outcomes {
		if oc.Kind == store.OutcomeRetry {
			continue
		}
		for _, d := range s.wf.Dependents(oc.TaskID) {
			unblocks = append(unblocks, oc.ExecutionID+"/"+d)
		}
	}
	s.mu.Lock()
	s.calls++
	for _, k := range unblocks {
		if s.aloft[k] > 0 {
			s.overlaps = append(s.overlaps, k)
		}
	}
	for _, k := range unblocks {
		s.aloft[k]++
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		for _, k := range unblocks {
			s.aloft[k]--
		}
		s.mu.Unlock()
	}()
	return s.Store.CompleteTasks(ctx, p)
}

// TestFlightsDoNotShareADependent runs fan-out/fan-in executions with two
// store calls in flight: outcomes that unblock the same task never go in
// two calls in the air at once (the later one waits for the first to land),
// and every execution completes.
func TestFlightsDoNotShareADependent(t *testing.T) {
	st, err := sqlite.OpenPath(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	noop := fn(func(context.Context, *runtime.Context) error { return nil })
	wf := runtime.NewWorkflow("fan").
		Add(&runtime.Task{ID: "a", Func: noop}).
		Add(&runtime.Task{ID: "b", Dependencies: []string{"a"}, Func: noop}).
		Add(&runtime.Task{ID: "c", Dependencies: []string{"a"}, Func: noop}).
		Add(&runtime.Task{ID: "d", Dependencies: []string{"a"}, Func: noop}).
		Add(&runtime.Task{ID: "e", Dependencies: []string{"b", "c", "d"}, Func: noop}).
		MustBuild()
	rec := &overlapStore{Store: st, wf: wf, aloft: map[string]int{}}
	r := newRunner(t, &runtime.Config{Store: rec, Concurrency: 16}, wf)
	subs := make([]runtime.Submission, 300)
	for i := range subs {
		subs[i] = runtime.Submission{Workflow: "fan"}
	}
	execs, err := r.ExecuteMany(context.Background(), subs)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range execs {
		res, err := e.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != runtime.PipelineStatusCompleted {
			t.Fatalf("execution %s ended %s", e.ID(), res.Status)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.overlaps) > 0 {
		t.Fatalf("%d of %d calls began while another in the air unblocked the same task, first %s",
			len(rec.overlaps), rec.calls, rec.overlaps[0])
	}
}
