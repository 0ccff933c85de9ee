// Package storetest is the conformance suite every storage backend runs from
// its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openFreshStore(t) })
//	}
//
// Each subtest asks for a fresh, empty store, so backends may run them in
// parallel (one schema or file each).
package storetest

import (
	"bytes"
	"context"
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
		fn   func(t *testing.T, s store.Store)
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
		{"EventLog", testEventLog},
		{"BadParameters", testBadParameters},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

// decide is the suite's DecideFunc: a task runs when every direct
// dependency Completed. Its input is the execution input for a root, the
// dependency's output (shared) for one dependency, and otherwise an object
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
		if d.State != store.TaskCompleted {
			dec.Run, dec.Reason = false, fmt.Sprintf("dependency %q is %s", d.TaskID, d.State)
			break
		}
	}
	switch {
	case len(direct) == 0:
		dec.ReuseContextID = in.ExecutionInput.ID
	case len(direct) == 1:
		dec.ReuseContextID = direct[0].Output.ID
	default:
		var parts []json.RawMessage
		for _, d := range direct {
			parts = append(parts, d.Output.Data)
		}
		dec.Input, _ = json.Marshal(map[string]any{"deps": parts})
	}
	return dec, nil
}

var ctxb = context.Background()

// diamond is a -> (b, c) -> d.
func diamond(id string) *store.CreateExecutionParams {
	return &store.CreateExecutionParams{
		ID: id, WorkflowName: "diamond", WorkflowVersion: "v1", Input: []byte(`{"in":1}`), RunnerID: "r1", Decide: decide,
		Tasks: []store.TaskSpec{
			{TaskID: "a", MaxAttempts: 3},
			{TaskID: "b", Deps: []string{"a"}, MaxAttempts: 3},
			{TaskID: "c", Deps: []string{"a"}, MaxAttempts: 3},
			{TaskID: "d", Deps: []string{"b", "c"}, MaxAttempts: 3},
		},
	}
}

func create(t *testing.T, s store.Store, p *store.CreateExecutionParams) *store.Execution {
	t.Helper()
	e, err := s.CreateExecution(ctxb, p)
	if err != nil {
		t.Fatalf("CreateExecution: %v", err)
	}
	return e
}

func claim(t *testing.T, s store.Store, runner string, limit int) []*store.ClaimedTask {
	t.Helper()
	res, err := s.ClaimTasks(ctxb, &store.ClaimTasksParams{RunnerID: runner, Limit: limit})
	if err != nil {
		t.Fatalf("ClaimTasks: %v", err)
	}
	return res.Tasks
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
	return store.Outcome{ExecutionID: c.ExecutionID, TaskID: c.TaskID, Attempt: c.Attempt, Kind: store.OutcomeSucceeded, Output: []byte(output)}
}

func complete(t *testing.T, s store.Store, runner string, outcomes ...store.Outcome) *store.CompleteTasksResult {
	t.Helper()
	res, err := s.CompleteTasks(ctxb, &store.CompleteTasksParams{RunnerID: runner, Outcomes: outcomes, Decide: decide})
	if err != nil {
		t.Fatalf("CompleteTasks: %v", err)
	}
	return res
}

func states(t *testing.T, s store.Store, execID string) map[string]store.TaskState {
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

func task(t *testing.T, s store.Store, execID, id string) *store.Task {
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

func execState(t *testing.T, s store.Store, id string) *store.Execution {
	t.Helper()
	e, err := s.GetExecution(ctxb, id)
	if err != nil {
		t.Fatalf("GetExecution: %v", err)
	}
	return e
}

func wantStates(t *testing.T, s store.Store, execID string, want map[string]store.TaskState) {
	t.Helper()
	if got := states(t, s, execID); !reflect.DeepEqual(got, want) {
		t.Fatalf("task states = %v, want %v", got, want)
	}
}

func testCreateClaimsRootsOnly(t *testing.T, s store.Store) {
	e := create(t, s, diamond("e1"))
	if e.State != store.ExecutionPending || e.TasksTotal != 4 || string(e.Input) != `{"in":1}` {
		t.Fatalf("created execution = %+v", e)
	}
	wantStates(t, s, "e1", map[string]store.TaskState{"a": store.TaskReady, "b": store.TaskNotStarted, "c": store.TaskNotStarted, "d": store.TaskNotStarted})
	got := claim(t, s, "r1", 10)
	if len(got) != 1 || got[0].TaskID != "a" || got[0].Attempt != 1 || got[0].MaxAttempts != 3 {
		t.Fatalf("claimed %+v", got)
	}
	c := got[0]
	if c.WorkflowName != "diamond" || c.WorkflowVersion != "v1" || string(c.Input.Data) != `{"in":1}` {
		t.Fatalf("claimed task fields = %+v input %s", c, c.Input.Data)
	}
	if again := claim(t, s, "r2", 10); len(again) != 0 {
		t.Fatalf("a running task was claimed twice: %v", ids(again))
	}
	ex := execState(t, s, "e1")
	if ex.State != store.ExecutionRunning || ex.StartedAt.IsZero() {
		t.Fatalf("execution after first claim = %s started %v", ex.State, ex.StartedAt)
	}
	tk := task(t, s, "e1", "a")
	if tk.State != store.TaskRunning || tk.ClaimedBy != "r1" || tk.Attempt != 1 || tk.StartedAt.IsZero() {
		t.Fatalf("claimed task row = %+v", tk)
	}
}

func testCompletionReadiesDependents(t *testing.T, s store.Store) {
	create(t, s, diamond("e1"))
	a := claim(t, s, "r1", 10)[0]
	res := complete(t, s, "r1", succeed(a, `{"a":1}`))
	if res.Readied != 2 || len(res.Lost) != 0 || len(res.Finished) != 0 {
		t.Fatalf("complete a = %+v", res)
	}
	bc := claim(t, s, "r1", 10)
	if !reflect.DeepEqual(ids(bc), []string{"b", "c"}) {
		t.Fatalf("claimed %v, want b c", ids(bc))
	}
	for _, c := range bc {
		if string(c.Input.Data) != `{"a":1}` {
			t.Fatalf("%s input = %s, want a's output", c.TaskID, c.Input.Data)
		}
	}
	byID := map[string]*store.ClaimedTask{bc[0].TaskID: bc[0], bc[1].TaskID: bc[1]}
	complete(t, s, "r1", succeed(byID["c"], `{"c":3}`))
	if got := claim(t, s, "r1", 10); len(got) != 0 {
		t.Fatalf("d claimed before b finished: %v", ids(got))
	}
	res = complete(t, s, "r1", succeed(byID["b"], `{"b":2}`))
	if res.Readied != 1 {
		t.Fatalf("Readied = %d, want 1 (d)", res.Readied)
	}
	d := claim(t, s, "r1", 10)
	if len(d) != 1 || d[0].TaskID != "d" {
		t.Fatalf("claimed %v, want d", ids(d))
	}
	// Inputs merge in deps order: b then c.
	if string(d[0].Input.Data) != `{"deps":[{"b":2},{"c":3}]}` {
		t.Fatalf("d input = %s", d[0].Input.Data)
	}
	res = complete(t, s, "r1", succeed(d[0], `{"d":4}`))
	if len(res.Finished) != 1 || res.Finished[0] != (store.FinishedExecution{ID: "e1", State: store.ExecutionCompleted}) {
		t.Fatalf("Finished = %+v", res.Finished)
	}
	ex := execState(t, s, "e1")
	if ex.State != store.ExecutionCompleted || ex.CompletedAt.IsZero() || ex.Error != "" || ex.TasksFailed != 0 {
		t.Fatalf("execution = %+v", ex)
	}
	if out := task(t, s, "e1", "d").Output; string(out) != `{"d":4}` {
		t.Fatalf("d output = %s", out)
	}
}

func testClaimInCompletion(t *testing.T, s store.Store) {
	create(t, s, diamond("e1"))
	a := claim(t, s, "r1", 10)[0]
	res, err := s.CompleteTasks(ctxb, &store.CompleteTasksParams{
		RunnerID: "r1", Outcomes: []store.Outcome{succeed(a, `{}`)}, Decide: decide, ClaimLimit: 1,
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
	rest := claim(t, s, "r1", 10)
	if len(rest) != 1 || rest[0].TaskID == first.TaskID {
		t.Fatalf("then claimed %v", ids(rest))
	}
}

func testRetry(t *testing.T, s store.Store) {
	create(t, s, diamond("e1"))
	a := claim(t, s, "r1", 10)[0]
	complete(t, s, "r1", store.Outcome{ExecutionID: "e1", TaskID: "a", Attempt: 1, Kind: store.OutcomeRetry, Error: "boom", RetryDelay: 0})
	if st := task(t, s, "e1", "a"); st.State != store.TaskReady || st.Error != "boom" || st.ClaimedBy != "" {
		t.Fatalf("after retry outcome: %+v", st)
	}
	a2 := claim(t, s, "r1", 10)
	if len(a2) != 1 || a2[0].Attempt != 2 {
		t.Fatalf("re-claim = %+v", a2)
	}
	_ = a
	before := time.Now()
	complete(t, s, "r1", store.Outcome{ExecutionID: "e1", TaskID: "a", Attempt: 2, Kind: store.OutcomeRetry, Error: "again", RetryDelay: time.Hour})
	res, err := s.ClaimTasks(ctxb, &store.ClaimTasksParams{RunnerID: "r1", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tasks) != 0 {
		t.Fatalf("claimed a task waiting for its retry delay: %v", ids(res.Tasks))
	}
	if res.NextRetryAt.Before(before.Add(59*time.Minute)) || res.NextRetryAt.After(time.Now().Add(61*time.Minute)) {
		t.Fatalf("NextRetryAt = %v, want about an hour from now", res.NextRetryAt)
	}
	if rt := task(t, s, "e1", "a").RetryAt; !rt.Equal(res.NextRetryAt) {
		t.Fatalf("task RetryAt %v != NextRetryAt %v", rt, res.NextRetryAt)
	}
}

func testFailureSkipsDependents(t *testing.T, s store.Store) {
	create(t, s, diamond("e1"))
	a := claim(t, s, "r1", 10)[0]
	res := complete(t, s, "r1", store.Outcome{ExecutionID: "e1", TaskID: "a", Attempt: a.Attempt, Kind: store.OutcomeFailed, Error: "disk full"})
	wantStates(t, s, "e1", map[string]store.TaskState{"a": store.TaskFailed, "b": store.TaskSkipped, "c": store.TaskSkipped, "d": store.TaskSkipped})
	if len(res.Finished) != 1 || res.Finished[0].State != store.ExecutionFailed {
		t.Fatalf("Finished = %+v", res.Finished)
	}
	ex := execState(t, s, "e1")
	if ex.State != store.ExecutionFailed || ex.TasksFailed != 1 || !strings.Contains(ex.Error, `task "a" failed: disk full`) {
		t.Fatalf("execution = %+v", ex)
	}
	b := task(t, s, "e1", "b")
	if b.SkipReason != `dependency "a" is failed` || string(b.Output) != `{"in":1}` {
		t.Fatalf("b = reason %q output %s (a failed task passes its input through)", b.SkipReason, b.Output)
	}
	if d := task(t, s, "e1", "d"); d.SkipReason != `dependency "b" is skipped` {
		t.Fatalf("d skip reason %q", d.SkipReason)
	}
	if fa := task(t, s, "e1", "a"); fa.Error != "disk full" || fa.CompletedAt.IsZero() {
		t.Fatalf("a = %+v", fa)
	}
}

func testRootSkippedAtCreation(t *testing.T, s store.Store) {
	p := diamond("e1")
	p.Decide = func(in *store.DecideInput) (*store.Decision, error) {
		if in.TaskID == "a" {
			return &store.Decision{Run: false, Reason: "not today", ReuseContextID: in.ExecutionInput.ID}, nil
		}
		return decide(in)
	}
	create(t, s, p)
	wantStates(t, s, "e1", map[string]store.TaskState{"a": store.TaskSkipped, "b": store.TaskSkipped, "c": store.TaskSkipped, "d": store.TaskSkipped})
	if ex := execState(t, s, "e1"); ex.State != store.ExecutionCompleted {
		t.Fatalf("an execution whose tasks were all skipped is %s, want completed", ex.State)
	}
}

func testLostClaims(t *testing.T, s store.Store) {
	create(t, s, diamond("e1"))
	a := claim(t, s, "r1", 10)[0]
	wrongRunner := complete(t, s, "r2", succeed(a, `{"x":1}`))
	wrongAttempt := complete(t, s, "r1", store.Outcome{ExecutionID: "e1", TaskID: "a", Attempt: 7, Kind: store.OutcomeSucceeded, Output: []byte(`{}`)})
	unknown := complete(t, s, "r1", store.Outcome{ExecutionID: "nope", TaskID: "a", Attempt: 1, Kind: store.OutcomeSucceeded})
	notRunning := complete(t, s, "r1", store.Outcome{ExecutionID: "e1", TaskID: "b", Attempt: 0, Kind: store.OutcomeFailed, Error: "x"})
	for name, res := range map[string]*store.CompleteTasksResult{"wrong runner": wrongRunner, "wrong attempt": wrongAttempt, "unknown": unknown, "not running": notRunning} {
		if len(res.Lost) != 1 || res.Readied != 0 {
			t.Fatalf("%s: result %+v, want one lost outcome", name, res)
		}
	}
	wantStates(t, s, "e1", map[string]store.TaskState{"a": store.TaskRunning, "b": store.TaskNotStarted, "c": store.TaskNotStarted, "d": store.TaskNotStarted})
	res := complete(t, s, "r1", succeed(a, `{}`))
	if len(res.Lost) != 0 || res.Readied != 2 {
		t.Fatalf("the owner's completion = %+v", res)
	}
}

func testConcurrentClaims(t *testing.T, s store.Store) {
	const execs, width = 10, 20
	for i := 0; i < execs; i++ {
		p := &store.CreateExecutionParams{ID: fmt.Sprintf("e%d", i), WorkflowName: "wide", WorkflowVersion: "v", RunnerID: "r", Decide: decide}
		for j := 0; j < width; j++ {
			p.Tasks = append(p.Tasks, store.TaskSpec{TaskID: fmt.Sprintf("t%d", j), MaxAttempts: 1})
		}
		create(t, s, p)
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
				res, err := s.ClaimTasks(ctxb, &store.ClaimTasksParams{RunnerID: runner, Limit: 7})
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

func testHeartbeatAndRecovery(t *testing.T, s store.Store) {
	create(t, s, diamond("e1"))
	a := claim(t, s, "r1", 10)[0]
	ref := store.TaskRef{ExecutionID: "e1", TaskID: "a", Attempt: a.Attempt}
	hb, err := s.Heartbeat(ctxb, &store.HeartbeatParams{RunnerID: "r1", Tasks: []store.TaskRef{ref}})
	if err != nil || len(hb.Lost) != 0 {
		t.Fatalf("Heartbeat = %+v, %v", hb, err)
	}
	// A fresh heartbeat is not stale.
	rec, err := s.RecoverStale(ctxb, &store.RecoverStaleParams{RunnerID: "r2", StaleAfter: time.Hour, MaxRecoveries: 3, Decide: decide})
	if err != nil || len(rec.Requeued)+len(rec.Abandoned) != 0 {
		t.Fatalf("RecoverStale with a fresh heartbeat = %+v, %v", rec, err)
	}
	time.Sleep(20 * time.Millisecond) // let the heartbeat age past StaleAfter below
	rec, err = s.RecoverStale(ctxb, &store.RecoverStaleParams{RunnerID: "r2", StaleAfter: 10 * time.Millisecond, MaxRecoveries: 3, Decide: decide})
	if err != nil || len(rec.Requeued) != 1 || rec.Requeued[0] != ref {
		t.Fatalf("RecoverStale = %+v, %v", rec, err)
	}
	if tk := task(t, s, "e1", "a"); tk.State != store.TaskReady || tk.Recoveries != 1 || tk.ClaimedBy != "" {
		t.Fatalf("recovered task = %+v", tk)
	}
	hb, err = s.Heartbeat(ctxb, &store.HeartbeatParams{RunnerID: "r1", Tasks: []store.TaskRef{ref}})
	if err != nil || len(hb.Lost) != 1 {
		t.Fatalf("the old owner's heartbeat = %+v, %v; want the task reported lost", hb, err)
	}
	again := claim(t, s, "r2", 10)
	if len(again) != 1 || again[0].Attempt != 2 {
		t.Fatalf("re-claim after recovery = %+v (the recovered attempt counts)", again)
	}
	if res := complete(t, s, "r1", succeed(a, `{"stale":true}`)); len(res.Lost) != 1 {
		t.Fatalf("the old owner's late completion = %+v, want lost", res)
	}
	res := complete(t, s, "r2", succeed(again[0], `{"fresh":true}`))
	if len(res.Lost) != 0 || res.Readied != 2 {
		t.Fatalf("the new owner's completion = %+v", res)
	}
	if out := task(t, s, "e1", "a").Output; string(out) != `{"fresh":true}` {
		t.Fatalf("output = %s", out)
	}
}

func testAbandon(t *testing.T, s store.Store) {
	p := diamond("e1")
	create(t, s, p)
	for i := 0; i <= 3; i++ {
		got := claim(t, s, "dead", 10)
		if len(got) != 1 || got[0].Attempt != i+1 {
			t.Fatalf("claim %d = %+v", i, got)
		}
		time.Sleep(5 * time.Millisecond) // age the heartbeat past StaleAfter
		rec, err := s.RecoverStale(ctxb, &store.RecoverStaleParams{RunnerID: "sweeper", StaleAfter: time.Millisecond, MaxRecoveries: 3, Decide: decide})
		if err != nil {
			t.Fatal(err)
		}
		if i < 3 && len(rec.Requeued) != 1 {
			t.Fatalf("sweep %d = %+v, want requeued", i, rec)
		}
		if i == 3 {
			if len(rec.Abandoned) != 1 || len(rec.Finished) != 1 || rec.Finished[0].State != store.ExecutionFailed {
				t.Fatalf("sweep after 3 recoveries = %+v, want abandoned and the execution failed", rec)
			}
		}
	}
	a := task(t, s, "e1", "a")
	if a.State != store.TaskFailed || !strings.Contains(a.Error, "abandoned") || a.Recoveries != 3 {
		t.Fatalf("abandoned task = %+v", a)
	}
	wantStates(t, s, "e1", map[string]store.TaskState{"a": store.TaskFailed, "b": store.TaskSkipped, "c": store.TaskSkipped, "d": store.TaskSkipped})
}

func testFinishExecution(t *testing.T, s store.Store) {
	create(t, s, diamond("e1"))
	a := claim(t, s, "r1", 10)[0]
	changed, err := s.FinishExecution(ctxb, &store.FinishExecutionParams{ExecutionID: "e1", State: store.ExecutionCancelled, Reason: "cancelled by user", RunnerID: "r1"})
	if err != nil || !changed {
		t.Fatalf("FinishExecution = %v, %v", changed, err)
	}
	ex := execState(t, s, "e1")
	if ex.State != store.ExecutionCancelled || ex.Error != "cancelled by user" || ex.CompletedAt.IsZero() {
		t.Fatalf("execution = %+v", ex)
	}
	wantStates(t, s, "e1", map[string]store.TaskState{"a": store.TaskSkipped, "b": store.TaskSkipped, "c": store.TaskSkipped, "d": store.TaskSkipped})
	if res := complete(t, s, "r1", succeed(a, `{}`)); len(res.Lost) != 1 {
		t.Fatalf("completing a task of a cancelled execution = %+v, want lost", res)
	}
	changed, err = s.FinishExecution(ctxb, &store.FinishExecutionParams{ExecutionID: "e1", State: store.ExecutionFailed, Reason: "again"})
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

func testPauseResume(t *testing.T, s store.Store) {
	create(t, s, diamond("e1"))
	changed, err := s.SetPaused(ctxb, &store.SetPausedParams{ExecutionID: "e1", Paused: true})
	if err != nil || !changed {
		t.Fatalf("pause = %v, %v", changed, err)
	}
	if ex := execState(t, s, "e1"); ex.State != store.ExecutionPaused {
		t.Fatalf("state %s", ex.State)
	}
	if got := claim(t, s, "r1", 10); len(got) != 0 {
		t.Fatalf("claimed from a paused execution: %v", ids(got))
	}
	if changed, _ := s.SetPaused(ctxb, &store.SetPausedParams{ExecutionID: "e1", Paused: true}); changed {
		t.Fatal("pausing twice changed something")
	}
	if changed, err := s.SetPaused(ctxb, &store.SetPausedParams{ExecutionID: "e1", Paused: false}); err != nil || !changed {
		t.Fatalf("resume = %v, %v", changed, err)
	}
	if ex := execState(t, s, "e1"); ex.State != store.ExecutionPending {
		t.Fatalf("a resumed execution that never started is %s, want pending", ex.State)
	}
	if got := claim(t, s, "r1", 10); len(got) != 1 {
		t.Fatalf("after resume claimed %v", ids(got))
	}
	if _, err := s.SetPaused(ctxb, &store.SetPausedParams{ExecutionID: "nope", Paused: true}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("pause unknown = %v", err)
	}
}

func testWorkflowFilter(t *testing.T, s store.Store) {
	create(t, s, diamond("e1"))
	other := diamond("e2")
	other.WorkflowName = "other"
	create(t, s, other)
	res, err := s.ClaimTasks(ctxb, &store.ClaimTasksParams{RunnerID: "r1", Limit: 10, Workflows: []string{"other"}})
	if err != nil || len(res.Tasks) != 1 || res.Tasks[0].ExecutionID != "e2" {
		t.Fatalf("filtered claim = %+v, %v", res, err)
	}
	res, err = s.ClaimTasks(ctxb, &store.ClaimTasksParams{RunnerID: "r1", Limit: 10, Workflows: []string{}})
	if err != nil || len(res.Tasks) != 0 {
		t.Fatalf("claim with an empty filter = %+v, %v; want nothing", res, err)
	}
}

func testDecideError(t *testing.T, s store.Store) {
	p := diamond("e1")
	create(t, s, p)
	a := claim(t, s, "r1", 10)[0]
	failing := func(in *store.DecideInput) (*store.Decision, error) {
		if in.TaskID == "b" {
			return nil, errors.New("workflow not registered")
		}
		return decide(in)
	}
	if _, err := s.CompleteTasks(ctxb, &store.CompleteTasksParams{RunnerID: "r1", Outcomes: []store.Outcome{succeed(a, `{}`)}, Decide: failing}); err != nil {
		t.Fatal(err)
	}
	b := task(t, s, "e1", "b")
	if b.State != store.TaskFailed || !strings.Contains(b.Error, "workflow not registered") {
		t.Fatalf("b = %+v", b)
	}
	if c := task(t, s, "e1", "c"); c.State != store.TaskReady {
		t.Fatalf("c = %s, want ready", c.State)
	}
}

func testRuleTasks(t *testing.T, s store.Store) {
	var mu sync.Mutex
	var seen []store.DepResult
	p := &store.CreateExecutionParams{
		ID: "e1", WorkflowName: "w", WorkflowVersion: "v", RunnerID: "r1",
		Decide: func(in *store.DecideInput) (*store.Decision, error) {
			if in.TaskID == "c" {
				mu.Lock()
				seen = append([]store.DepResult(nil), in.Deps...)
				mu.Unlock()
			}
			return decide(in)
		},
		Tasks: []store.TaskSpec{
			{TaskID: "a", MaxAttempts: 1},
			{TaskID: "b", Deps: []string{"a"}, MaxAttempts: 1},
			{TaskID: "c", Deps: []string{"b"}, RuleTasks: []string{"a"}, MaxAttempts: 1},
		},
	}
	create(t, s, p)
	for _, id := range []string{"a", "b"} {
		c := claim(t, s, "r1", 10)
		if len(c) != 1 || c[0].TaskID != id {
			t.Fatalf("claimed %v, want %s", ids(c), id)
		}
		if _, err := s.CompleteTasks(ctxb, &store.CompleteTasksParams{RunnerID: "r1", Outcomes: []store.Outcome{succeed(c[0], `{"`+id+`":1}`)}, Decide: p.Decide}); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0].TaskID != "b" || !seen[0].Direct || seen[1].TaskID != "a" || seen[1].Direct ||
		seen[1].State != store.TaskCompleted || string(seen[1].Output.Data) != `{"a":1}` {
		t.Fatalf("Decide saw %+v", seen)
	}
}

func testOutputUnchanged(t *testing.T, s store.Store) {
	create(t, s, diamond("e1"))
	a := claim(t, s, "r1", 10)[0]
	complete(t, s, "r1", store.Outcome{ExecutionID: "e1", TaskID: "a", Attempt: 1, Kind: store.OutcomeSucceeded, OutputUnchanged: true})
	if out := task(t, s, "e1", "a").Output; string(out) != `{"in":1}` {
		t.Fatalf("unchanged output = %s, want the input", out)
	}
	bc := claim(t, s, "r1", 10)
	if len(bc) != 2 || bc[0].Input.ID != a.Input.ID {
		t.Fatalf("dependents of an unchanged task must share its input context: %d vs %d", bc[0].Input.ID, a.Input.ID)
	}
}

func testListAndGet(t *testing.T, s store.Store) {
	if _, err := s.GetExecution(ctxb, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetExecution unknown = %v", err)
	}
	if _, err := s.ListTasks(ctxb, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ListTasks unknown = %v", err)
	}
	for i := 0; i < 3; i++ {
		p := diamond(fmt.Sprintf("e%d", i))
		if i == 2 {
			p.WorkflowName = "other"
			p.Timeout = time.Minute
		}
		create(t, s, p)
		time.Sleep(2 * time.Millisecond) // distinct creation times for the order check
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
	a := claim(t, s, "r1", 1)
	complete(t, s, "r1", store.Outcome{ExecutionID: a[0].ExecutionID, TaskID: "a", Attempt: 1, Kind: store.OutcomeFailed, Error: "x"})
	failed, _ := s.ListExecutions(ctxb, &store.ListExecutionsParams{States: []store.ExecutionState{store.ExecutionFailed}})
	if len(failed) != 1 || failed[0].ID != a[0].ExecutionID {
		t.Fatalf("by state = %v", execIDs(failed))
	}
	due, _ := s.ListExecutions(ctxb, &store.ListExecutionsParams{DeadlineBefore: time.Now().Add(2 * time.Minute)})
	if len(due) != 1 || due[0].ID != "e2" || due[0].Deadline.IsZero() {
		t.Fatalf("by deadline = %v", execIDs(due))
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

func testEventLog(t *testing.T, s store.Store) {
	create(t, s, diamond("e1"))
	a := claim(t, s, "r1", 10)[0]
	complete(t, s, "r1", store.Outcome{ExecutionID: "e1", TaskID: "a", Attempt: a.Attempt, Kind: store.OutcomeRetry, Error: "flaky"})
	a = claim(t, s, "r1", 10)[0]
	complete(t, s, "r1", succeed(a, `{}`))
	for _, c := range claim(t, s, "r1", 10) {
		complete(t, s, "r1", succeed(c, `{}`))
	}
	d := claim(t, s, "r1", 10)[0]
	complete(t, s, "r1", succeed(d, `{}`))
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
		if e.At.IsZero() || e.ExecutionID != "e1" {
			t.Fatalf("event %+v", e)
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

func testBadParameters(t *testing.T, s store.Store) {
	bad := []*store.CreateExecutionParams{
		{WorkflowName: "w", Tasks: []store.TaskSpec{{TaskID: "a"}}, Decide: decide},
		{ID: "x", Tasks: []store.TaskSpec{{TaskID: "a"}}, Decide: decide},
		{ID: "x", WorkflowName: "w", Decide: decide},
		{ID: "x", WorkflowName: "w", Tasks: []store.TaskSpec{{TaskID: "a"}}},
		{ID: "x", WorkflowName: "w", Tasks: []store.TaskSpec{{TaskID: "b", Deps: []string{"a"}}, {TaskID: "a"}}, Decide: decide},
		{ID: "x", WorkflowName: "w", Tasks: []store.TaskSpec{{TaskID: "a"}, {TaskID: "a"}}, Decide: decide},
	}
	for i, p := range bad {
		if _, err := s.CreateExecution(ctxb, p); err == nil {
			t.Fatalf("bad params %d accepted", i)
		}
	}
	if got, _ := s.ListExecutions(ctxb, &store.ListExecutionsParams{}); len(got) != 0 {
		t.Fatalf("a rejected execution was stored: %v", execIDs(got))
	}
	create(t, s, diamond("dup"))
	if _, err := s.CreateExecution(ctxb, diamond("dup")); err == nil {
		t.Fatal("duplicate execution id accepted")
	}
	if got := states(t, s, "dup"); got["a"] != store.TaskReady {
		t.Fatalf("the duplicate attempt changed the stored execution: %v", got)
	}
	if !bytes.Equal(execState(t, s, "dup").Input, []byte(`{"in":1}`)) {
		t.Fatal("input changed")
	}
}
