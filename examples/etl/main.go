// Command etl defines the nightly extract-transform-load workflow and
// prints its validated plan.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/cloacina-go/cloacina/runtime"
)

func main() {
	noop := func(context.Context, *runtime.Context) error { return nil }
	wf, err := runtime.NewWorkflow("etl").
		Description("Nightly extract, transform, load").
		Add(
			&runtime.Task{ID: "extract", Func: noop},
			&runtime.Task{ID: "transform", Dependencies: []string{"extract"}, Func: noop},
			&runtime.Task{ID: "load", Dependencies: []string{"transform"}, Func: noop},
		).Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("workflow %s (version %s)\n", wf.Name(), wf.Version())
	for i, level := range wf.Levels() {
		fmt.Printf("  level %d: %v\n", i, level)
	}
}
