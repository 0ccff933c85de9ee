package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/postgres"
	"github.com/cloacina-go/cloacina/runtime/store/storetest"
)

// TestUpgradeFromSchema1 opens a schema written by the first schema
// version, with an execution half done, and finishes the execution with
// this version.
func TestUpgradeFromSchema1(t *testing.T) {
	ctx := context.Background()
	pool := testPool(t)
	schema := freshSchema(t, pool)
	schema1, err := os.ReadFile("migrations/001_initial.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q := pgx.Identifier{schema}.Sanitize()
	for _, stmt := range []string{
		`CREATE SCHEMA ` + q,
		`SET search_path TO ` + q,
		`CREATE TABLE cloacina_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
		string(schema1),
		`INSERT INTO cloacina_migrations (version, name) VALUES (1, '001_initial')`,
		`INSERT INTO cloacina_contexts (id, execution_id, data) VALUES (1, 'e1', '{"in":1}'), (2, 'e1', '{"a":2}')`,
		`INSERT INTO cloacina_executions (id, workflow_name, workflow_version, tenant, state, input_ctx, tasks_total, tasks_remaining, created_at, started_at)
			VALUES ('e1', 'w', 'v', 'public', 'running', 1, 2, 1, now(), now())`,
		`INSERT INTO cloacina_tasks (execution_id, workflow_name, task_id, position, state, deps, dependents, pending_deps, attempt, max_attempts, input_ctx, output_ctx, started_at, completed_at)
			VALUES ('e1', 'w', 'a', 0, 'completed', '', 'b', 0, 1, 1, 1, 2, now(), now())`,
		`INSERT INTO cloacina_tasks (execution_id, workflow_name, task_id, position, state, deps, dependents, pending_deps, attempt, max_attempts, input_ctx, retry_at)
			VALUES ('e1', 'w', 'b', 1, 'ready', 'a', '', 0, 0, 1, 2, now())`,
		`INSERT INTO cloacina_events (id, execution_id, task_id, kind, attempt, runner_id, message, at)
			VALUES (1, 'e1', '', 'execution_created', 0, '', '', now()), (2, 'e1', 'a', 'task_completed', 1, 'r0', 'done "a"', now())`,
		`RESET search_path`,
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	conn.Release()

	s, err := postgres.New(ctx, pool, &postgres.Options{Schema: schema})
	if err != nil {
		t.Fatalf("open the old schema: %v", err)
	}
	defer s.Close()
	e, err := s.GetExecution(ctx, "e1")
	if err != nil || e.State != store.ExecutionRunning || string(e.Input.Data) != `{"in":1}` {
		t.Fatalf("execution after the upgrade = %+v, %v", e, err)
	}
	tasks, err := s.ListTasks(ctx, "e1")
	if err != nil || len(tasks) != 2 || string(tasks[0].Output.Data) != `{"a":2}` || string(tasks[1].Input.Data) != `{"a":2}` {
		t.Fatalf("tasks after the upgrade = %+v, %v", tasks, err)
	}
	claimed, err := s.ClaimTasks(ctx, &store.ClaimTasksParams{RunnerID: "r", Limit: 10})
	if err != nil || len(claimed.Tasks) != 1 || claimed.Tasks[0].TaskID != "b" || claimed.Tasks[0].WorkflowVersion != "v" {
		t.Fatalf("claim after the upgrade = %+v, %v", claimed, err)
	}
	decide := func(in *store.DecideInput) (*store.Decision, error) { return &store.Decision{Run: true}, nil }
	res, err := s.CompleteTasks(ctx, &store.CompleteTasksParams{RunnerID: "r", Decide: decide,
		Outcomes: []store.Outcome{{ExecutionID: "e1", TaskID: "b", Attempt: 1, Kind: store.OutcomeSucceeded}}})
	if err != nil || len(res.Finished) != 1 || res.Finished[0].State != store.ExecutionCompleted {
		t.Fatalf("completing the last task = %+v, %v; want the execution completed", res, err)
	}
	storetest.CheckUpgradedEvents(t, s)
}
