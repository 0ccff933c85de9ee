package runtime_test

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/runtime/store"
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
	st := sqliteStore(t)
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
	requireCompleted(t, execs...)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.overlaps) > 0 {
		t.Fatalf("%d of %d calls began while another in the air unblocked the same task, first %s",
			len(rec.overlaps), rec.calls, rec.overlaps[0])
	}
}

// slotStore is a real store that says it writes in parallel, and holds
// one claim-only call in the air, once armed, until the outcome of the
// fan-out's root task "a" is sent or a grace period has passed. It records
// which tasks the call recording a's outcome claimed.
type slotStore struct {
	store.Store
	grace time.Duration

	mu         sync.Mutex
	armed      bool
	held       chan struct{} // closed when the armed claim is held
	completing chan struct{} // closed when a's outcome is sent
	claimed    []string      // tasks claimed by the call that recorded a
}

func (s *slotStore) WriteParallelism() int { return 2 }

func (s *slotStore) ClaimTasks(ctx context.Context, p *store.ClaimTasksParams) (*store.ClaimTasksResult, error) {
	s.mu.Lock()
	hold := s.armed
	s.armed = false
	s.mu.Unlock()
	if hold {
		close(s.held)
		select {
		case <-s.completing:
		case <-time.After(s.grace):
		case <-ctx.Done():
		}
	}
	return s.Store.ClaimTasks(ctx, p)
}

func (s *slotStore) CompleteTasks(ctx context.Context, p *store.CompleteTasksParams) (*store.CompleteTasksResult, error) {
	recordsA := false
	for _, oc := range p.Outcomes {
		recordsA = recordsA || oc.TaskID == "a"
	}
	if recordsA {
		close(s.completing)
	}
	res, err := s.Store.CompleteTasks(ctx, p)
	if recordsA && err == nil && res.Claimed != nil {
		s.mu.Lock()
		for _, ct := range res.Claimed.Tasks {
			s.claimed = append(s.claimed, ct.TaskID)
		}
		s.mu.Unlock()
	}
	return res, err
}

// TestFanOutClaimedWithItsParent finishes the root of a fan-out while a
// claim-only call holds most of the runner's slots (as the claim sent on
// another execution's arrival does): the outcome waits for that call to
// land, so the three tasks it readies are claimed in the transaction that
// records it instead of being left for another claim.
func TestFanOutClaimedWithItsParent(t *testing.T) {
	st := sqliteStore(t)
	started, release := make(chan struct{}), make(chan struct{})
	noop := fn(func(context.Context, *runtime.Context) error { return nil })
	fan := runtime.NewWorkflow("fan").
		Add(&runtime.Task{ID: "a", Func: fn(func(context.Context, *runtime.Context) error {
			close(started)
			<-release
			return nil
		})}).
		Add(&runtime.Task{ID: "b", Dependencies: []string{"a"}, Func: noop}).
		Add(&runtime.Task{ID: "c", Dependencies: []string{"a"}, Func: noop}).
		Add(&runtime.Task{ID: "d", Dependencies: []string{"a"}, Func: noop}).
		MustBuild()
	other := runtime.NewWorkflow("other").Add(&runtime.Task{ID: "x", Func: noop}).MustBuild()
	// Without the wait, a's outcome is sent at once and the held claim
	// lets go as it is; with it, nothing is sent while the claim is held,
	// and the grace period ends the hold. It only bounds the test's run.
	rec := &slotStore{Store: st, grace: 300 * time.Millisecond, held: make(chan struct{}), completing: make(chan struct{})}
	r := newRunner(t, &runtime.Config{Store: rec, Concurrency: 8}, fan, other)
	e1, err := r.ExecuteAsync(context.Background(), "fan", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	rec.mu.Lock()
	rec.armed = true
	rec.mu.Unlock()
	e2, err := r.ExecuteAsync(context.Background(), "other", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-rec.held
	close(release)
	requireCompleted(t, e1, e2)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	sort.Strings(rec.claimed)
	if got := strings.Join(rec.claimed, ","); got != "b,c,d" {
		t.Fatalf("the transaction that recorded a claimed [%s]; want b,c,d, the tasks it readied", got)
	}
}
