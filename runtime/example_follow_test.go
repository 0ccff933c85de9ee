package runtime_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/cloacina-go/cloacina/runtime"
)

// ExampleExecution_Follow prints an execution's progress as it is stored.
func ExampleExecution_Follow() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "follow")
	defer os.RemoveAll(dir)
	reg := runtime.NewRegistry()
	reg.MustRegister(runtime.NewWorkflow("etl").Add(
		&runtime.Task{ID: "extract", Func: extract},
		&runtime.Task{ID: "transform", Dependencies: []string{"extract"}, Func: transform},
	).MustBuild())
	runner, err := runtime.NewRunner(ctx, &runtime.Config{DatabaseURL: "sqlite://" + filepath.Join(dir, "etl.db"),
		Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer runner.Shutdown(ctx)

	exec, err := runner.ExecuteAsync(ctx, "etl", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for ev, err := range exec.Follow(ctx) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(strings.TrimSpace(ev.Kind + " " + ev.TaskID))
	}
	// Output:
	// execution_created
	// task_started extract
	// task_completed extract
	// task_started transform
	// task_completed transform
	// execution_completed
}
