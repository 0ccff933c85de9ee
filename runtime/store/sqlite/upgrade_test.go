package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/sqlite"
	"github.com/cloacina-go/cloacina/runtime/store/storetest"
)

// TestUpgradeFromSchema1 opens a database written by the first schema, with
// an execution half done, and finishes the execution with this version.
func TestUpgradeFromSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	raw := openRaw(t, path)
	schema1, err := os.ReadFile("migrations/001_initial.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE cloacina_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
		string(schema1),
		`INSERT INTO cloacina_migrations VALUES (1, '001_initial', 0)`,
		`INSERT INTO cloacina_contexts (id, execution_id, data) VALUES (1, 'e1', '{"in":1}'), (2, 'e1', '{"a":2}')`,
		`INSERT INTO cloacina_executions (id, workflow_name, workflow_version, tenant, state, input_ctx, tasks_total, tasks_remaining, created_at, started_at)
			VALUES ('e1', 'w', 'v', 'public', 'running', 1, 2, 1, 100, 200)`,
		`INSERT INTO cloacina_tasks (execution_id, task_id, position, state, deps, dependents, pending_deps, attempt, max_attempts, input_ctx, output_ctx, started_at, completed_at)
			VALUES ('e1', 'a', 0, 'completed', '', 'b', 0, 1, 1, 1, 2, 200, 300)`,
		`INSERT INTO cloacina_tasks (execution_id, task_id, position, state, deps, dependents, pending_deps, attempt, max_attempts, input_ctx, retry_at)
			VALUES ('e1', 'b', 1, 'ready', 'a', '', 0, 0, 1, 2, 300)`,
		`INSERT INTO cloacina_events (id, execution_id, task_id, kind, attempt, runner_id, message, at)
			VALUES (1, 'e1', '', 'execution_created', 0, '', '', 100), (2, 'e1', 'a', 'task_completed', 1, 'r0', 'done "a"', 100)`,
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	raw.Close()

	ctx := context.Background()
	s, err := sqlite.OpenPath(ctx, path)
	if err != nil {
		t.Fatalf("open the old database: %v", err)
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
	if err != nil || len(claimed.Tasks) != 1 || claimed.Tasks[0].TaskID != "b" || claimed.Tasks[0].WorkflowName != "w" {
		t.Fatalf("claim after the upgrade = %+v, %v", claimed, err)
	}
	res, err := s.CompleteTasks(ctx, &store.CompleteTasksParams{RunnerID: "r", Decide: benchDecide,
		Outcomes: []store.Outcome{{ExecutionID: "e1", TaskID: "b", Attempt: 1, Kind: store.OutcomeSucceeded}}})
	if err != nil || len(res.Finished) != 1 || res.Finished[0].State != store.ExecutionCompleted {
		t.Fatalf("completing the last task = %+v, %v; want the execution completed", res, err)
	}
	storetest.CheckUpgradedEvents(t, s)
}
