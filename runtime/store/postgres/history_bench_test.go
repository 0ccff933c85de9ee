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
			if history > 0 {
				// One finished execution holding the history, written in bulk.
				if _, err := pool.Exec(ctx, q(`INSERT INTO cloacina_executions (id, workflow_name, workflow_version, tenant, state,
					input, tasks_total, tasks_remaining, created_at, completed_at)
					VALUES ('history', 'w', 'v', 'public', 'completed', '{}', $1, 0, now(), now())`), history); err != nil {
					b.Fatal(err)
				}
				if _, err := pool.Exec(ctx, q(`INSERT INTO cloacina_tasks (execution_id, workflow_name, workflow_version, task_id,
					position, state, pending_deps, attempt, max_attempts, input, output, started_at, completed_at)
					SELECT 'history', 'w', 'v', 't' || g, g, 'completed', 0, 1, 1, '{}', '{}', now(), now()
					FROM generate_series(1, $1) AS g`), history); err != nil {
					b.Fatal(err)
				}
				if _, err := pool.Exec(ctx, q(`ANALYZE cloacina_tasks`)); err != nil {
					b.Fatal(err)
				}
			}
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

var _ = postgres.LatestSchemaVersion
