package gen_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/internal/testgen"
)

// etlRunner is a main function run next to the ETL example's tasks.go and
// cloacina_gen.go (its own main.go is left out), executing the generated
// workflow with the real runner on an in-memory SQLite database.
const etlRunner = `package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if EtlWorkflow.Version() != EtlVersion {
		fail("version %s, constant %s", EtlWorkflow.Version(), EtlVersion)
	}
	for _, mode := range []string{"incremental", "full"} {
		runner, err := runtime.NewRunner(ctx, &runtime.Config{DatabaseURL: "sqlite://:memory:"})
		if err != nil {
			fail("runner: %v", err)
		}
		input := runtime.NewContext()
		if err := input.Insert("mode", mode); err != nil {
			fail("input: %v", err)
		}
		res, err := runner.Execute(ctx, "etl", input)
		if err != nil {
			fail("mode %s: %v", mode, err)
		}
		if res.Status != runtime.PipelineStatusCompleted || res.WorkflowVersion != EtlVersion {
			fail("mode %s: status %s, version %s", mode, res.Status, res.WorkflowVersion)
		}
		want := map[string]runtime.TaskStatus{
			"extract": runtime.TaskStatusCompleted, "validate": runtime.TaskStatusCompleted,
			"transform": runtime.TaskStatusCompleted, "load": runtime.TaskStatusCompleted,
			"archive": runtime.TaskStatusSkipped, "notify": runtime.TaskStatusCompleted,
		}
		if mode == "full" {
			want["archive"] = runtime.TaskStatusCompleted
		}
		for id, status := range want {
			tr, ok := res.Task(id)
			if !ok || tr.Status != status {
				fail("mode %s: task %s is %v, want %v", mode, id, tr.Status, status)
			}
		}
		if tr, _ := res.Task("transform"); tr.Attempts != 2 {
			fail("mode %s: transform took %d attempts, want 2 (the first fails on purpose)", mode, tr.Attempts)
		}
		var note string
		if err := res.Context.Get("notification", &note); err != nil {
			fail("mode %s: %v", mode, err)
		}
		fmt.Printf("%s: %s\n", mode, note)
		if err := runner.Shutdown(ctx); err != nil {
			fail("shutdown: %v", err)
		}
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}
`

// TestExampleETL runs the ETL example's generated workflow with the real
// runner: it completes, transform succeeds on its second attempt, and
// archive runs only when the input asks for a full run.
func TestExampleETL(t *testing.T) {
	t.Parallel()
	m := sharedModule(t)
	root, err := testgen.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tasks.go", "cloacina_gen.go"} {
		src, err := os.ReadFile(filepath.Join(root, "examples", "etl", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.WriteFile("etlrun/"+name, src); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.WriteFile("etlrun/run.go", []byte(etlRunner)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := m.Go(ctx, "run", "./etlrun")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "full: etl done:") || !strings.Contains(string(out), "totals archived") {
		t.Errorf("unexpected output:\n%s", out)
	}
	t.Logf("%s", out)
}
