// Package storetest is the conformance suite every storage backend runs from
// its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openFreshStore(t) })
//	}
//
// Each subtest asks for a fresh, empty store, so backends may run them in
// parallel (one schema or file each). Every write passes the time of a
// fake clock (the Now of each call), so the suite never waits for time to
// pass: ageing a heartbeat or reaching a retry time is a step of the clock.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// Run runs the conformance suite. newStore returns an empty store and
// arranges for it to be closed when the test ends.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *suite)
	}{
		{"CreateClaimsRootsOnly", testCreateClaimsRootsOnly},
		{"CompletionReadiesDependents", testCompletionReadiesDependents},
		{"ClaimInCompletionTransaction", testClaimInCompletion},
		{"Retry", testRetry},
		{"FailureSkipsDependents", testFailureSkipsDependents},
		{"RootSkippedAtCreation", testRootSkippedAtCreation},
		{"LostClaimsChangeNothing", testLostClaims},
		{"ConcurrentClaimsAreExclusive", testConcurrentClaims},
		{"HeartbeatAndRecovery", testHeartbeatAndRecovery},
		{"AbandonAfterMaxRecoveries", testAbandon},
		{"FinishExecution", testFinishExecution},
		{"PauseResume", testPauseResume},
		{"WorkflowFilter", testWorkflowFilter},
		{"DecideErrorFailsTask", testDecideError},
		{"RuleTasksReachDecide", testRuleTasks},
		{"OutputUnchangedSharesContext", testOutputUnchanged},
		{"ListAndGet", testListAndGet},
		{"ExecutionIDsWithPrefix", testExecutionIDsWithPrefix},
		{"EventLog", testEventLog},
		{"BadParameters", testBadParameters},
		{"CreateMany", testCreateMany},
		{"IdempotencyKey", testIdempotencyKey},
		{"CancelStartedTasks", testCancelStartedTasks},
		{"OutOfLineValues", testOutOfLineValues},
		{"ErrorDetail", testErrorDetail},
		{"ClaimedTaskFields", testClaimedTaskFields},
		{"CompletionClaimsWhatItReadies", testCompletionClaimsWhatItReadies},
		{"CompletionClaimSkipsPausedAndOtherWorkflows", testCompletionClaimSkips},
		{"ReadyQueueServesOlderExecutionsFirst", testReadyQueueOrder},
		{"ConcurrentCompletionsOfOneJoin", testConcurrentJoin},
		{"ReadEvents", testReadEvents},
		{"ReadEventsFilters", testReadEventsFilters},
		{"ReadEventsConcurrentWriters", testReadEventsConcurrentWriters},
		{"ManyTasksStoredAsFew", testManyTasks},
		{"ManyExecutionsStoredAsOne", testManyExecutions},
	}
	tests = append(tests, scheduleTests...)
	tests = append(tests, historyTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, &suite{Store: newStore(t), now: epoch})
		})
	}
}

// epoch is where every test's clock starts.
var epoch = time.Date(2031, 3, 14, 15, 9, 26, 535000000, time.UTC)

// suite is one test's store and fake clock.
type suite struct {
	store.Store
	mu  sync.Mutex
	now time.Time
}

// at returns the clock's time.
func (s *suite) at() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// advance moves the clock forward.
func (s *suite) advance(d time.Duration) {
	s.mu.Lock()
	s.now = s.now.Add(d)
	s.mu.Unlock()
}

// decide is the suite's DecideFunc: a task runs when every direct
// dependency Completed. Its input is the execution input for a root, the
// dependency's output for one dependency, and otherwise an object
// {"deps":[outputs in order]}.
func decide(in *store.DecideInput) (*store.Decision, error) {
	var direct []store.DepResult
	for _, d := range in.Deps {
		if d.Direct {
			direct = append(direct, d)
		}
	}
	dec := &store.Decision{Run: true}
	for _, d := range direct {
		if d.Output == nil {
			return nil, fmt.Errorf("dependency %q (%s) has no output", d.TaskID, d.State)
		}
		if d.State != store.TaskCompleted {
			dec.Run, dec.Reason = false, fmt.Sprintf("dependency %q is %s", d.TaskID, d.State)
			break
		}
	}
	switch {
	case len(direct) == 0:
		dec.Input = *in.ExecutionInput
	case len(direct) == 1:
		dec.Input = *direct[0].Output
	default:
		var parts []json.RawMessage
		for _, d := range direct {
			parts = append(parts, d.Output.Data)
		}
		data, _ := json.Marshal(map[string]any{"deps": parts})
		dec.Input = store.Doc{Data: data}
	}
	return dec, nil
}

var ctxb = context.Background()

// diamond is a -> (b, c) -> d.
func diamond(id string) *store.NewExecution {
	return &store.NewExecution{
		ID: id, WorkflowName: "diamond", WorkflowVersion: "v1", Input: doc(`{"in":1}`),
		Tasks: []store.TaskSpec{
			{TaskID: "a", MaxAttempts: 3},
			{TaskID: "b", Deps: []string{"a"}, MaxAttempts: 3},
			{TaskID: "c", Deps: []string{"a"}, MaxAttempts: 3},
			{TaskID: "d", Deps: []string{"b", "c"}, MaxAttempts: 3},
		},
	}
}

func doc(data string) store.Doc { return store.Doc{Data: []byte(data)} }

func (s *suite) createWith(t *testing.T, d store.DecideFunc, execs ...*store.NewExecution) *store.CreateExecutionsResult {
	t.Helper()
	res, err := s.CreateExecutions(ctxb, &store.CreateExecutionsParams{RunnerID: "r1", Now: s.at(), Executions: execs, Decide: d})
	if err != nil {
		t.Fatalf("CreateExecutions: %v", err)
	}
	if len(res.Executions) != len(execs) {
		t.Fatalf("CreateExecutions returned %d executions for %d", len(res.Executions), len(execs))
	}
	return res
}

func (s *suite) create(t *testing.T, e *store.NewExecution) *store.Execution {
	t.Helper()
	return s.createWith(t, decide, e).Executions[0]
}

func (s *suite) claimAll(t *testing.T, runner string, limit int) *store.ClaimTasksResult {
	t.Helper()
	res, err := s.ClaimTasks(ctxb, &store.ClaimTasksParams{RunnerID: runner, Now: s.at(), Limit: limit})
	if err != nil {
		t.Fatalf("ClaimTasks: %v", err)
	}
	return res
}

func (s *suite) claim(t *testing.T, runner string, limit int) []*store.ClaimedTask {
	t.Helper()
	return s.claimAll(t, runner, limit).Tasks
}

func ids(tasks []*store.ClaimedTask) []string {
	var out []string
	for _, c := range tasks {
		out = append(out, c.TaskID)
	}
	sort.Strings(out)
	return out
}

func succeed(c *store.ClaimedTask, output string) store.Outcome {
	d := doc(output)
	return store.Outcome{ExecutionID: c.ExecutionID, TaskID: c.TaskID, Attempt: c.Attempt, Kind: store.OutcomeSucceeded, Output: &d}
}

func (s *suite) completeWith(t *testing.T, runner string, d store.DecideFunc, outcomes ...store.Outcome) *store.CompleteTasksResult {
	t.Helper()
	res, err := s.CompleteTasks(ctxb, &store.CompleteTasksParams{RunnerID: runner, Now: s.at(), Outcomes: outcomes, Decide: d})
	if err != nil {
		t.Fatalf("CompleteTasks: %v", err)
	}
	return res
}

func (s *suite) complete(t *testing.T, runner string, outcomes ...store.Outcome) *store.CompleteTasksResult {
	t.Helper()
	return s.completeWith(t, runner, decide, outcomes...)
}

func (s *suite) recoverStale(t *testing.T, staleAfter time.Duration) *store.RecoverStaleResult {
	t.Helper()
	res, err := s.RecoverStale(ctxb, &store.RecoverStaleParams{RunnerID: "sweeper", Now: s.at(), StaleAfter: staleAfter, MaxRecoveries: 3, Decide: decide})
	if err != nil {
		t.Fatalf("RecoverStale: %v", err)
	}
	return res
}

func (s *suite) states(t *testing.T, execID string) map[string]store.TaskState {
	t.Helper()
	tasks, err := s.ListTasks(ctxb, execID)
	if err != nil {
		t.Fatalf("ListTasks: %v", err)
	}
	out := map[string]store.TaskState{}
	for _, tk := range tasks {
		out[tk.TaskID] = tk.State
	}
	return out
}

func (s *suite) task(t *testing.T, execID, id string) *store.Task {
	t.Helper()
	tasks, err := s.ListTasks(ctxb, execID)
	if err != nil {
		t.Fatalf("ListTasks: %v", err)
	}
	for _, tk := range tasks {
		if tk.TaskID == id {
			return tk
		}
	}
	t.Fatalf("no task %s in %s", id, execID)
	return nil
}

func (s *suite) exec(t *testing.T, id string) *store.Execution {
	t.Helper()
	e, err := s.GetExecution(ctxb, id)
	if err != nil {
		t.Fatalf("GetExecution: %v", err)
	}
	return e
}

func (s *suite) wantStates(t *testing.T, execID string, want map[string]store.TaskState) {
	t.Helper()
	if got := s.states(t, execID); !reflect.DeepEqual(got, want) {
		t.Fatalf("task states = %v, want %v", got, want)
	}
}

func data(d *store.Doc) string {
	if d == nil {
		return "<nil>"
	}
	return string(d.Data)
}

func testCreateClaimsRootsOnly(t *testing.T, s *suite) {
	e := s.create(t, diamond("e1"))
	if e.State != store.ExecutionPending || e.TasksTotal != 4 || string(e.Input.Data) != `{"in":1}` || !e.CreatedAt.Equal(epoch) {
		t.Fatalf("created execution = %+v", e)
	}
	if got := s.exec(t, "e1"); !got.CreatedAt.Equal(epoch) || got.Tenant != "public" {
		t.Fatalf("stored execution = %+v (created at the clock's time, default tenant)", got)
	}
	s.wantStates(t, "e1", map[string]store.TaskState{"a": store.TaskReady, "b": store.TaskNotStarted, "c": store.TaskNotStarted, "d": store.TaskNotStarted})
	s.advance(time.Second)
	got := s.claim(t, "r1", 10)
	if len(got) != 1 || got[0].TaskID != "a" || got[0].Attempt != 1 || got[0].MaxAttempts != 3 {
		t.Fatalf("claimed %+v", got)
	}
	c := got[0]
	if c.WorkflowName != "diamond" || c.WorkflowVersion != "v1" || string(c.Input.Data) != `{"in":1}` {
		t.Fatalf("claimed task fields = %+v input %s", c, c.Input.Data)
	}
	if again := s.claim(t, "r2", 10); len(again) != 0 {
		t.Fatalf("a running task was claimed twice: %v", ids(again))
	}
	ex := s.exec(t, "e1")
	if ex.State != store.ExecutionRunning || !ex.StartedAt.Equal(epoch.Add(time.Second)) {
		t.Fatalf("execution after first claim = %s started %v", ex.State, ex.StartedAt)
	}
	tk := s.task(t, "e1", "a")
	if tk.State != store.TaskRunning || tk.ClaimedBy != "r1" || tk.Attempt != 1 || !tk.StartedAt.Equal(epoch.Add(time.Second)) {
		t.Fatalf("claimed task row = %+v", tk)
	}
	if data(tk.Input) != `{"in":1}` || tk.Output != nil {
		t.Fatalf("claimed task input %s output %s", data(tk.Input), data(tk.Output))
	}
}

func testCompletionReadiesDependents(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	a := s.claim(t, "r1", 10)[0]
	res := s.complete(t, "r1", succeed(a, `{"a":1}`))
	if res.Readied != 2 || len(res.Lost) != 0 || len(res.Finished) != 0 {
		t.Fatalf("complete a = %+v", res)
	}
	bc := s.claim(t, "r1", 10)
	if !reflect.DeepEqual(ids(bc), []string{"b", "c"}) {
		t.Fatalf("claimed %v, want b c", ids(bc))
	}
	for _, c := range bc {
		if string(c.Input.Data) != `{"a":1}` {
			t.Fatalf("%s input = %s, want a's output", c.TaskID, c.Input.Data)
		}
	}
	byID := map[string]*store.ClaimedTask{bc[0].TaskID: bc[0], bc[1].TaskID: bc[1]}
	s.complete(t, "r1", succeed(byID["c"], `{"c":3}`))
	if got := s.claim(t, "r1", 10); len(got) != 0 {
		t.Fatalf("d claimed before b finished: %v", ids(got))
	}
	res = s.complete(t, "r1", succeed(byID["b"], `{"b":2}`))
	if res.Readied != 1 {
		t.Fatalf("Readied = %d, want 1 (d)", res.Readied)
	}
	d := s.claim(t, "r1", 10)
	if len(d) != 1 || d[0].TaskID != "d" {
		t.Fatalf("claimed %v, want d", ids(d))
	}
	// Inputs merge in deps order: b then c.
	if string(d[0].Input.Data) != `{"deps":[{"b":2},{"c":3}]}` {
		t.Fatalf("d input = %s", d[0].Input.Data)
	}
	s.advance(time.Minute)
	res = s.complete(t, "r1", succeed(d[0], `{"d":4}`))
	if len(res.Finished) != 1 || !finishedAs(res.Finished[0], "e1", store.ExecutionCompleted) {
		t.Fatalf("Finished = %+v", res.Finished)
	}
	ex := s.exec(t, "e1")
	if ex.State != store.ExecutionCompleted || !ex.CompletedAt.Equal(epoch.Add(time.Minute)) || ex.Error != "" || ex.TasksFailed != 0 {
		t.Fatalf("execution = %+v", ex)
	}
	if out := s.task(t, "e1", "d"); data(out.Output) != `{"d":4}` || data(out.Input) != `{"deps":[{"b":2},{"c":3}]}` {
		t.Fatalf("d input %s output %s", data(out.Input), data(out.Output))
	}
}

func testClaimInCompletion(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	a := s.claim(t, "r1", 10)[0]
	res, err := s.CompleteTasks(ctxb, &store.CompleteTasksParams{
		RunnerID: "r1", Now: s.at(), Outcomes: []store.Outcome{succeed(a, `{}`)}, Decide: decide, ClaimLimit: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Claimed == nil || len(res.Claimed.Tasks) != 1 {
		t.Fatalf("claimed in completion = %+v", res.Claimed)
	}
	first := res.Claimed.Tasks[0]
	if first.TaskID != "b" && first.TaskID != "c" {
		t.Fatalf("claimed %s, want b or c", first.TaskID)
	}
	rest := s.claim(t, "r1", 10)
	if len(rest) != 1 || rest[0].TaskID == first.TaskID {
		t.Fatalf("then claimed %v", ids(rest))
	}
}

// testCompletionClaimsWhatItReadies: the tasks an outcome readies are
// claimed in the same completion ahead of older ready tasks, exactly as a
// claim would store and return them.
func testCompletionClaimsWhatItReadies(t *testing.T, s *suite) {
	s.create(t, diamond("old")) // its root waits, ready since the epoch
	s.advance(time.Second)
	e := diamond("e1")
	e.Timeout, e.Meta = time.Hour, []byte(`{"k":"v"}`)
	s.create(t, e)
	a, err := s.ClaimTasks(ctxb, &store.ClaimTasksParams{RunnerID: "r1", Now: s.at(), Limit: 1, Workflows: []string{"diamond"}})
	if err != nil || len(a.Tasks) != 1 || a.Tasks[0].ExecutionID != "old" {
		t.Fatalf("first claim = %+v, %v", a, err)
	}
	// Start e1 through its own root, leaving nothing of "old" but what
	// its a readies.
	ea := s.claim(t, "r1", 1)[0]
	if ea.ExecutionID != "e1" {
		t.Fatalf("claimed %s/%s, want e1/a", ea.ExecutionID, ea.TaskID)
	}
	s.create(t, diamond("later")) // ready now, older than what e1's a readies
	s.advance(time.Second)
	res, err := s.CompleteTasks(ctxb, &store.CompleteTasksParams{
		RunnerID: "r1", Now: s.at(), Outcomes: []store.Outcome{succeed(ea, `{"a":1}`)}, Decide: decide, ClaimLimit: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res.Claimed.Tasks); !reflect.DeepEqual(got, []string{"b", "c"}) {
		t.Fatalf("claimed in completion %v, want b and c of e1", got)
	}
	for _, c := range res.Claimed.Tasks {
		if c.ExecutionID != "e1" || c.Attempt != 1 || c.MaxAttempts != 3 || data(&c.Input) != `{"a":1}` ||
			!c.ReadyAt.Equal(s.at()) || !c.Deadline.Equal(epoch.Add(time.Second+time.Hour)) || string(c.Meta) != `{"k":"v"}` ||
			c.WorkflowName != "diamond" || c.WorkflowVersion != "v1" {
			t.Fatalf("claimed %+v", c)
		}
		tk := s.task(t, "e1", c.TaskID)
		if tk.State != store.TaskRunning || tk.ClaimedBy != "r1" || tk.Attempt != 1 || !tk.StartedAt.Equal(s.at()) {
			t.Fatalf("stored %+v", tk)
		}
	}
	if res.Readied != 0 {
		t.Fatalf("Readied = %d; the readied tasks were all claimed", res.Readied)
	}
	events, err := s.ListEvents(ctxb, "e1")
	if err != nil {
		t.Fatal(err)
	}
	started := map[string]int{}
	for _, ev := range events {
		if ev.Kind == store.EventTaskStarted {
			started[ev.TaskID] = ev.Attempt
		}
	}
	if !reflect.DeepEqual(started, map[string]int{"a": 1, "b": 1, "c": 1}) {
		t.Fatalf("task_started events %v", started)
	}
	// The claims are claims like any other: heartbeats hold them and
	// their outcomes count.
	hb, err := s.Heartbeat(ctxb, &store.HeartbeatParams{RunnerID: "r1", Now: s.at(), Tasks: []store.TaskRef{
		{ExecutionID: "e1", TaskID: "b", Attempt: 1}, {ExecutionID: "e1", TaskID: "c", Attempt: 1}}})
	if err != nil || len(hb.Lost) != 0 {
		t.Fatalf("heartbeat = %+v, %v", hb, err)
	}
	res = s.complete(t, "r1", succeed(res.Claimed.Tasks[0], `{}`), succeed(res.Claimed.Tasks[1], `{}`))
	if len(res.Lost) != 0 || s.task(t, "e1", "d").State != store.TaskReady {
		t.Fatalf("after b and c: lost %v, d %s", res.Lost, s.task(t, "e1", "d").State)
	}
	if got := s.claim(t, "r1", 10); len(got) != 2 {
		t.Fatalf("the older ready tasks are still claimable: %v", ids(got))
	}
}

// testCompletionClaimSkips: what an outcome readies is not claimed with it
// when a claim would not take it: its execution is paused, or its workflow
// is not among the claim's.
func testCompletionClaimSkips(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	a := s.claim(t, "r1", 1)[0]
	if _, err := s.SetPaused(ctxb, &store.SetPausedParams{ExecutionID: "e1", Paused: true, Now: s.at()}); err != nil {
		t.Fatal(err)
	}
	res, err := s.CompleteTasks(ctxb, &store.CompleteTasksParams{
		RunnerID: "r1", Now: s.at(), Outcomes: []store.Outcome{succeed(a, `{}`)}, Decide: decide, ClaimLimit: 10,
	})
	if err != nil || len(res.Claimed.Tasks) != 0 {
		t.Fatalf("claimed from a paused execution: %+v, %v", res.Claimed, err)
	}
	s.wantStates(t, "e1", map[string]store.TaskState{"a": store.TaskCompleted, "b": store.TaskReady, "c": store.TaskReady, "d": store.TaskNotStarted})

	s.create(t, diamond("e2"))
	a = s.claim(t, "r1", 1)[0]
	res, err = s.CompleteTasks(ctxb, &store.CompleteTasksParams{
		RunnerID: "r1", Now: s.at(), Outcomes: []store.Outcome{succeed(a, `{}`)}, Decide: decide, ClaimLimit: 10,
		ClaimWorkflows: []string{"other"},
	})
	if err != nil || len(res.Claimed.Tasks) != 0 {
		t.Fatalf("claimed another workflow's tasks: %+v, %v", res.Claimed, err)
	}
	s.wantStates(t, "e2", map[string]store.TaskState{"a": store.TaskCompleted, "b": store.TaskReady, "c": store.TaskReady, "d": store.TaskNotStarted})
}

// testReadyQueueOrder: tasks readied by their dependencies queue at their
// execution's creation, so an execution in progress goes before roots of
// executions created after it, while claims still report when each task
// became claimable.
func testReadyQueueOrder(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	a := s.claim(t, "r1", 1)[0]
	s.advance(time.Second)
	s.create(t, diamond("e2"))
	s.create(t, diamond("e3"))
	s.advance(time.Second)
	s.complete(t, "r1", succeed(a, `{}`)) // readies e1's b and c, after e2's and e3's roots
	got := s.claim(t, "r1", 2)
	if len(got) != 2 || got[0].ExecutionID != "e1" || got[1].ExecutionID != "e1" {
		t.Fatalf("claimed %v of %v; want b and c of e1, the oldest execution, before the newer roots",
			ids(got), []string{got[0].ExecutionID, got[len(got)-1].ExecutionID})
	}
	for _, c := range got {
		if !c.ReadyAt.Equal(s.at()) {
			t.Fatalf("%s ready at %v, want %v (when a completed)", c.TaskID, c.ReadyAt, s.at())
		}
	}
	rest := s.claim(t, "r1", 10)
	if len(rest) != 2 || rest[0].ExecutionID != "e2" || rest[1].ExecutionID != "e3" {
		t.Fatalf("then claimed %d tasks, want the roots of e2 and e3 in that order", len(rest))
	}
}

func testRetry(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	s.claim(t, "r1", 10)
	s.complete(t, "r1", store.Outcome{ExecutionID: "e1", TaskID: "a", Attempt: 1, Kind: store.OutcomeRetry, Error: "boom", RetryDelay: 0})
	if st := s.task(t, "e1", "a"); st.State != store.TaskReady || st.Error != "boom" || st.ClaimedBy != "" {
		t.Fatalf("after retry outcome: %+v", st)
	}
	a2 := s.claim(t, "r1", 10)
	if len(a2) != 1 || a2[0].Attempt != 2 {
		t.Fatalf("re-claim = %+v", a2)
	}
	s.complete(t, "r1", store.Outcome{ExecutionID: "e1", TaskID: "a", Attempt: 2, Kind: store.OutcomeRetry, Error: "again", RetryDelay: time.Hour})
	res := s.claimAll(t, "r1", 10)
	if len(res.Tasks) != 0 {
		t.Fatalf("claimed a task waiting for its retry delay: %v", ids(res.Tasks))
	}
	if want := s.at().Add(time.Hour); !res.NextRetryAt.Equal(want) {
		t.Fatalf("NextRetryAt = %v, want %v (an hour after the outcome)", res.NextRetryAt, want)
	}
	if rt := s.task(t, "e1", "a").RetryAt; !rt.Equal(res.NextRetryAt) {
		t.Fatalf("task RetryAt %v != NextRetryAt %v", rt, res.NextRetryAt)
	}
	s.advance(time.Hour - time.Millisecond)
	if got := s.claim(t, "r1", 10); len(got) != 0 {
		t.Fatalf("claimed a millisecond before the retry time: %v", ids(got))
	}
	s.advance(time.Millisecond)
	if got := s.claim(t, "r1", 10); len(got) != 1 || got[0].Attempt != 3 {
		t.Fatalf("at the retry time claimed %+v, want attempt 3", got)
	}
}

func testFailureSkipsDependents(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	a := s.claim(t, "r1", 10)[0]
	res := s.complete(t, "r1", store.Outcome{ExecutionID: "e1", TaskID: "a", Attempt: a.Attempt, Kind: store.OutcomeFailed, Error: "disk full"})
	s.wantStates(t, "e1", map[string]store.TaskState{"a": store.TaskFailed, "b": store.TaskSkipped, "c": store.TaskSkipped, "d": store.TaskSkipped})
	if len(res.Finished) != 1 || res.Finished[0].State != store.ExecutionFailed {
		t.Fatalf("Finished = %+v", res.Finished)
	}
	ex := s.exec(t, "e1")
	if ex.State != store.ExecutionFailed || ex.TasksFailed != 1 || !strings.Contains(ex.Error, `task "a" failed: disk full`) {
		t.Fatalf("execution = %+v", ex)
	}
	b := s.task(t, "e1", "b")
	if b.SkipReason != `dependency "a" is failed` || data(b.Output) != `{"in":1}` {
		t.Fatalf("b = reason %q output %s (a failed task passes its input through)", b.SkipReason, data(b.Output))
	}
	if d := s.task(t, "e1", "d"); d.SkipReason != `dependency "b" is skipped` {
		t.Fatalf("d skip reason %q", d.SkipReason)
	}
	if fa := s.task(t, "e1", "a"); fa.Error != "disk full" || fa.CompletedAt.IsZero() || data(fa.Output) != `{"in":1}` {
		t.Fatalf("a = %+v", fa)
	}
}

func testRootSkippedAtCreation(t *testing.T, s *suite) {
	skipA := func(in *store.DecideInput) (*store.Decision, error) {
		if in.TaskID == "a" {
			return &store.Decision{Run: false, Reason: "not today", Input: *in.ExecutionInput}, nil
		}
		return decide(in)
	}
	res := s.createWith(t, skipA, diamond("e1"))
	s.wantStates(t, "e1", map[string]store.TaskState{"a": store.TaskSkipped, "b": store.TaskSkipped, "c": store.TaskSkipped, "d": store.TaskSkipped})
	if ex := s.exec(t, "e1"); ex.State != store.ExecutionCompleted {
		t.Fatalf("an execution whose tasks were all skipped is %s, want completed", ex.State)
	}
	if len(res.Finished) != 1 || !finishedAs(res.Finished[0], "e1", store.ExecutionCompleted) ||
		res.Executions[0].State != store.ExecutionCompleted {
		t.Fatalf("CreateExecutions = %+v, finished %+v; want the execution reported finished at creation", res.Executions[0], res.Finished)
	}
}

func testLostClaims(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	a := s.claim(t, "r1", 10)[0]
	wrongRunner := s.complete(t, "r2", succeed(a, `{"x":1}`))
	wrongAttempt := s.complete(t, "r1", store.Outcome{ExecutionID: "e1", TaskID: "a", Attempt: 7, Kind: store.OutcomeSucceeded})
	unknown := s.complete(t, "r1", store.Outcome{ExecutionID: "nope", TaskID: "a", Attempt: 1, Kind: store.OutcomeSucceeded})
	notRunning := s.complete(t, "r1", store.Outcome{ExecutionID: "e1", TaskID: "b", Attempt: 0, Kind: store.OutcomeFailed, Error: "x"})
	for name, res := range map[string]*store.CompleteTasksResult{"wrong runner": wrongRunner, "wrong attempt": wrongAttempt, "unknown": unknown, "not running": notRunning} {
		if len(res.Lost) != 1 || res.Readied != 0 {
			t.Fatalf("%s: result %+v, want one lost outcome", name, res)
		}
	}
	s.wantStates(t, "e1", map[string]store.TaskState{"a": store.TaskRunning, "b": store.TaskNotStarted, "c": store.TaskNotStarted, "d": store.TaskNotStarted})
	res := s.complete(t, "r1", succeed(a, `{}`))
	if len(res.Lost) != 0 || res.Readied != 2 {
		t.Fatalf("the owner's completion = %+v", res)
	}
}

func testConcurrentClaims(t *testing.T, s *suite) {
	const execs, width = 10, 20
	for i := 0; i < execs; i++ {
		e := &store.NewExecution{ID: fmt.Sprintf("e%d", i), WorkflowName: "wide", WorkflowVersion: "v"}
		for j := 0; j < width; j++ {
			e.Tasks = append(e.Tasks, store.TaskSpec{TaskID: fmt.Sprintf("t%d", j), MaxAttempts: 1})
		}
		s.create(t, e)
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(runner string) {
			defer wg.Done()
			for {
				res, err := s.ClaimTasks(ctxb, &store.ClaimTasksParams{RunnerID: runner, Now: s.at(), Limit: 7})
				if err != nil {
					errs <- err
					return
				}
				if len(res.Tasks) == 0 {
					return
				}
				mu.Lock()
				for _, c := range res.Tasks {
					key := c.ExecutionID + "/" + c.TaskID
					if prev, dup := seen[key]; dup {
						errs <- fmt.Errorf("%s claimed by %s and %s", key, prev, runner)
					}
					seen[key] = runner
				}
				mu.Unlock()
			}
		}(fmt.Sprintf("runner-%d", w))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != execs*width {
		t.Fatalf("claimed %d tasks, want %d", len(seen), execs*width)
	}
}

func testHeartbeatAndRecovery(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	a := s.claim(t, "r1", 10)[0]
	ref := store.TaskRef{ExecutionID: "e1", TaskID: "a", Attempt: a.Attempt}
	s.advance(10 * time.Second)
	hb, err := s.Heartbeat(ctxb, &store.HeartbeatParams{RunnerID: "r1", Now: s.at(), Tasks: []store.TaskRef{ref}})
	if err != nil || len(hb.Lost) != 0 {
		t.Fatalf("Heartbeat = %+v, %v", hb, err)
	}
	// The heartbeat renewed the claim: 10s after the claim it is fresh.
	s.advance(5 * time.Second)
	if rec := s.recoverStale(t, 10*time.Second); len(rec.Requeued)+len(rec.Abandoned) != 0 {
		t.Fatalf("RecoverStale 5s after a heartbeat, stale after 10s = %+v", rec)
	}
	s.advance(5*time.Second + time.Millisecond)
	rec := s.recoverStale(t, 10*time.Second)
	if len(rec.Requeued) != 1 || rec.Requeued[0] != ref {
		t.Fatalf("RecoverStale = %+v", rec)
	}
	if tk := s.task(t, "e1", "a"); tk.State != store.TaskReady || tk.Recoveries != 1 || tk.ClaimedBy != "" {
		t.Fatalf("recovered task = %+v", tk)
	}
	hb, err = s.Heartbeat(ctxb, &store.HeartbeatParams{RunnerID: "r1", Now: s.at(), Tasks: []store.TaskRef{ref}})
	if err != nil || len(hb.Lost) != 1 {
		t.Fatalf("the old owner's heartbeat = %+v, %v; want the task reported lost", hb, err)
	}
	again := s.claim(t, "r2", 10)
	if len(again) != 1 || again[0].Attempt != 2 {
		t.Fatalf("re-claim after recovery = %+v (the recovered attempt counts)", again)
	}
	if res := s.complete(t, "r1", succeed(a, `{"stale":true}`)); len(res.Lost) != 1 {
		t.Fatalf("the old owner's late completion = %+v, want lost", res)
	}
	res := s.complete(t, "r2", succeed(again[0], `{"fresh":true}`))
	if len(res.Lost) != 0 || res.Readied != 2 {
		t.Fatalf("the new owner's completion = %+v", res)
	}
	if out := s.task(t, "e1", "a").Output; data(out) != `{"fresh":true}` {
		t.Fatalf("output = %s", data(out))
	}
}

func testAbandon(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	for i := 0; i <= 3; i++ {
		got := s.claim(t, "dead", 10)
		if len(got) != 1 || got[0].Attempt != i+1 {
			t.Fatalf("claim %d = %+v", i, got)
		}
		s.advance(time.Minute)
		rec := s.recoverStale(t, 30*time.Second)
		if i < 3 && len(rec.Requeued) != 1 {
			t.Fatalf("sweep %d = %+v, want requeued", i, rec)
		}
		if i == 3 {
			if len(rec.Abandoned) != 1 || len(rec.Finished) != 1 || rec.Finished[0].State != store.ExecutionFailed {
				t.Fatalf("sweep after 3 recoveries = %+v, want abandoned and the execution failed", rec)
			}
		}
	}
	a := s.task(t, "e1", "a")
	if a.State != store.TaskFailed || !strings.Contains(a.Error, "abandoned: runner dead stopped heartbeating") || a.Recoveries != 3 {
		t.Fatalf("abandoned task = %+v", a)
	}
	s.wantStates(t, "e1", map[string]store.TaskState{"a": store.TaskFailed, "b": store.TaskSkipped, "c": store.TaskSkipped, "d": store.TaskSkipped})
}

func testFinishExecution(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	a := s.claim(t, "r1", 10)[0]
	changed, err := s.FinishExecution(ctxb, &store.FinishExecutionParams{ExecutionID: "e1", State: store.ExecutionCancelled, Reason: "cancelled by user", RunnerID: "r1", Now: s.at()})
	if err != nil || !changed {
		t.Fatalf("FinishExecution = %v, %v", changed, err)
	}
	ex := s.exec(t, "e1")
	if ex.State != store.ExecutionCancelled || ex.Error != "cancelled by user" || ex.CompletedAt.IsZero() {
		t.Fatalf("execution = %+v", ex)
	}
	s.wantStates(t, "e1", map[string]store.TaskState{"a": store.TaskCancelled, "b": store.TaskSkipped, "c": store.TaskSkipped, "d": store.TaskSkipped})
	if res := s.complete(t, "r1", succeed(a, `{}`)); len(res.Lost) != 1 {
		t.Fatalf("completing a task of a cancelled execution = %+v, want lost", res)
	}
	changed, err = s.FinishExecution(ctxb, &store.FinishExecutionParams{ExecutionID: "e1", State: store.ExecutionFailed, Reason: "again", Now: s.at()})
	if err != nil || changed {
		t.Fatalf("second FinishExecution = %v, %v; want no change", changed, err)
	}
	if _, err := s.FinishExecution(ctxb, &store.FinishExecutionParams{ExecutionID: "nope", State: store.ExecutionCancelled}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("FinishExecution of unknown = %v, want ErrNotFound", err)
	}
	if _, err := s.FinishExecution(ctxb, &store.FinishExecutionParams{ExecutionID: "e1", State: store.ExecutionCompleted}); err == nil {
		t.Fatal("FinishExecution accepted state completed")
	}
}

func testCancelStartedTasks(t *testing.T, s *suite) {
	e := &store.NewExecution{ID: "e1", WorkflowName: "w", WorkflowVersion: "v", Tasks: []store.TaskSpec{
		{TaskID: "running", MaxAttempts: 3}, {TaskID: "retrying", MaxAttempts: 3}, {TaskID: "waiting", MaxAttempts: 3},
		{TaskID: "after", Deps: []string{"running"}, MaxAttempts: 3},
	}}
	s.create(t, e)
	got := s.claim(t, "r1", 2)
	byID := map[string]*store.ClaimedTask{}
	for _, c := range got {
		byID[c.TaskID] = c
	}
	if _, ok := byID["running"]; !ok || len(got) != 2 {
		t.Fatalf("claimed %v", ids(got))
	}
	other := "retrying"
	if _, ok := byID[other]; !ok {
		other = "waiting"
	}
	// One claimed task fails and waits an hour to retry: it has run.
	s.complete(t, "r1", store.Outcome{ExecutionID: "e1", TaskID: other, Attempt: 1, Kind: store.OutcomeRetry, Error: "flaky", RetryDelay: time.Hour})
	s.advance(3 * time.Second)
	if changed, err := s.FinishExecution(ctxb, &store.FinishExecutionParams{ExecutionID: "e1", State: store.ExecutionFailed,
		Reason: "workflow timeout exceeded", RunnerID: "r1", Now: s.at()}); err != nil || !changed {
		t.Fatalf("FinishExecution = %v, %v", changed, err)
	}
	never := "waiting"
	if other == "waiting" {
		never = "retrying"
	}
	s.wantStates(t, "e1", map[string]store.TaskState{"running": store.TaskCancelled, other: store.TaskCancelled,
		never: store.TaskSkipped, "after": store.TaskSkipped})
	run := s.task(t, "e1", "running")
	if run.Attempt != 1 || run.StartedAt.IsZero() || !run.CompletedAt.Equal(s.at()) || run.SkipReason != "workflow timeout exceeded" {
		t.Fatalf("cancelled task = %+v (keeps its attempts and times)", run)
	}
	events, err := s.ListEvents(ctxb, "e1")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, ev := range events {
		if ev.Kind == store.EventTaskCancelled || ev.Kind == store.EventTaskSkipped {
			kinds[ev.TaskID] = ev.Kind
		}
	}
	want := map[string]string{"running": store.EventTaskCancelled, other: store.EventTaskCancelled, never: store.EventTaskSkipped, "after": store.EventTaskSkipped}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("events = %v, want %v", kinds, want)
	}
}

func testPauseResume(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	changed, err := s.SetPaused(ctxb, &store.SetPausedParams{ExecutionID: "e1", Paused: true, Now: s.at()})
	if err != nil || !changed {
		t.Fatalf("pause = %v, %v", changed, err)
	}
	if ex := s.exec(t, "e1"); ex.State != store.ExecutionPaused {
		t.Fatalf("state %s", ex.State)
	}
	if got := s.claim(t, "r1", 10); len(got) != 0 {
		t.Fatalf("claimed from a paused execution: %v", ids(got))
	}
	if changed, _ := s.SetPaused(ctxb, &store.SetPausedParams{ExecutionID: "e1", Paused: true, Now: s.at()}); changed {
		t.Fatal("pausing twice changed something")
	}
	if changed, err := s.SetPaused(ctxb, &store.SetPausedParams{ExecutionID: "e1", Paused: false, Now: s.at()}); err != nil || !changed {
		t.Fatalf("resume = %v, %v", changed, err)
	}
	if ex := s.exec(t, "e1"); ex.State != store.ExecutionPending {
		t.Fatalf("a resumed execution that never started is %s, want pending", ex.State)
	}
	if got := s.claim(t, "r1", 10); len(got) != 1 {
		t.Fatalf("after resume claimed %v", ids(got))
	}
	if _, err := s.SetPaused(ctxb, &store.SetPausedParams{ExecutionID: "nope", Paused: true}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("pause unknown = %v", err)
	}
}

func testWorkflowFilter(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	other := diamond("e2")
	other.WorkflowName = "other"
	s.create(t, other)
	res, err := s.ClaimTasks(ctxb, &store.ClaimTasksParams{RunnerID: "r1", Now: s.at(), Limit: 10, Workflows: []string{"other"}})
	if err != nil || len(res.Tasks) != 1 || res.Tasks[0].ExecutionID != "e2" {
		t.Fatalf("filtered claim = %+v, %v", res, err)
	}
	res, err = s.ClaimTasks(ctxb, &store.ClaimTasksParams{RunnerID: "r1", Now: s.at(), Limit: 10, Workflows: []string{}})
	if err != nil || len(res.Tasks) != 0 {
		t.Fatalf("claim with an empty filter = %+v, %v; want nothing", res, err)
	}
}

func testDecideError(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	a := s.claim(t, "r1", 10)[0]
	failing := func(in *store.DecideInput) (*store.Decision, error) {
		if in.TaskID == "b" {
			return nil, errors.New("workflow not registered")
		}
		return decide(in)
	}
	s.completeWith(t, "r1", failing, succeed(a, `{}`))
	b := s.task(t, "e1", "b")
	if b.State != store.TaskFailed || !strings.Contains(b.Error, "workflow not registered") {
		t.Fatalf("b = %+v", b)
	}
	if c := s.task(t, "e1", "c"); c.State != store.TaskReady {
		t.Fatalf("c = %s, want ready", c.State)
	}
}

func testRuleTasks(t *testing.T, s *suite) {
	var mu sync.Mutex
	var seen []store.DepResult
	spy := func(in *store.DecideInput) (*store.Decision, error) {
		if in.TaskID == "c" {
			mu.Lock()
			seen = append([]store.DepResult(nil), in.Deps...)
			mu.Unlock()
		}
		return decide(in)
	}
	s.createWith(t, spy, &store.NewExecution{
		ID: "e1", WorkflowName: "w", WorkflowVersion: "v",
		Tasks: []store.TaskSpec{
			{TaskID: "a", MaxAttempts: 1},
			{TaskID: "b", Deps: []string{"a"}, MaxAttempts: 1},
			{TaskID: "c", Deps: []string{"b"}, RuleTasks: []string{"a"}, MaxAttempts: 1},
		},
	})
	for _, id := range []string{"a", "b"} {
		c := s.claim(t, "r1", 10)
		if len(c) != 1 || c[0].TaskID != id {
			t.Fatalf("claimed %v, want %s", ids(c), id)
		}
		s.completeWith(t, "r1", spy, succeed(c[0], `{"`+id+`":1}`))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0].TaskID != "b" || !seen[0].Direct || seen[1].TaskID != "a" || seen[1].Direct ||
		seen[1].State != store.TaskCompleted || data(seen[1].Output) != `{"a":1}` {
		t.Fatalf("Decide saw %+v", seen)
	}
}

func testOutputUnchanged(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	s.claim(t, "r1", 10)
	s.complete(t, "r1", store.Outcome{ExecutionID: "e1", TaskID: "a", Attempt: 1, Kind: store.OutcomeSucceeded})
	if out := s.task(t, "e1", "a").Output; data(out) != `{"in":1}` {
		t.Fatalf("unchanged output = %s, want the input", data(out))
	}
	bc := s.claim(t, "r1", 10)
	if len(bc) != 2 || string(bc[0].Input.Data) != `{"in":1}` {
		t.Fatalf("dependents of an unchanged task get its input: %+v", bc)
	}
}

func testExecutionIDsWithPrefix(t *testing.T, s *suite) {
	for _, id := range []string{"01a2-b", "01a2-a", "01a3", "01a", "1", "01b"} {
		s.create(t, diamond(id))
	}
	for _, c := range []struct {
		prefix string
		limit  int
		want   []string
	}{
		{"01a2", 10, []string{"01a2-a", "01a2-b"}},
		{"01a", 10, []string{"01a", "01a2-a", "01a2-b", "01a3"}},
		{"01a", 2, []string{"01a", "01a2-a"}},
		{"01b", 10, []string{"01b"}},
		{"0", 10, []string{"01a", "01a2-a", "01a2-b", "01a3", "01b"}},
		{"01a2-c", 10, nil},
		{"\xff", 10, nil},
		{"01é", 10, nil},
		{"01a\x7f", 10, nil},
	} {
		got, err := s.ExecutionIDsWithPrefix(ctxb, c.prefix, c.limit)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ExecutionIDsWithPrefix(%q, %d) = %v, %v; want %v", c.prefix, c.limit, got, err, c.want)
		}
	}
	if _, err := s.ExecutionIDsWithPrefix(ctxb, "", 10); err == nil {
		t.Error("ExecutionIDsWithPrefix with an empty prefix: no error")
	}
}

func testListAndGet(t *testing.T, s *suite) {
	if _, err := s.GetExecution(ctxb, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetExecution unknown = %v", err)
	}
	if _, err := s.ListTasks(ctxb, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ListTasks unknown = %v", err)
	}
	for i := 0; i < 3; i++ {
		e := diamond(fmt.Sprintf("e%d", i))
		if i == 2 {
			e.WorkflowName = "other"
			e.Timeout = time.Minute
		}
		s.create(t, e)
		s.advance(time.Millisecond) // distinct creation times for the order check
	}
	all, err := s.ListExecutions(ctxb, &store.ListExecutionsParams{})
	if err != nil || len(all) != 3 || all[0].ID != "e2" || all[2].ID != "e0" {
		t.Fatalf("ListExecutions = %v, %v (want newest first)", execIDs(all), err)
	}
	byName, _ := s.ListExecutions(ctxb, &store.ListExecutionsParams{WorkflowName: "diamond"})
	if len(byName) != 2 {
		t.Fatalf("by name = %v", execIDs(byName))
	}
	limited, _ := s.ListExecutions(ctxb, &store.ListExecutionsParams{Limit: 1})
	if len(limited) != 1 {
		t.Fatalf("limit = %v", execIDs(limited))
	}
	byID, _ := s.ListExecutions(ctxb, &store.ListExecutionsParams{IDs: []string{"e0", "e2", "nope"}})
	if !reflect.DeepEqual(execIDs(byID), []string{"e2", "e0"}) {
		t.Fatalf("by ids = %v", execIDs(byID))
	}
	a := s.claim(t, "r1", 1)
	s.complete(t, "r1", store.Outcome{ExecutionID: a[0].ExecutionID, TaskID: "a", Attempt: 1, Kind: store.OutcomeFailed, Error: "x"})
	failed, _ := s.ListExecutions(ctxb, &store.ListExecutionsParams{States: []store.ExecutionState{store.ExecutionFailed}})
	if len(failed) != 1 || failed[0].ID != a[0].ExecutionID {
		t.Fatalf("by state = %v", execIDs(failed))
	}
	due, _ := s.ListExecutions(ctxb, &store.ListExecutionsParams{DeadlineBefore: s.at().Add(2 * time.Minute)})
	if len(due) != 1 || due[0].ID != "e2" || !due[0].Deadline.Equal(epoch.Add(2*time.Millisecond+time.Minute)) {
		t.Fatalf("by deadline = %v (deadline %v)", execIDs(due), due)
	}
	tasks, _ := s.ListTasks(ctxb, "e1")
	var order []string
	for _, tk := range tasks {
		order = append(order, tk.TaskID)
	}
	if !reflect.DeepEqual(order, []string{"a", "b", "c", "d"}) || !reflect.DeepEqual(tasks[3].Deps, []string{"b", "c"}) {
		t.Fatalf("ListTasks order %v deps %v", order, tasks[3].Deps)
	}
}

func execIDs(es []*store.Execution) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func testEventLog(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	a := s.claim(t, "r1", 10)[0]
	s.complete(t, "r1", store.Outcome{ExecutionID: "e1", TaskID: "a", Attempt: a.Attempt, Kind: store.OutcomeRetry, Error: "flaky"})
	a = s.claim(t, "r1", 10)[0]
	s.complete(t, "r1", succeed(a, `{}`))
	for _, c := range s.claim(t, "r1", 10) {
		s.complete(t, "r1", succeed(c, `{}`))
	}
	d := s.claim(t, "r1", 10)[0]
	s.complete(t, "r1", succeed(d, `{}`))
	events, err := s.ListEvents(ctxb, "e1")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	completed := map[string]int{}
	var lastID int64
	for _, e := range events {
		if e.ID <= lastID {
			t.Fatalf("event ids not increasing: %d after %d", e.ID, lastID)
		}
		lastID = e.ID
		if !e.At.Equal(epoch) || e.ExecutionID != "e1" {
			t.Fatalf("event %+v (want the clock's time)", e)
		}
		if e.TaskID == "a" || e.TaskID == "" {
			kinds = append(kinds, e.Kind+":"+e.TaskID)
		}
		if e.Kind == store.EventTaskCompleted {
			completed[e.TaskID]++
		}
	}
	want := []string{"execution_created:", "task_started:a", "task_retrying:a", "task_started:a", "task_completed:a", "execution_completed:"}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("events = %v\nwant %v", kinds, want)
	}
	if !reflect.DeepEqual(completed, map[string]int{"a": 1, "b": 1, "c": 1, "d": 1}) {
		t.Fatalf("completions recorded = %v, want exactly one per task", completed)
	}
	for _, e := range events {
		if e.Kind == store.EventTaskRetrying && (!strings.Contains(e.Message, "flaky") || e.Attempt != 1 || e.RunnerID != "r1") {
			t.Fatalf("retry event = %+v", e)
		}
	}
}

func testBadParameters(t *testing.T, s *suite) {
	one := []store.TaskSpec{{TaskID: "a"}}
	bad := map[string]*store.CreateExecutionsParams{
		"no id":         {Executions: []*store.NewExecution{{WorkflowName: "w", Tasks: one}}, Decide: decide},
		"no workflow":   {Executions: []*store.NewExecution{{ID: "x", Tasks: one}}, Decide: decide},
		"no tasks":      {Executions: []*store.NewExecution{{ID: "x", WorkflowName: "w"}}, Decide: decide},
		"no decide":     {Executions: []*store.NewExecution{{ID: "x", WorkflowName: "w", Tasks: one}}},
		"not in order":  {Executions: []*store.NewExecution{{ID: "x", WorkflowName: "w", Tasks: []store.TaskSpec{{TaskID: "b", Deps: []string{"a"}}, {TaskID: "a"}}}}, Decide: decide},
		"duplicate":     {Executions: []*store.NewExecution{{ID: "x", WorkflowName: "w", Tasks: []store.TaskSpec{{TaskID: "a"}, {TaskID: "a"}}}}, Decide: decide},
		"nothing":       {Decide: decide},
		"missing value": {Executions: []*store.NewExecution{{ID: "x", WorkflowName: "w", Tasks: one, Input: store.Doc{Data: []byte(`{}`), Refs: map[string]string{"k": "abc"}}}}, Decide: decide},
		"same id twice": {Executions: []*store.NewExecution{{ID: "x", WorkflowName: "w", Tasks: one}, {ID: "x", WorkflowName: "w", Tasks: one}}, Decide: decide},
	}
	for name, p := range bad {
		if _, err := s.CreateExecutions(ctxb, p); err == nil {
			t.Fatalf("bad params (%s) accepted", name)
		}
	}
	if got, _ := s.ListExecutions(ctxb, &store.ListExecutionsParams{}); len(got) != 0 {
		t.Fatalf("a rejected execution was stored: %v", execIDs(got))
	}
	s.create(t, diamond("dup"))
	_, err := s.CreateExecutions(ctxb, &store.CreateExecutionsParams{Executions: []*store.NewExecution{diamond("fresh"), diamond("dup")}, Decide: decide})
	if !errors.Is(err, store.ErrDuplicateID) {
		t.Fatalf("duplicate execution id = %v, want ErrDuplicateID", err)
	}
	if got := s.states(t, "dup"); got["a"] != store.TaskReady {
		t.Fatalf("the duplicate attempt changed the stored execution: %v", got)
	}
	if _, err := s.GetExecution(ctxb, "fresh"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an execution created in the same call as a duplicate was stored: %v", err)
	}
	if !bytes.Equal(s.exec(t, "dup").Input.Data, []byte(`{"in":1}`)) {
		t.Fatal("input changed")
	}
}

func testCreateMany(t *testing.T, s *suite) {
	var execs []*store.NewExecution
	for i := 0; i < 50; i++ {
		e := diamond(fmt.Sprintf("e%02d", i))
		e.IdempotencyKey, e.Origin, e.OriginName, e.Meta = fmt.Sprintf("key-%d", i), "schedule", "nightly", []byte(`{"traceparent":"x"}`)
		execs = append(execs, e)
	}
	res := s.createWith(t, decide, execs...)
	if res.Readied != 50 {
		t.Fatalf("Readied = %d, want 50 roots", res.Readied)
	}
	for i, e := range res.Executions {
		if e.ID != execs[i].ID || !e.CreatedAt.Equal(epoch) {
			t.Fatalf("execution %d = %+v", i, e)
		}
	}
	got := s.exec(t, "e07")
	if got.IdempotencyKey != "key-7" || got.Origin != "schedule" || got.OriginName != "nightly" || string(got.Meta) != `{"traceparent":"x"}` {
		t.Fatalf("stored execution = %+v", got)
	}
	if n := len(s.claim(t, "r1", 100)); n != 50 {
		t.Fatalf("claimed %d roots, want 50", n)
	}
}

func testOutOfLineValues(t *testing.T, s *suite) {
	big := `"` + strings.Repeat("x", 5000) + `"`
	h := hash(big)
	e := diamond("e1")
	e.Input = store.Doc{Data: []byte(`{"in":1}`), Refs: map[string]string{"big": h}}
	e.Values = []store.Value{{Hash: h, Data: []byte(big)}}
	s.create(t, e)
	a := s.claim(t, "r1", 10)[0]
	if !reflect.DeepEqual(a.Input.Refs, map[string]string{"big": h}) {
		t.Fatalf("claimed input refs = %v", a.Input.Refs)
	}
	vals, err := s.LoadValues(ctxb, "e1", []string{h, "unknown"})
	if err != nil || len(vals) != 1 || string(vals[h]) != big {
		t.Fatalf("LoadValues = %d values, %v", len(vals), err)
	}
	// a adds a second large value and keeps the first by reference.
	big2 := `[` + strings.Repeat("1,", 3000) + `1]`
	h2 := hash(big2)
	out := store.Doc{Data: []byte(`{"in":1,"a":true}`), Refs: map[string]string{"big": h, "more": h2}}
	s.complete(t, "r1", store.Outcome{ExecutionID: "e1", TaskID: "a", Attempt: 1, Kind: store.OutcomeSucceeded, Output: &out,
		Values: []store.Value{{Hash: h2, Data: []byte(big2)}}})
	for _, c := range s.claim(t, "r1", 10) {
		if !reflect.DeepEqual(c.Input.Refs, out.Refs) || string(c.Input.Data) != string(out.Data) {
			t.Fatalf("%s input = %s %v", c.TaskID, c.Input.Data, c.Input.Refs)
		}
	}
	vals, err = s.LoadValues(ctxb, "e1", []string{h, h2})
	if err != nil || string(vals[h]) != big || string(vals[h2]) != big2 {
		t.Fatalf("LoadValues after a = %d values, %v", len(vals), err)
	}
	if other, _ := s.LoadValues(ctxb, "e2", []string{h}); len(other) != 0 {
		t.Fatal("values are kept per execution; another execution saw one")
	}
	if tk := s.task(t, "e1", "a"); !reflect.DeepEqual(tk.Output.Refs, out.Refs) {
		t.Fatalf("stored output refs = %v", tk.Output.Refs)
	}
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func testErrorDetail(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	s.claim(t, "r1", 10)
	detail := []byte(`{"kind":"panic","stack":"main.go:1"}`)
	s.complete(t, "r1", store.Outcome{ExecutionID: "e1", TaskID: "a", Attempt: 1, Kind: store.OutcomeRetry, Error: "boom", ErrorDetail: detail})
	if tk := s.task(t, "e1", "a"); tk.Error != "boom" || string(tk.ErrorDetail) != string(detail) {
		t.Fatalf("after a retry: error %q detail %s", tk.Error, tk.ErrorDetail)
	}
	s.claim(t, "r1", 10)
	s.complete(t, "r1", store.Outcome{ExecutionID: "e1", TaskID: "a", Attempt: 2, Kind: store.OutcomeFailed, Error: "final", ErrorDetail: []byte(`{"kind":"timeout"}`)})
	if tk := s.task(t, "e1", "a"); tk.Error != "final" || string(tk.ErrorDetail) != `{"kind":"timeout"}` {
		t.Fatalf("after the failure: error %q detail %s", tk.Error, tk.ErrorDetail)
	}
}

func testClaimedTaskFields(t *testing.T, s *suite) {
	e := diamond("e1")
	e.Timeout, e.Meta = time.Hour, []byte(`{"k":"v"}`)
	s.create(t, e)
	s.advance(2 * time.Second)
	a := s.claim(t, "r1", 10)[0]
	if !a.ReadyAt.Equal(epoch) || !a.Deadline.Equal(epoch.Add(time.Hour)) || string(a.Meta) != `{"k":"v"}` {
		t.Fatalf("claimed a = ready %v deadline %v meta %s", a.ReadyAt, a.Deadline, a.Meta)
	}
	s.advance(time.Second)
	s.complete(t, "r1", succeed(a, `{}`))
	for _, c := range s.claim(t, "r1", 10) {
		if !c.ReadyAt.Equal(epoch.Add(3 * time.Second)) {
			t.Fatalf("%s ready at %v, want when a completed", c.TaskID, c.ReadyAt)
		}
	}
}

// testConcurrentJoin completes the two middle tasks of many diamonds at
// once, from two runners in parallel: whichever completes last unblocks d,
// and d must see both outputs, even when that transaction waited for the
// other's lock.
func testConcurrentJoin(t *testing.T, s *suite) {
	const n = 200
	var execs []*store.NewExecution
	for i := 0; i < n; i++ {
		execs = append(execs, diamond(fmt.Sprintf("e%02d", i)))
	}
	s.createWith(t, decide, execs...)
	for _, a := range s.claim(t, "r1", 2*n) {
		s.complete(t, "r1", succeed(a, `{}`))
	}
	mid := s.claim(t, "r1", 4*n)
	if len(mid) != 2*n {
		t.Fatalf("claimed %d middle tasks, want %d", len(mid), 2*n)
	}
	var bs, cs []store.Outcome
	for _, c := range mid {
		o := succeed(c, `{"`+c.TaskID+`":1}`)
		if c.TaskID == "b" {
			bs = append(bs, o)
		} else {
			cs = append(cs, o)
		}
	}
	// One outcome per call, so the two goroutines interleave execution by
	// execution.
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, batch := range [][]store.Outcome{bs, cs} {
		wg.Add(1)
		go func(batch []store.Outcome) {
			defer wg.Done()
			for _, o := range batch {
				if _, err := s.CompleteTasks(ctxb, &store.CompleteTasksParams{RunnerID: "r1", Now: s.at(), Outcomes: []store.Outcome{o}, Decide: decide}); err != nil {
					errs <- err
					return
				}
			}
		}(batch)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	ds := s.claim(t, "r1", 4*n)
	if len(ds) != n {
		t.Fatalf("claimed %d joins, want %d", len(ds), n)
	}
	for _, d := range ds {
		if string(d.Input.Data) != `{"deps":[{"b":1},{"c":1}]}` {
			t.Fatalf("%s/d input = %s, want both outputs", d.ExecutionID, d.Input.Data)
		}
	}
}

// testIdempotencyKey: an execution whose idempotency key is stored already
// is not created again; the call returns the stored one in its place, also
// for a key given twice in one call, and stores the others.
func testIdempotencyKey(t *testing.T, s *suite) {
	keyed := func(id, key string) *store.NewExecution {
		e := diamond(id)
		e.IdempotencyKey = key
		return e
	}
	first := s.create(t, keyed("e1", "k1"))
	if first.ID != "e1" || first.IdempotencyKey != "k1" {
		t.Fatalf("first execution %+v", first)
	}
	res := s.createWith(t, decide, keyed("e2", "k1"), keyed("e3", "k2"), keyed("e4", "k2"), diamond("e5"))
	var got []string
	for _, e := range res.Executions {
		got = append(got, e.ID)
	}
	if strings.Join(got, ",") != "e1,e3,e3,e5" {
		t.Fatalf("executions returned %v, want e1,e3,e3,e5 (the stored one for a taken key)", got)
	}
	if res.Executions[0].WorkflowName != "diamond" || res.Executions[0].State != store.ExecutionPending {
		t.Fatalf("the stored execution for a taken key: %+v", res.Executions[0])
	}
	for _, id := range []string{"e2", "e4"} {
		if _, err := s.GetExecution(ctxb, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetExecution(%s) = %v; an execution with a taken key was stored", id, err)
		}
	}
	all, err := s.ListExecutions(ctxb, &store.ListExecutionsParams{})
	if err != nil || len(all) != 3 {
		t.Fatalf("stored %v, %v; want e1, e3 and e5", execIDs(all), err)
	}
	// Only taken keys: nothing new is stored, and the call still answers.
	again := s.createWith(t, decide, keyed("e6", "k1"))
	if again.Executions[0].ID != "e1" {
		t.Fatalf("a call with only a taken key returned %+v", again.Executions[0])
	}
}

// readEvents reads the log from after, filtered as p says, to its end: page
// after page, again while ReadEvents reports events held behind an open
// transaction (on PostgreSQL, perhaps another test's; each try is a round
// trip, and the transaction holding them is a short one). It returns the
// events and the cursor at the end.
func (s *suite) readEvents(t *testing.T, p store.ReadEventsParams) ([]*store.Event, store.Cursor) {
	t.Helper()
	var out []*store.Event
	limit := p.Limit
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := s.ReadEvents(ctxb, &p)
		if err != nil {
			t.Fatalf("ReadEvents(%+v): %v", p, err)
		}
		if res.Next.Less(p.After) {
			t.Fatalf("ReadEvents(%+v) moved the cursor back to %+v", p, res.Next)
		}
		for _, e := range res.Events {
			if !p.After.Less(e.Cursor()) {
				t.Fatalf("ReadEvents(%+v) returned event %+v, not after the cursor", p, e)
			}
			p.After = e.Cursor()
		}
		if len(res.Events) > 0 && res.Next.Less(p.After) {
			t.Fatalf("ReadEvents(%+v): Next %+v is before its last event", p, res.Next)
		}
		out = append(out, res.Events...)
		p.After = res.Next
		if !res.Held && (limit == 0 || len(res.Events) < limit) {
			return out, p.After
		}
		if time.Now().After(deadline) {
			t.Fatalf("ReadEvents held events back for 30s")
		}
	}
}

func eventKeys(events []*store.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.ExecutionID+":"+e.Kind+":"+e.TaskID)
	}
	return out
}

// testReadEvents: the whole log in order, with the workflow of each event,
// page by page, and reading on from a cursor returns only what is new.
func testReadEvents(t *testing.T, s *suite) {
	if head, stored, err := s.EventCursor(ctxb); err != nil || len(stored) != 0 {
		t.Fatalf("EventCursor of an empty log: %v, stored %v", err, stored)
	} else if events, _ := s.readEvents(t, store.ReadEventsParams{After: head}); len(events) != 0 {
		t.Fatalf("events after the end of an empty log = %v", eventKeys(events))
	}
	s.create(t, diamond("e1"))
	a := s.claim(t, "r1", 10)[0]
	s.complete(t, "r1", succeed(a, `{}`))
	all, cur := s.readEvents(t, store.ReadEventsParams{})
	want := []string{"e1:execution_created:", "e1:task_started:a", "e1:task_completed:a"}
	if !reflect.DeepEqual(eventKeys(all), want) {
		t.Fatalf("log = %v\nwant %v", eventKeys(all), want)
	}
	listed, err := s.ListEvents(ctxb, "e1")
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range all {
		if e.WorkflowName != "diamond" || e.WorkflowVersion != "v1" || !e.At.Equal(epoch) || e.RunnerID != "r1" {
			t.Fatalf("event %d = %+v, want workflow diamond v1 by r1 at the clock's time", i, e)
		}
		if e.ID != listed[i].ID || e.Kind != listed[i].Kind {
			t.Fatalf("event %d = %+v; ListEvents has %+v", i, e, listed[i])
		}
	}
	head, stored, err := s.EventCursor(ctxb)
	if err != nil {
		t.Fatal(err)
	}
	// The events after head that were stored already are the last ones
	// of the log: head is before them only because an older transaction
	// was open (on PostgreSQL, perhaps another test's).
	if len(stored) > len(all) {
		t.Fatalf("EventCursor lists %d stored events after it; the log has %d", len(stored), len(all))
	}
	for i, c := range stored {
		if want := all[len(all)-len(stored)+i].Cursor(); c != want {
			t.Fatalf("EventCursor's stored events = %v, want the last %d of the log", stored, len(stored))
		}
	}
	if events, _ := s.readEvents(t, store.ReadEventsParams{After: cur}); len(events) != 0 {
		t.Fatalf("events after the end = %v", eventKeys(events))
	}
	var cursors []store.Cursor
	for _, e := range all {
		cursors = append(cursors, e.Cursor())
	}
	checkBelowBound(t, s, "an event of the log", cursors...)

	// New events come after either cursor, and only they.
	for _, c := range s.claim(t, "r1", 10) {
		s.complete(t, "r1", succeed(c, `{}`))
	}
	d := s.claim(t, "r1", 10)[0]
	s.complete(t, "r1", succeed(d, `{}`))
	more, end := s.readEvents(t, store.ReadEventsParams{After: cur})
	if len(more) != 7 || more[len(more)-1].Kind != store.EventExecutionCompleted {
		t.Fatalf("new events = %v, want the 7 of b, c, d and the execution's end", eventKeys(more))
	}
	fromHead, _ := s.readEvents(t, store.ReadEventsParams{After: head})
	skip := map[store.Cursor]bool{}
	for _, c := range stored {
		skip[c] = true
	}
	kept := fromHead[:0]
	for _, e := range fromHead {
		if !skip[e.Cursor()] {
			kept = append(kept, e)
		}
	}
	fromHead = kept
	if !reflect.DeepEqual(eventKeys(fromHead), eventKeys(more)) {
		t.Fatalf("events after EventCursor = %v, want %v", eventKeys(fromHead), eventKeys(more))
	}
	if !cur.Less(end) {
		t.Fatalf("cursor did not move: %+v then %+v", cur, end)
	}

	// Pages of 1, 2 and 3 give the same log, pages ending between any two
	// events, those a transaction appended together included.
	for limit := 1; limit <= 3; limit++ {
		paged, _ := s.readEvents(t, store.ReadEventsParams{Limit: limit})
		if got, want := eventKeys(paged), eventKeys(append(all, more...)); !reflect.DeepEqual(got, want) {
			t.Fatalf("log in pages of %d = %v\nwant %v", limit, got, want)
		}
	}
}

// testReadEventsFilters: by execution, by workflow and by runner; a
// filtered read that finds nothing still moves the cursor on.
func testReadEventsFilters(t *testing.T, s *suite) {
	s.create(t, diamond("e1"))
	other := diamond("e2")
	other.WorkflowName = "other"
	s.create(t, other)
	for _, c := range s.claim(t, "r1", 1) {
		s.complete(t, "r1", succeed(c, `{}`))
	}
	for _, c := range s.claim(t, "r2", 1) {
		s.complete(t, "r2", succeed(c, `{}`))
	}
	all, _ := s.readEvents(t, store.ReadEventsParams{})
	keep := func(f func(e *store.Event) bool) []string {
		var out []string
		for _, e := range all {
			if f(e) {
				out = append(out, e.ExecutionID+":"+e.Kind+":"+e.TaskID)
			}
		}
		return out
	}
	for _, tc := range []struct {
		p    store.ReadEventsParams
		keep func(e *store.Event) bool
	}{
		{store.ReadEventsParams{ExecutionID: "e2"}, func(e *store.Event) bool { return e.ExecutionID == "e2" }},
		{store.ReadEventsParams{WorkflowName: "other"}, func(e *store.Event) bool { return e.WorkflowName == "other" }},
		{store.ReadEventsParams{RunnerID: "r2"}, func(e *store.Event) bool { return e.RunnerID == "r2" }},
		{store.ReadEventsParams{WorkflowName: "diamond", RunnerID: "r2"}, func(e *store.Event) bool {
			return e.WorkflowName == "diamond" && e.RunnerID == "r2"
		}},
	} {
		got, _ := s.readEvents(t, tc.p)
		want := keep(tc.keep)
		if len(want) == 0 || !reflect.DeepEqual(eventKeys(got), want) {
			t.Fatalf("ReadEvents(%+v) = %v, want %v (non-empty)", tc.p, eventKeys(got), want)
		}
		if got[0].WorkflowName == "" {
			t.Fatalf("filtered event without its workflow: %+v", got[0])
		}
	}
	none, cur := s.readEvents(t, store.ReadEventsParams{ExecutionID: "nope"})
	if len(none) != 0 || cur.Less(all[len(all)-1].Cursor()) {
		t.Fatalf("read of no execution = %v, cursor %+v; want nothing and the cursor at the end (%+v)", eventKeys(none), cur, all[len(all)-1].Cursor())
	}
}

// testReadEventsConcurrentWriters: writers racing each other while a
// reader follows the log from its cursor: the reader sees every event
// exactly once, those of one execution in their order, and each at most
// once however often it reads.
func testReadEventsConcurrentWriters(t *testing.T, s *suite) {
	const writers, rounds = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				e := diamond(fmt.Sprintf("w%d-%02d", w, i))
				e.Tasks = e.Tasks[:1]
				if _, err := s.CreateExecutions(ctxb, &store.CreateExecutionsParams{RunnerID: "r1", Now: s.at(), Executions: []*store.NewExecution{e}, Decide: decide}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[string]int{}
	var cur store.Cursor
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true // one more read after the last commit
		default:
		}
		events, next := s.readEvents(t, store.ReadEventsParams{After: cur})
		for _, e := range events {
			seen[e.ExecutionID]++
		}
		cur = next
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != writers*rounds {
		t.Fatalf("the reader saw the creation of %d executions, want %d", len(seen), writers*rounds)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("execution %s: %d creation events seen, want 1", id, n)
		}
	}
}

// finishedAs reports whether fe says that execution id of the diamond
// workflow ended in state at the clock's time, created at the epoch.
func finishedAs(fe store.FinishedExecution, id string, state store.ExecutionState) bool {
	return fe.ID == id && fe.State == state && fe.WorkflowName == "diamond" && fe.CreatedAt.Equal(epoch) && !fe.CompletedAt.Before(epoch)
}

// testManyTasks: an execution of 1,200 tasks, which a store may write by
// another path than a few (PostgreSQL copies them), stores each kind of
// task as an execution of 12 does: ready roots with their input, roots
// skipped or failed at creation, dependents waiting; and it runs on.
func testManyTasks(t *testing.T, s *suite) {
	big := "x" + strings.Repeat("0", 31) // a large value, kept out of line
	mixed := func(id string, k int) *store.NewExecution {
		e := &store.NewExecution{ID: id, WorkflowName: "mixed", WorkflowVersion: "v1",
			Input:  store.Doc{Data: []byte(`{"in":1}`), Refs: map[string]string{"big": "h1"}},
			Values: []store.Value{{Hash: "h1", Data: []byte(`"` + big + `"`)}}}
		for i := range k {
			e.Tasks = append(e.Tasks,
				store.TaskSpec{TaskID: fmt.Sprintf("r%d", i), MaxAttempts: 2},
				store.TaskSpec{TaskID: fmt.Sprintf("s%d", i), MaxAttempts: 2},
				store.TaskSpec{TaskID: fmt.Sprintf("f%d", i), MaxAttempts: 2},
				store.TaskSpec{TaskID: fmt.Sprintf("d%d", i), Deps: []string{fmt.Sprintf("r%d", i)}, RuleTasks: []string{fmt.Sprintf("s%d", i)}, MaxAttempts: 2})
		}
		return e
	}
	kinds := func(in *store.DecideInput) (*store.Decision, error) {
		switch in.TaskID[0] {
		case 's':
			return &store.Decision{Run: false, Reason: "not today", Input: *in.ExecutionInput}, nil
		case 'f':
			return nil, errors.New("no such task")
		}
		return decide(in)
	}
	s.createWith(t, kinds, mixed("few", 3)) // alone: the path of a few tasks
	s.createWith(t, kinds, mixed("many", 300))
	few, err := s.ListTasks(ctxb, "few")
	if err != nil {
		t.Fatal(err)
	}
	many, err := s.ListTasks(ctxb, "many")
	if err != nil {
		t.Fatal(err)
	}
	if len(few) != 12 || len(many) != 1200 {
		t.Fatalf("%d and %d tasks stored, want 12 and 1200", len(few), len(many))
	}
	byID := map[string]*store.Task{}
	for _, tk := range many {
		byID[tk.TaskID] = tk
	}
	for _, want := range few {
		got := byID[want.TaskID]
		if got == nil {
			t.Fatalf("task %s of the large execution is missing", want.TaskID)
		}
		g, w := *got, *want
		g.ExecutionID, w.ExecutionID = "", ""
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("task %s of 1,200 is stored as\n%+v\nof 12 as\n%+v", want.TaskID, g, w)
		}
	}
	states := map[store.TaskState]int{}
	for _, tk := range many {
		states[tk.State]++
	}
	if want := map[store.TaskState]int{store.TaskReady: 300, store.TaskSkipped: 300, store.TaskFailed: 300, store.TaskNotStarted: 300}; !reflect.DeepEqual(states, want) {
		t.Fatalf("states of the 1,200 tasks = %v, want %v", states, want)
	}
	var r0 *store.ClaimedTask
	for _, c := range s.claim(t, "r1", 1000) {
		if c.ExecutionID == "many" && c.TaskID == "r0" {
			r0 = c
		}
	}
	if r0 == nil {
		t.Fatal("r0 of the large execution was not claimed")
	}
	if got, err := s.LoadValues(ctxb, "many", []string{"h1"}); err != nil || string(got["h1"]) != `"`+big+`"` {
		t.Fatalf("the large execution's value = %q, %v", got["h1"], err)
	}
	if res := s.complete(t, "r1", succeed(r0, `{}`)); res.Readied != 1 {
		t.Fatalf("completing r0 readied %d tasks, want its dependent d0", res.Readied)
	}
	if d0 := s.task(t, "many", "d0"); d0.State != store.TaskReady {
		t.Fatalf("d0 = %s after r0 completed, want ready", d0.State)
	}
}

// testManyExecutions: 1,200 executions created at once, which a store may
// write by another path than one (PostgreSQL copies them), are stored as
// one created alone is: every field, the deadline from the timeout, the
// times CreateExecutions returns; and they run.
func testManyExecutions(t *testing.T, s *suite) {
	newExec := func(id string, i int) *store.NewExecution {
		e := diamond(id)
		e.Input = store.Doc{Data: []byte(`{"in":1}`), Refs: map[string]string{"big": "h1"}}
		e.Values = []store.Value{{Hash: "h1", Data: []byte(`"` + strings.Repeat("v", 2000) + `"`)}}
		e.Timeout, e.Origin, e.OriginName, e.Meta = 90*time.Minute, "schedule", "nightly", []byte(`{"traceparent":"x"}`)
		e.IdempotencyKey = fmt.Sprintf("key-%s-%d", id[:1], i)
		if i%2 == 1 {
			e.Timeout, e.Meta, e.IdempotencyKey = 0, nil, "" // the optional fields absent
		}
		return e
	}
	alone := s.createWith(t, decide, newExec("alone-0", 0)).Executions[0]
	aloneOdd := s.createWith(t, decide, newExec("bare-1", 1)).Executions[0]
	var many []*store.NewExecution
	for i := range 1200 {
		many = append(many, newExec(fmt.Sprintf("many-%04d", i), i))
	}
	res := s.createWith(t, decide, many...)
	same := func(got, want *store.Execution, what string) {
		t.Helper()
		g, w := *got, *want
		g.ID, w.ID, g.IdempotencyKey, w.IdempotencyKey = "", "", "", ""
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("%s is stored as\n%+v\nalone as\n%+v", what, g, w)
		}
	}
	for _, i := range []int{0, 1, 598, 1199} {
		want := alone
		if i%2 == 1 {
			want = aloneOdd
		}
		got := s.exec(t, many[i].ID)
		same(got, want, "execution "+many[i].ID+" of 1,200")
		same(res.Executions[i], got, "CreateExecutions' result for "+many[i].ID)
		if got.IdempotencyKey != many[i].IdempotencyKey {
			t.Fatalf("%s has idempotency key %q, want %q", got.ID, got.IdempotencyKey, many[i].IdempotencyKey)
		}
	}
	if got := s.exec(t, "many-0000"); !got.Deadline.Equal(got.CreatedAt.Add(90 * time.Minute)) {
		t.Fatalf("deadline %v for creation %v and a 90m timeout", got.Deadline, got.CreatedAt)
	}
	if got, err := s.LoadValues(ctxb, "many-1199", []string{"h1"}); err != nil || len(got["h1"]) != 2002 {
		t.Fatalf("the value of the last of 1,200: %d bytes, %v", len(got["h1"]), err)
	}
	if n := len(s.claim(t, "r1", 2000)); n != 1202 {
		t.Fatalf("claimed %d roots, want one per execution, 1,202", n)
	}
}
