package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/sqlite"
)

func benchDecide(in *store.DecideInput) (*store.Decision, error) {
	if in.ExecutionInput != nil {
		return &store.Decision{Run: true, Input: *in.ExecutionInput}, nil
	}
	return &store.Decision{Run: true, Input: *in.Deps[0].Output}, nil
}

func create(ctx context.Context, s store.Store, e *store.NewExecution) error {
	_, err := s.CreateExecutions(ctx, &store.CreateExecutionsParams{RunnerID: "r", Executions: []*store.NewExecution{e}, Decide: benchDecide})
	return err
}

func parallelSpec(id string) *store.NewExecution {
	return &store.NewExecution{
		ID: id, WorkflowName: "parallel", WorkflowVersion: "v",
		Tasks: []store.TaskSpec{
			{TaskID: "a", MaxAttempts: 1},
			{TaskID: "b", Deps: []string{"a"}, MaxAttempts: 1},
			{TaskID: "c", Deps: []string{"a"}, MaxAttempts: 1},
			{TaskID: "d", Deps: []string{"a"}, MaxAttempts: 1},
			{TaskID: "e", Deps: []string{"b", "c", "d"}, MaxAttempts: 1},
		},
	}
}

// BenchmarkCreateExecution measures storing one five-task execution.
func BenchmarkCreateExecution(b *testing.B) {
	s, err := sqlite.OpenPath(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := create(context.Background(), s, parallelSpec(fmt.Sprint(i))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompleteAndClaim measures one dispatcher round trip: recording
// one outcome and claiming the next task in the same transaction, on a
// 1,000-task chain.
func BenchmarkCompleteAndClaim(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.OpenPath(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	newChain := func(id string) {
		p := &store.NewExecution{ID: id, WorkflowName: "chain", WorkflowVersion: "v"}
		for j := 0; j < 1000; j++ {
			spec := store.TaskSpec{TaskID: fmt.Sprintf("t%d", j), MaxAttempts: 1}
			if j > 0 {
				spec.Deps = []string{fmt.Sprintf("t%d", j-1)}
			}
			p.Tasks = append(p.Tasks, spec)
		}
		if err := create(ctx, s, p); err != nil {
			b.Fatal(err)
		}
	}
	chains := 0
	newChain("c0")
	claimed, err := s.ClaimTasks(ctx, &store.ClaimTasksParams{RunnerID: "r", Limit: 1})
	if err != nil {
		b.Fatal(err)
	}
	cur := claimed.Tasks[0]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := s.CompleteTasks(ctx, &store.CompleteTasksParams{RunnerID: "r", Decide: benchDecide, ClaimLimit: 1,
			Outcomes: []store.Outcome{{ExecutionID: cur.ExecutionID, TaskID: cur.TaskID, Attempt: cur.Attempt, Kind: store.OutcomeSucceeded}}})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Claimed.Tasks) == 0 {
			b.StopTimer()
			chains++
			newChain(fmt.Sprintf("c%d", chains))
			c, err := s.ClaimTasks(ctx, &store.ClaimTasksParams{RunnerID: "r", Limit: 1})
			if err != nil {
				b.Fatal(err)
			}
			res.Claimed = c
			b.StartTimer()
		}
		cur = res.Claimed.Tasks[0]
	}
}
