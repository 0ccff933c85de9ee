package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/postgres"
)

// BenchmarkClaimWithHistory measures a claim of 10 ready tasks with no
// history and with 1,000,000 completed task rows present, and logs the
// claim query's plan. The claim reads the partial index of ready rows, so
// both should cost the same.
//
//	CLOACINA_TEST_DATABASE_URL=... go test -run '^$' -bench ClaimWithHistory -benchtime 200x ./runtime/store/postgres/
func BenchmarkClaimWithHistory(b *testing.B) {
	for _, history := range []int{0, 1_000_000} {
		b.Run(fmt.Sprintf("completed=%d", history), func(b *testing.B) {
			ctx := context.Background()
			s := newStore(b)
			pool := s.Pool()
			q := func(sql string) string {
				return strings.ReplaceAll(sql, "cloacina_", pgx.Identifier{s.Schema()}.Sanitize()+".cloacina_")
			}
			seedHistory(b, s, history)
			const limit = 10
			decide := func(in *store.DecideInput) (*store.Decision, error) {
				return &store.Decision{Run: true, Input: *in.ExecutionInput}, nil
			}
			p := &store.NewExecution{ID: "ready", WorkflowName: "w", WorkflowVersion: "v"}
			for i := 0; i < b.N*limit; i++ {
				p.Tasks = append(p.Tasks, store.TaskSpec{TaskID: fmt.Sprintf("r%d", i), MaxAttempts: 1})
			}
			if _, err := s.CreateExecutions(ctx, &store.CreateExecutionsParams{RunnerID: "r", Executions: []*store.NewExecution{p}, Decide: decide}); err != nil {
				b.Fatal(err)
			}
			rows, err := pool.Query(ctx, q(`EXPLAIN (ANALYZE, COSTS OFF) SELECT id FROM cloacina_tasks
				WHERE state = 'ready' AND NOT held AND retry_at <= now() AND (NOT false OR workflow_name = ANY('{}'))
				ORDER BY retry_at, id LIMIT 10 FOR UPDATE SKIP LOCKED`))
			if err != nil {
				b.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					b.Fatal(err)
				}
				plan = append(plan, line)
			}
			rows.Close()
			b.Logf("claim plan with %d completed rows:\n%s", history, strings.Join(plan, "\n"))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := s.ClaimTasks(ctx, &store.ClaimTasksParams{RunnerID: "r", Limit: limit})
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Tasks) != limit {
					b.Fatalf("claimed %d tasks, want %d", len(res.Tasks), limit)
				}
			}
		})
	}
}

// seedHistory adds one completed execution holding history completed
// task rows, written in bulk.
func seedHistory(b *testing.B, s *postgres.Store, history int) {
	b.Helper()
	ctx := context.Background()
	pool := s.Pool()
	q := func(sql string) string {
		return strings.ReplaceAll(sql, "cloacina_", pgx.Identifier{s.Schema()}.Sanitize()+".cloacina_")
	}
	if history > 0 {
		// One finished execution holding the history, written in bulk.
		if _, err := pool.Exec(ctx, q(`INSERT INTO cloacina_executions (id, workflow_name, workflow_version, tenant, state,
			input, tasks_total, leaves_remaining, created_at, completed_at)
			VALUES ('history', 'w', 'v', 'public', 'completed', '{}', $1, 0, now(), now())`), history); err != nil {
			b.Fatal(err)
		}
		if _, err := pool.Exec(ctx, q(`INSERT INTO cloacina_tasks (execution_id, workflow_name, workflow_version, task_id,
			position, state, pending_deps, attempt, max_attempts, input, output, started_at, completed_at)
			SELECT 'history', 'w', 'v', 't' || g, g, 'completed', 0, 1, 1, '{}', '{}', now(), now()
			FROM generate_series(1, $1) AS g`), history); err != nil {
			b.Fatal(err)
		}
		// Settle the bulk write before timing: statistics and visibility
		// as autovacuum would leave them, and its dirty pages written out
		// rather than flushed by a checkpoint during the measurement.
		for _, stmt := range []string{`VACUUM ANALYZE cloacina_tasks`, `VACUUM ANALYZE cloacina_executions`, `CHECKPOINT`} {
			if _, err := pool.Exec(ctx, q(stmt)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkParallelWithHistory works b.N executions of the parallel shape
// (1 -> 3 -> 1) as a runner does, claiming and completing in batches of
// 32, with and without 1,000,000 completed task rows beside them, and
// reports tasks/s: history must not slow the hot path.
//
//	CLOACINA_TEST_DATABASE_URL=... go test -run '^$' -bench ParallelWithHistory -benchtime 2000x ./runtime/store/postgres/
func BenchmarkParallelWithHistory(b *testing.B) {
	for _, history := range []int{0, 1_000_000} {
		b.Run(fmt.Sprintf("completed=%d", history), func(b *testing.B) {
			ctx := context.Background()
			s := newStore(b)
			seedHistory(b, s, history)
			decide := func(in *store.DecideInput) (*store.Decision, error) {
				d := &store.Decision{Run: true, Input: store.Doc{Data: []byte(`{}`)}}
				if in.ExecutionInput != nil {
					d.Input = *in.ExecutionInput
				}
				return d, nil
			}
			const batch = 32
			var news []*store.NewExecution
			flush := func() {
				if len(news) == 0 {
					return
				}
				if _, err := s.CreateExecutions(ctx, &store.CreateExecutionsParams{RunnerID: "r", Executions: news, Decide: decide}); err != nil {
					b.Fatal(err)
				}
				news = nil
			}
			for i := 0; i < b.N; i++ {
				news = append(news, &store.NewExecution{ID: fmt.Sprintf("p%d", i), WorkflowName: "w", WorkflowVersion: "v",
					Input: store.Doc{Data: []byte(`{}`)}, Tasks: []store.TaskSpec{
						{TaskID: "a", MaxAttempts: 1},
						{TaskID: "b", Deps: []string{"a"}, MaxAttempts: 1},
						{TaskID: "c", Deps: []string{"a"}, MaxAttempts: 1},
						{TaskID: "d", Deps: []string{"a"}, MaxAttempts: 1},
						{TaskID: "e", Deps: []string{"b", "c", "d"}, MaxAttempts: 1},
					}})
				if len(news) == 1000 {
					flush()
				}
			}
			flush()
			b.ResetTimer()
			claimed, err := s.ClaimTasks(ctx, &store.ClaimTasksParams{RunnerID: "r", Limit: batch})
			if err != nil {
				b.Fatal(err)
			}
			tasks := claimed.Tasks
			for done := 0; done < 5*b.N; {
				if len(tasks) == 0 {
					b.Fatalf("nothing to claim after %d of %d tasks", done, 5*b.N)
				}
				outs := make([]store.Outcome, len(tasks))
				for i, t := range tasks {
					outs[i] = store.Outcome{ExecutionID: t.ExecutionID, TaskID: t.TaskID, Attempt: t.Attempt, Kind: store.OutcomeSucceeded}
				}
				res, err := s.CompleteTasks(ctx, &store.CompleteTasksParams{RunnerID: "r", Outcomes: outs, Decide: decide, ClaimLimit: batch})
				if err != nil {
					b.Fatal(err)
				}
				done += len(outs)
				tasks = nil
				if res.Claimed != nil {
					tasks = res.Claimed.Tasks
				}
			}
			b.ReportMetric(float64(5*b.N)/b.Elapsed().Seconds(), "tasks/s")
		})
	}
}

var _ = postgres.LatestSchemaVersion
