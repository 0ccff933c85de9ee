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
				var ctxID int64
				if err := pool.QueryRow(ctx, q(`INSERT INTO cloacina_contexts (execution_id, data) VALUES ('history', '{}') RETURNING id`)).Scan(&ctxID); err != nil {
					b.Fatal(err)
				}
				if _, err := pool.Exec(ctx, q(`INSERT INTO cloacina_executions (id, workflow_name, workflow_version, tenant, state,
					input_ctx, tasks_total, tasks_remaining, created_at, completed_at)
					VALUES ('history', 'w', 'v', 'public', 'completed', $2, $1, 0, now(), now())`), history, ctxID); err != nil {
					b.Fatal(err)
				}
				if _, err := pool.Exec(ctx, q(`INSERT INTO cloacina_tasks (execution_id, workflow_name, task_id, position, state,
					pending_deps, attempt, max_attempts, input_ctx, output_ctx, started_at, completed_at)
					SELECT 'history', 'w', 't' || g, g, 'completed', 0, 1, 1, $2, $2, now(), now()
					FROM generate_series(1, $1) AS g`), history, ctxID); err != nil {
					b.Fatal(err)
				}
				if _, err := pool.Exec(ctx, q(`ANALYZE cloacina_tasks`)); err != nil {
					b.Fatal(err)
				}
			}
			const limit = 10
			decide := func(in *store.DecideInput) (*store.Decision, error) {
				return &store.Decision{Run: true, ReuseContextID: in.ExecutionInput.ID}, nil
			}
			p := &store.CreateExecutionParams{ID: "ready", WorkflowName: "w", WorkflowVersion: "v", Decide: decide, RunnerID: "r"}
			for i := 0; i < b.N*limit; i++ {
				p.Tasks = append(p.Tasks, store.TaskSpec{TaskID: fmt.Sprintf("r%d", i), MaxAttempts: 1})
			}
			if _, err := s.CreateExecution(ctx, p); err != nil {
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
