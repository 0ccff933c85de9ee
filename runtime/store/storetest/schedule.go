package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// scheduleTests are the conformance cases about schedules.
var scheduleTests = []struct {
	name string
	fn   func(t *testing.T, s *suite)
}{
	{"ScheduleSaveAndRevisions", testScheduleSave},
	{"ScheduleFireOncePerTime", testScheduleFireOnce},
	{"ScheduleConcurrentFires", testScheduleConcurrentFires},
	{"ScheduleDedupeWhileUnfinished", testScheduleDedupe},
	{"ScheduleDelete", testScheduleDelete},
}

func newSchedule(name string) *store.Schedule {
	return &store.Schedule{Name: name, Kind: store.ScheduleCron, Workflow: "diamond", Spec: []byte(`{"cron":"@every 1s"}`),
		Origin: store.OriginAPI, NextAt: epoch.Add(time.Second)}
}

func (s *suite) saveSchedule(t *testing.T, sc *store.Schedule, rev int64) *store.Schedule {
	t.Helper()
	out, err := s.SaveSchedule(ctxb, &store.SaveScheduleParams{RunnerID: "r1", Now: s.at(), Schedule: sc, Revision: rev})
	if err != nil {
		t.Fatalf("SaveSchedule(%s, revision %d): %v", sc.Name, rev, err)
	}
	return out
}

func testScheduleSave(t *testing.T, s *suite) {
	sc := s.saveSchedule(t, newSchedule("nightly"), 0)
	if sc.Revision != 1 || !sc.CreatedAt.Equal(s.at()) {
		t.Fatalf("inserted schedule: revision %d, created %s; want 1, %s", sc.Revision, sc.CreatedAt, s.at())
	}
	if _, err := s.SaveSchedule(ctxb, &store.SaveScheduleParams{Now: s.at(), Schedule: newSchedule("nightly")}); !errors.Is(err, store.ErrScheduleExists) {
		t.Fatalf("second insert: %v, want ErrScheduleExists", err)
	}
	s.advance(time.Minute)
	upd := *sc
	upd.Paused = true
	upd.Spec = []byte(`{"cron":"@daily"}`)
	got := s.saveSchedule(t, &upd, 1)
	if got.Revision != 2 || !got.UpdatedAt.Equal(s.at()) || !got.CreatedAt.Equal(sc.CreatedAt) {
		t.Fatalf("updated schedule: revision %d, updated %s, created %s", got.Revision, got.UpdatedAt, got.CreatedAt)
	}
	if _, err := s.SaveSchedule(ctxb, &store.SaveScheduleParams{Now: s.at(), Schedule: &upd, Revision: 1}); !errors.Is(err, store.ErrScheduleChanged) {
		t.Fatalf("update at a stale revision: %v, want ErrScheduleChanged", err)
	}
	if _, err := s.SaveSchedule(ctxb, &store.SaveScheduleParams{Now: s.at(), Schedule: newSchedule("gone"), Revision: 3}); !errors.Is(err, store.ErrScheduleNotFound) {
		t.Fatalf("update of a missing schedule: %v, want ErrScheduleNotFound", err)
	}
	read, err := s.GetSchedule(ctxb, "nightly")
	if err != nil {
		t.Fatal(err)
	}
	if !read.Paused || string(read.Spec) != `{"cron":"@daily"}` || read.Revision != 2 || !read.NextAt.Equal(epoch.Add(time.Second)) {
		t.Fatalf("GetSchedule = %+v", read)
	}
	if _, err := s.GetSchedule(ctxb, "gone"); !errors.Is(err, store.ErrScheduleNotFound) {
		t.Fatalf("GetSchedule(gone): %v", err)
	}
	s.saveSchedule(t, newSchedule("hourly"), 0)
	all, err := s.ListSchedules(ctxb)
	if err != nil || len(all) != 2 || all[0].Name != "hourly" || all[1].Name != "nightly" {
		t.Fatalf("ListSchedules = %v, %v", all, err)
	}
}

// fire fires sc at its revision for the given ticks, each starting an
// execution id-<tick>.
func (s *suite) fire(t *testing.T, sc *store.Schedule, ticks ...time.Time) *store.FireScheduleResult {
	t.Helper()
	state := *sc
	var fires []*store.NewFire
	for _, at := range ticks {
		e := diamond(sc.Name + "-" + at.Format("150405"))
		e.Origin, e.OriginName = "schedule", sc.Name
		fires = append(fires, &store.NewFire{ScheduledAt: at, Kind: store.FireScheduled, Outcome: store.FireStarted, Execution: e})
		state.LastAt, state.NextAt, state.LastExecution = at, at.Add(time.Second), e.ID
	}
	res, err := s.FireSchedule(ctxb, &store.FireScheduleParams{RunnerID: "r1", Now: s.at(), Name: sc.Name,
		Revision: sc.Revision, State: &state, Fires: fires, Decide: decide})
	if err != nil {
		t.Fatalf("FireSchedule: %v", err)
	}
	return res
}

func testScheduleFireOnce(t *testing.T, s *suite) {
	sc := s.saveSchedule(t, newSchedule("every"), 0)
	tick := epoch.Add(time.Second)
	res := s.fire(t, sc, tick)
	if !res.Applied || len(res.Fires) != 1 || len(res.Executions) != 1 || res.Fires[0].ExecutionID != res.Executions[0].ID {
		t.Fatalf("first fire = %+v", res)
	}
	if res.Executions[0].Origin != "schedule" || res.Executions[0].OriginName != "every" {
		t.Errorf("execution origin = %q %q", res.Executions[0].Origin, res.Executions[0].OriginName)
	}
	if ids(s.claim(t, "r1", 10)) == nil {
		t.Fatal("the fired execution's root is not claimable")
	}
	// The same revision again: another runner planned the same fire.
	if again := s.fire(t, sc, tick); again.Applied || len(again.Executions) != 0 {
		t.Fatalf("a fire at a stale revision applied: %+v", again)
	}
	// Without a revision guard (a backfill), the tick is fired already.
	e := diamond("backfill-1")
	res, err := s.FireSchedule(ctxb, &store.FireScheduleParams{RunnerID: "r1", Now: s.at(), Name: "every", Decide: decide,
		Fires: []*store.NewFire{
			{ScheduledAt: tick, Kind: store.FireBackfill, Outcome: store.FireStarted, Execution: e},
			{ScheduledAt: tick.Add(-time.Hour), Kind: store.FireBackfill, Outcome: store.FireStarted, Execution: diamond("backfill-2")},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Applied || len(res.Fires) != 1 || len(res.Executions) != 1 || res.Executions[0].ID != "backfill-2" {
		t.Fatalf("backfill over a fired tick = %+v", res)
	}
	if _, err := s.GetExecution(ctxb, "backfill-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an execution was created for a tick fired already: %v", err)
	}
	fires, err := s.ListFires(ctxb, "every", 10)
	if err != nil || len(fires) != 2 || !fires[0].ScheduledAt.Equal(tick) || fires[1].Kind != store.FireBackfill {
		t.Fatalf("ListFires = %+v, %v", fires, err)
	}
	got, _ := s.GetSchedule(ctxb, "every")
	if got.Revision != 2 || got.LastExecution != res.Executions[0].ID && got.LastExecution != "every-150927" {
		t.Fatalf("schedule after fires = %+v", got)
	}
}

func testScheduleConcurrentFires(t *testing.T, s *suite) {
	sc := s.saveSchedule(t, newSchedule("race"), 0)
	const n = 8
	var wg sync.WaitGroup
	results := make([]*store.FireScheduleResult, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := diamond("race-" + string(rune('a'+i)))
			state := *sc
			state.NextAt = epoch.Add(2 * time.Second)
			res, err := s.FireSchedule(ctxb, &store.FireScheduleParams{RunnerID: "r1", Now: s.at(), Name: "race", Revision: sc.Revision,
				State: &state, Decide: decide,
				Fires: []*store.NewFire{{ScheduledAt: epoch.Add(time.Second), Kind: store.FireScheduled, Outcome: store.FireStarted, Execution: e}}})
			if err != nil {
				t.Error(err)
			}
			results[i] = res
		}()
	}
	wg.Wait()
	applied := 0
	for _, r := range results {
		if r != nil && r.Applied {
			applied++
		}
	}
	execs, err := s.ListExecutions(ctxb, &store.ListExecutionsParams{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if applied != 1 || len(execs) != 1 {
		t.Fatalf("%d concurrent fires of one tick: %d applied, %d executions; want 1 and 1", n, applied, len(execs))
	}
}

func testScheduleDedupe(t *testing.T, s *suite) {
	sc := s.saveSchedule(t, &store.Schedule{Name: "files", Kind: store.ScheduleTrigger, Workflow: "diamond", Spec: []byte(`{}`), Origin: store.OriginCode}, 0)
	poll := func(id string, at time.Time, dedupe string) *store.FireScheduleResult {
		res, err := s.FireSchedule(ctxb, &store.FireScheduleParams{RunnerID: "r1", Now: s.at(), Name: sc.Name, Decide: decide,
			Fires: []*store.NewFire{{ScheduledAt: at, Kind: store.FireTrigger, Outcome: store.FireStarted, Dedupe: dedupe, Execution: diamond(id)}}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := poll("f1", epoch, "h1")
	if len(first.Executions) != 1 {
		t.Fatalf("first poll = %+v", first)
	}
	second := poll("f2", epoch.Add(time.Second), "h1")
	if len(second.Executions) != 0 || len(second.Fires) != 1 || second.Fires[0].Outcome != store.FireSkippedRunning {
		t.Fatalf("a poll with the input of an unfinished execution = %+v", second)
	}
	if other := poll("f3", epoch.Add(2*time.Second), "h2"); len(other.Executions) != 1 {
		t.Fatalf("a poll with another input = %+v", other)
	}
	if _, err := s.FinishExecution(ctxb, &store.FinishExecutionParams{ExecutionID: "f1", Now: s.at(), State: store.ExecutionCancelled, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	if again := poll("f4", epoch.Add(3*time.Second), "h1"); len(again.Executions) != 1 {
		t.Fatalf("a poll after the execution with its input ended = %+v", again)
	}
}

func testScheduleDelete(t *testing.T, s *suite) {
	sc := s.saveSchedule(t, newSchedule("old"), 0)
	s.fire(t, sc, epoch.Add(time.Second))
	found, err := s.DeleteSchedule(ctxb, "old")
	if err != nil || !found {
		t.Fatalf("DeleteSchedule = %v, %v", found, err)
	}
	if found, err := s.DeleteSchedule(ctxb, "old"); err != nil || found {
		t.Fatalf("second DeleteSchedule = %v, %v", found, err)
	}
	if fires, err := s.ListFires(ctxb, "old", 10); err != nil || len(fires) != 0 {
		t.Fatalf("fires after delete = %v, %v", fires, err)
	}
	if _, err := s.GetExecution(ctxb, "old-150927"); err != nil {
		t.Fatalf("the execution a deleted schedule started is gone: %v", err)
	}
	// The name is free again.
	s.saveSchedule(t, newSchedule("old"), 0)
}
