package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// historyTests are the conformance cases about the history: recorded
// workflows, retries in place, paged listings, purges and leases.
var historyTests = []struct {
	name string
	fn   func(t *testing.T, s *suite)
}{
	{"HistoryWorkflowRecords", testWorkflowRecords},
	{"HistoryRetryFailedInPlace", testRetryFailedInPlace},
	{"HistoryRetryCancelled", testRetryCancelled},
	{"HistoryRetryRefused", testRetryRefused},
	{"HistoryPagedListing", testPagedListing},
	{"HistoryPurge", testPurge},
	{"HistoryPurgeKeepsCursors", testPurgeKeepsCursors},
	{"HistoryLease", testLease},
}

func testWorkflowRecords(t *testing.T, s *suite) {
	save := func(runner string, recs ...*store.WorkflowRecord) {
		t.Helper()
		if err := s.SaveWorkflows(ctxb, &store.SaveWorkflowsParams{RunnerID: runner, Now: s.at(), Workflows: recs}); err != nil {
			t.Fatalf("SaveWorkflows: %v", err)
		}
	}
	save("r1", &store.WorkflowRecord{Name: "etl", Version: "v1", Definition: []byte(`{"n":1}`)},
		&store.WorkflowRecord{Name: "audit", Version: "a1", Definition: []byte(`{"n":2}`)})
	s.advance(time.Minute)
	save("r2", &store.WorkflowRecord{Name: "etl", Version: "v2", Definition: []byte(`{"n":3}`)})
	s.advance(time.Minute)
	save("r3", &store.WorkflowRecord{Name: "audit", Version: "a1", Definition: []byte(`{"n":4}`)})
	all, err := s.ListWorkflows(ctxb, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range all {
		got = append(got, fmt.Sprintf("%s@%s %s by %s", w.Name, w.Version, w.Definition, w.RecordedBy))
	}
	want := []string{`audit@a1 {"n":4} by r3`, `etl@v2 {"n":3} by r2`, `etl@v1 {"n":1} by r1`}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("ListWorkflows = %q, want %q", got, want)
	}
	if !all[0].RecordedAt.Equal(s.at()) {
		t.Fatalf("audit recorded at %s, want %s (the second record replaces the first)", all[0].RecordedAt, s.at())
	}
	etl, err := s.ListWorkflows(ctxb, "etl")
	if err != nil || len(etl) != 2 || etl[0].Version != "v2" {
		t.Fatalf("ListWorkflows(etl) = %v, %v", etl, err)
	}
	none, err := s.ListWorkflows(ctxb, "nope")
	if err != nil || len(none) != 0 {
		t.Fatalf("ListWorkflows(nope) = %v, %v", none, err)
	}
}

func (s *suite) retry(t *testing.T, id string) *store.RetryExecutionResult {
	t.Helper()
	res, err := s.RetryExecution(ctxb, &store.RetryExecutionParams{ExecutionID: id, RunnerID: "r2", Now: s.at(), Decide: decide})
	if err != nil {
		t.Fatalf("RetryExecution(%s): %v", id, err)
	}
	return res
}

func testRetryFailedInPlace(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	a := s.claim(t, "r1", 10)[0]
	s.complete(t, "r1", succeed(a, `{"a":1}`))
	bc := s.claim(t, "r1", 10)
	if len(bc) != 2 {
		t.Fatalf("claimed %v, want b and c", ids(bc))
	}
	s.complete(t, "r1", succeed(bc[0], `{"b":1}`),
		store.Outcome{ExecutionID: "e1", TaskID: bc[1].TaskID, Attempt: bc[1].Attempt, Kind: store.OutcomeFailed, Error: "boom"})
	s.wantStates(t, "e1", map[string]store.TaskState{"a": store.TaskCompleted, "b": store.TaskCompleted, "c": store.TaskFailed, "d": store.TaskSkipped})
	if ex := s.exec(t, "e1"); ex.State != store.ExecutionFailed || ex.TasksFailed != 1 {
		t.Fatalf("before the retry: %+v", ex)
	}
	s.advance(time.Minute)
	res := s.retry(t, "e1")
	if res.Reset != 2 || res.Readied != 1 || len(res.Finished) != 0 {
		t.Fatalf("RetryExecution = %+v, want c and d reset, c ready", res)
	}
	s.wantStates(t, "e1", map[string]store.TaskState{"a": store.TaskCompleted, "b": store.TaskCompleted, "c": store.TaskReady, "d": store.TaskNotStarted})
	ex := s.exec(t, "e1")
	if ex.State != store.ExecutionRunning || ex.TasksFailed != 0 || ex.Error != "" || !ex.CompletedAt.IsZero() {
		t.Fatalf("after the retry: %+v", ex)
	}
	if b := s.task(t, "e1", "b"); data(b.Output) != `{"b":1}` {
		t.Fatalf("b's output = %s; a completed task keeps its output", data(b.Output))
	}
	c := s.task(t, "e1", "c")
	if c.Attempt != 0 || c.Error != "" || data(c.Input) != `{"a":1}` || c.Output != nil {
		t.Fatalf("c after the retry = %+v", c)
	}
	again := s.claim(t, "r1", 10)
	if len(again) != 1 || again[0].TaskID != "c" || again[0].Attempt != 1 {
		t.Fatalf("claimed %+v, want c at attempt 1", again)
	}
	s.complete(t, "r1", succeed(again[0], `{"c":1}`))
	d := s.claim(t, "r1", 10)
	if len(d) != 1 || d[0].TaskID != "d" {
		t.Fatalf("claimed %v, want d", ids(d))
	}
	fin := s.complete(t, "r1", succeed(d[0], `{"d":1}`))
	if len(fin.Finished) != 1 || !finishedAs(fin.Finished[0], "e1", store.ExecutionCompleted) {
		t.Fatalf("Finished = %+v, want e1 completed", fin.Finished)
	}
	evs, err := s.ListEvents(ctxb, "e1")
	if err != nil {
		t.Fatal(err)
	}
	var retried *store.Event
	for _, e := range evs {
		if e.Kind == store.EventExecutionRetried {
			retried = e
		}
	}
	if retried == nil || retried.RunnerID != "r2" || !strings.Contains(retried.Message, "c, d") {
		t.Fatalf("no execution_retried event by r2 naming c and d in %v", eventKeys(evs))
	}
}

func testRetryCancelled(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	a := s.claim(t, "r1", 10)[0]
	s.complete(t, "r1", succeed(a, `{"a":1}`))
	s.claim(t, "r1", 1) // b (or c) is running when the execution is cancelled
	if _, err := s.FinishExecution(ctxb, &store.FinishExecutionParams{ExecutionID: "e1", State: store.ExecutionCancelled,
		Reason: "cancelled by user", RunnerID: "r1", Now: s.at()}); err != nil {
		t.Fatal(err)
	}
	res := s.retry(t, "e1")
	if res.Reset != 3 || res.Readied != 2 {
		t.Fatalf("RetryExecution = %+v, want b, c and d reset, b and c ready", res)
	}
	s.wantStates(t, "e1", map[string]store.TaskState{"a": store.TaskCompleted, "b": store.TaskReady, "c": store.TaskReady, "d": store.TaskNotStarted})
	for _, c := range s.claim(t, "r1", 10) {
		s.complete(t, "r1", succeed(c, `{}`))
	}
	d := s.claim(t, "r1", 10)
	fin := s.complete(t, "r1", succeed(d[0], `{}`))
	if len(fin.Finished) != 1 || !finishedAs(fin.Finished[0], "e1", store.ExecutionCompleted) {
		t.Fatalf("Finished = %+v", fin.Finished)
	}
}

func testRetryRefused(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	_, err := s.RetryExecution(ctxb, &store.RetryExecutionParams{ExecutionID: "e1", Now: s.at(), Decide: decide})
	if !errors.Is(err, store.ErrNotRetryable) || !strings.Contains(err.Error(), "pending") {
		t.Fatalf("retry of a pending execution: %v, want ErrNotRetryable naming its state", err)
	}
	if _, err := s.RetryExecution(ctxb, &store.RetryExecutionParams{ExecutionID: "nope", Now: s.at(), Decide: decide}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("retry of an unknown execution: %v, want ErrNotFound", err)
	}
	s.wantStates(t, "e1", map[string]store.TaskState{"a": store.TaskReady, "b": store.TaskNotStarted, "c": store.TaskNotStarted, "d": store.TaskNotStarted})
}

func testPagedListing(t *testing.T, s *suite) {
	var all []string
	for i := range 7 {
		e := diamond(fmt.Sprintf("e%d", i))
		if i%2 == 1 {
			e.Origin, e.OriginName = "schedule", "nightly"
		}
		if i == 6 {
			e.WorkflowName = "other"
		}
		s.create(t, e)
		all = append([]string{e.ID}, all...)
		if i != 2 { // e2 and e3 share a creation time: the id breaks the tie
			s.advance(time.Second)
		}
	}
	page := func(p store.ListExecutionsParams) []string {
		t.Helper()
		var got []string
		for {
			es, err := s.ListExecutions(ctxb, &p)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, execIDs(es)...)
			if len(es) < p.Limit {
				return got
			}
			last := es[len(es)-1]
			p.After = store.PageCursor{CreatedAt: last.CreatedAt, ID: last.ID}
		}
	}
	if got := page(store.ListExecutionsParams{Limit: 2}); strings.Join(got, ",") != strings.Join(all, ",") {
		t.Fatalf("pages of 2 = %v, want %v", got, all)
	}
	if got := page(store.ListExecutionsParams{Limit: 2, Origin: "schedule", OriginName: "nightly"}); strings.Join(got, ",") != "e5,e3,e1" {
		t.Fatalf("scheduled = %v", got)
	}
	if got := page(store.ListExecutionsParams{Limit: 3, Origin: store.OriginDirect, WorkflowName: "diamond"}); strings.Join(got, ",") != "e4,e2,e0" {
		t.Fatalf("direct diamond = %v", got)
	}
	if got := page(store.ListExecutionsParams{Limit: 10, CreatedAfter: epoch.Add(time.Second), CreatedBefore: epoch.Add(4 * time.Second)}); strings.Join(got, ",") != "e4,e3,e2" {
		t.Fatalf("created in (1s, 4s) = %v", got)
	}
}

func testPurge(t *testing.T, s *suite) {
	s.create(t, diamond("old"))
	a := s.claim(t, "r1", 10)[0]
	s.complete(t, "r1", store.Outcome{ExecutionID: "old", TaskID: "a", Attempt: a.Attempt, Kind: store.OutcomeFailed, Error: "x"})
	s.create(t, diamond("cancelled"))
	if _, err := s.FinishExecution(ctxb, &store.FinishExecutionParams{ExecutionID: "cancelled", State: store.ExecutionCancelled, Reason: "no", Now: s.at()}); err != nil {
		t.Fatal(err)
	}
	s.create(t, diamond("running"))
	s.claim(t, "r1", 10)
	s.advance(time.Hour)
	s.create(t, diamond("recent"))
	s.FinishExecution(ctxb, &store.FinishExecutionParams{ExecutionID: "recent", State: store.ExecutionCancelled, Reason: "no", Now: s.at()})
	purge := func(states []store.ExecutionState, limit int) int {
		t.Helper()
		n, err := s.PurgeExecutions(ctxb, &store.PurgeParams{Now: s.at(), States: states, CompletedBefore: s.at().Add(-time.Minute), Limit: limit})
		if err != nil {
			t.Fatalf("PurgeExecutions: %v", err)
		}
		return n
	}
	if n := purge([]store.ExecutionState{store.ExecutionFailed}, 0); n != 1 {
		t.Fatalf("purged %d failed, want 1", n)
	}
	if _, err := s.GetExecution(ctxb, "old"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetExecution(old) after the purge: %v", err)
	}
	if evs, err := s.ListEvents(ctxb, "old"); err != nil || len(evs) != 0 {
		t.Fatalf("events of old after the purge = %d, %v", len(evs), err)
	}
	if n := purge(nil, 1); n != 1 {
		t.Fatalf("purged %d, want 1 (cancelled)", n)
	}
	if n := purge(nil, 10); n != 0 {
		t.Fatalf("purged %d more, want 0: running and recent stay", n)
	}
	for _, id := range []string{"running", "recent"} {
		if _, err := s.GetExecution(ctxb, id); err != nil {
			t.Fatalf("GetExecution(%s): %v", id, err)
		}
	}
	if _, err := s.PurgeExecutions(ctxb, &store.PurgeParams{States: []store.ExecutionState{store.ExecutionRunning}}); err == nil {
		t.Fatal("PurgeExecutions accepted state running")
	}
}

// testPurgeKeepsCursors: purging the executions whose events end the log
// leaves a reader's cursor where it was, and the events appended next come
// after it.
func testPurgeKeepsCursors(t *testing.T, s *suite) {
	s.create(t, diamond("last"))
	if _, err := s.FinishExecution(ctxb, &store.FinishExecutionParams{ExecutionID: "last", State: store.ExecutionCancelled, Reason: "no", Now: s.at()}); err != nil {
		t.Fatal(err)
	}
	_, cur := s.readEvents(t, store.ReadEventsParams{})
	s.advance(time.Hour)
	if n, err := s.PurgeExecutions(ctxb, &store.PurgeParams{Now: s.at(), CompletedBefore: s.at().Add(-time.Minute)}); err != nil || n != 1 {
		t.Fatalf("PurgeExecutions = %d, %v; want last purged", n, err)
	}
	checkBelowBound(t, s, "the cursor taken before the purge", cur)
	s.create(t, diamond("next"))
	events, next := s.readEvents(t, store.ReadEventsParams{After: cur})
	if got, want := eventKeys(events), []string{"next:execution_created:"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("events after the cursor taken before the purge = %v, want %v", got, want)
	}
	checkBelowBound(t, s, "the event after the purge", next)
}

// checkBelowBound fails unless every cursor is within EventLogBound (Tx
// at most the bound's, ID below it), as every event's and every reader's
// must be.
func checkBelowBound(t *testing.T, s *suite, what string, cursors ...store.Cursor) {
	t.Helper()
	bound, err := s.EventLogBound(ctxb)
	if err != nil {
		t.Fatalf("EventLogBound: %v", err)
	}
	for _, c := range cursors {
		if c.Tx > bound.Tx || c.ID >= bound.ID {
			t.Fatalf("%s: cursor %+v is past EventLogBound %+v", what, c, bound)
		}
	}
}

func testLease(t *testing.T, s *suite) {
	take := func(owner string) bool {
		t.Helper()
		ok, err := s.AcquireLease(ctxb, &store.LeaseParams{Name: "pruner", Owner: owner, Now: s.at(), TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !take("r1") || take("r2") || !take("r1") {
		t.Fatal("r1 should hold the lease and renew it, r2 not take it")
	}
	s.advance(2 * time.Minute)
	if !take("r2") || take("r1") {
		t.Fatal("r2 should take the expired lease from r1")
	}
}
