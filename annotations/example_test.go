package annotations_test

import (
	"fmt"
	"go/parser"
	"go/token"

	"github.com/cloacina-go/cloacina/annotations"
)

func ExampleParseFile() {
	const src = `package etl

//cloacina:workflow name=etl description="Nightly extract, transform, load"

//cloacina:task id=extract
func Extract(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task deps=extract retry_attemps=5 retry_delay="5 sec"
func Transform(ctx context.Context, c *runtime.Context) error { return nil }
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "etl.go", src, parser.ParseComments)
	if err != nil {
		panic(err)
	}
	file, errs := annotations.ParseFile(fset, f)
	for _, w := range file.Workflows {
		fmt.Printf("workflow %s (%s)\n", w.Name, w.Description)
	}
	for _, t := range file.Tasks {
		fmt.Printf("task %s deps=%v attempts=%d\n", t.ID, t.Deps, t.RetryAttempts)
	}
	fmt.Println(errs)
	// Output:
	// workflow etl (Nightly extract, transform, load)
	// task extract deps=[] attempts=3
	// task transform deps=[extract] attempts=3
	// etl.go:8:30: unknown key "retry_attemps" for //cloacina:task; did you mean "retry_attempts"?
	// etl.go:8:59: retry_delay: "5 sec" is not a Go duration (e.g. 500ms, 5s)
}

func ExampleParseRule() {
	r, err := annotations.ParseRule(token.Position{Filename: "etl.go", Line: 1, Column: 1},
		`all( task_success(transform), context_value("mode", equals, "full") )`)
	if err != nil {
		panic(err)
	}
	fmt.Println(r)
	fmt.Println(r.Rules[1].Key, r.Rules[1].Op, r.Rules[1].Value.Value)

	_, err = annotations.ParseRule(token.Position{Filename: "etl.go", Line: 1, Column: 1}, `any(task_failed(a), task_sucess(b))`)
	fmt.Println(err)
	// Output:
	// all(task_success(transform), context_value(mode, equals, "full"))
	// mode equals full
	// etl.go:1:21: unknown rule "task_sucess"; did you mean "task_success"?
}
