package runtime_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloacina-go/cloacina/runtime"
)

func extract(ctx context.Context, c *runtime.Context) error {
	return c.Insert("rows", []int{1, 2, 3})
}

func transform(ctx context.Context, c *runtime.Context) error {
	rows, err := runtime.Get[[]int](c, "rows")
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i] *= 10
	}
	return c.Set("rows", rows)
}

func load(ctx context.Context, c *runtime.Context) error { return nil }

// Example_buildWorkflow assembles a workflow by hand, the way generated code
// does, and shows what validation computes.
func Example_buildWorkflow() {
	retry := runtime.DefaultRetryPolicy()
	retry.MaxAttempts = 5
	retry.Backoff = runtime.BackoffLinear

	wf, err := runtime.NewWorkflow("etl").
		Description("Nightly extract, transform, load").
		Add(
			&runtime.Task{ID: "extract", Func: extract},
			&runtime.Task{ID: "transform", Dependencies: []string{"extract"}, Func: transform, Retry: &retry},
			&runtime.Task{
				ID: "load", Dependencies: []string{"transform"}, Func: load,
				Trigger: runtime.All(
					runtime.TaskSuccess("transform"),
					runtime.ContextValue("mode", runtime.OpEquals, "full"),
				),
			},
		).
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("levels:", wf.Levels())
	t, _ := wf.Task("load")
	fmt.Println("load runs when:", t.Trigger)

	// A mistake is reported with everything needed to fix it.
	_, err = runtime.NewWorkflow("broken").Add(
		&runtime.Task{ID: "a", Dependencies: []string{"c"}, Func: load},
		&runtime.Task{ID: "b", Dependencies: []string{"a"}, Func: load},
		&runtime.Task{ID: "c", Dependencies: []string{"b"}, Func: load},
	).Build()
	var verr *runtime.ValidationError
	if errors.As(err, &verr) {
		fmt.Println(verr.Kind, verr.Path)
		fmt.Println(err)
	}
	// Output:
	// levels: [[extract] [transform] [load]]
	// load runs when: all(task_success(transform), context_value(mode, equals, "full"))
	// cycle [a c b a]
	// workflow "broken": cycle: a -> c -> b -> a
}

// ExampleContext_Merge shows the merge a task with several dependencies
// receives: objects merge recursively, arrays concatenate without
// duplicates, other values take the later one.
func ExampleContext_Merge() {
	left := runtime.NewContext()
	_ = left.Set("ids", []int{1, 2})
	_ = left.Set("cfg", map[string]any{"db": "a", "retries": 1})
	right := runtime.NewContext()
	_ = right.Set("ids", []int{2, 3})
	_ = right.Set("cfg", map[string]any{"retries": 2})

	merged, err := runtime.MergeContexts(left, right)
	if err != nil {
		panic(err)
	}
	fmt.Println(merged)
	// Output: {"cfg":{"db":"a","retries":2},"ids":[1,2,3]}
}

// ExampleRetryPolicy_BaseDelay prints the delays of the default policy.
func ExampleRetryPolicy_BaseDelay() {
	p := runtime.DefaultRetryPolicy()
	for attempt := 1; attempt <= 6; attempt++ {
		fmt.Print(p.BaseDelay(attempt), " ")
	}
	fmt.Println()
	// Output: 1s 2s 4s 8s 16s 30s
}
