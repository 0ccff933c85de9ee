package annotations

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"
	"testing"
	"time"
)

func parseSrc(t *testing.T, src string) (*File, []string) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, testFile, src, parser.ParseComments)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	out, errs := ParseFile(fset, f)
	if out == nil {
		t.Fatal("nil File")
	}
	return out, short(t, errs)
}

const etlSrc = `// Package etl is the nightly job.
//
//cloacina:workflow name=etl description="Nightly extract, transform, load"
//cloacina:workflow author="data team"
package etl

//go:generate go tool cloacina-gen

import (
	"context"

	"example.com/cloacina/runtime"
)

// Extract reads the rows. See the cloacina docs: nothing here is a directive.
//
//cloacina:task
func Extract(ctx context.Context, c *runtime.Context) error {
	return c.Insert("rows", []int{1, 2, 3})
}

// Transform reshapes the rows.
//
//cloacina:task id=transform deps=extract retry_attempts=5
//cloacina:task retry_backoff=exponential retry_delay=200ms
func Transform(ctx context.Context, c *runtime.Context) error { return nil }

//cloacina:task id=load deps=transform timeout=30s trigger_rules=all(task_success(transform), context_value(mode, equals, "full"))
//cloacina:task on_success=notify on_failure=alert
func Load(ctx context.Context, c *runtime.Context) error { return nil }

func notify(ctx context.Context, c *runtime.Context) {}
func alert(ctx context.Context, c *runtime.Context, err error) {}

//cloacina:workflow name=audit tenant=compliance tasks=audit_log

//cloacina:task workflow=audit
func AuditLog(ctx context.Context, c *runtime.Context) error { return nil }
`

func TestParseFileETL(t *testing.T) {
	out, errs := parseSrc(t, etlSrc)
	if len(errs) > 0 {
		t.Fatalf("errors: %q", errs)
	}
	if len(out.Workflows) != 2 || len(out.Tasks) != 4 {
		t.Fatalf("got %d workflows, %d tasks", len(out.Workflows), len(out.Tasks))
	}
	etl := out.Workflows[0]
	if etl.Name != "etl" || etl.Description != "Nightly extract, transform, load" || etl.Author != "data team" ||
		etl.Tenant != "" || etl.HasTasks || etl.Pos != pos0(3, 1, 38) {
		t.Errorf("etl: %+v", etl)
	}
	audit := out.Workflows[1]
	if audit.Name != "audit" || audit.Tenant != "compliance" || !reflect.DeepEqual(audit.Tasks, []string{"audit_log"}) || audit.Pos.Line != 35 {
		t.Errorf("audit: %+v", audit)
	}
	var ids []string
	for _, tk := range out.Tasks {
		ids = append(ids, tk.ID)
		if tk.Func == nil || tk.Func.Name.Name != tk.FuncName {
			t.Errorf("task %s: Func %v, FuncName %s", tk.ID, tk.Func, tk.FuncName)
		}
	}
	if !reflect.DeepEqual(ids, []string{"extract", "transform", "load", "audit_log"}) {
		t.Errorf("ids: %v", ids)
	}
	tr := out.Tasks[1]
	if tr.Pos.Line != 24 || tr.RetryAttempts != 5 || tr.RetryDelay != 200*time.Millisecond || tr.Deps[0] != "extract" ||
		tr.Keys["retry_delay"].Pos.Line != 25 {
		t.Errorf("transform: %+v", tr)
	}
	ld := out.Tasks[2]
	if ld.Timeout != 30*time.Second || ld.Trigger.String() != `all(task_success(transform), context_value(mode, equals, "full"))` ||
		ld.OnSuccess != "notify" || ld.OnFailure != "alert" || ld.Trigger.Pos.Line != 28 || ld.Trigger.Pos.Column != 66 {
		t.Errorf("load: %+v", ld)
	}
	if out.Tasks[3].Workflow != "audit" {
		t.Errorf("audit_log: %+v", out.Tasks[3])
	}
}

func pos0(line, col, off int) token.Position {
	return token.Position{Filename: testFile, Line: line, Column: col, Offset: off}
}

var placementCases = []struct {
	name      string
	src       string // after "package p\n\n" (so the source starts on line 3)
	errs      []string
	tasks     []string // ids of the tasks returned
	workflows []string // names of the workflows returned
}{
	{
		name:  "task on function",
		src:   "//cloacina:task\nfunc F() {}\n",
		tasks: []string{"f"},
	},
	{
		name:  "task in a long doc comment",
		src:   "// F does things.\n//\n// More things.\n//cloacina:task id=x\n// Trailing prose.\nfunc F() {}\n",
		tasks: []string{"x"},
	},
	{
		name:  "generic function",
		src:   "//cloacina:task\nfunc F[T any]() {}\n",
		tasks: []string{"f"},
	},
	{
		name: "method",
		src:  "type T struct{}\n\n//cloacina:task\nfunc (t *T) Run() {}\n",
		errs: []string{`5:1: //cloacina:task on method (*T).Run; tasks must be top-level functions`},
	},
	{
		name: "method with value and generic receiver",
		src:  "type T[K any] struct{}\n\n//cloacina:task\nfunc (T[K]) Run() {}\n",
		errs: []string{`5:1: //cloacina:task on method (T[K]).Run; tasks must be top-level functions`},
	},
	{
		name: "var",
		src:  "//cloacina:task\nvar x = 1\n",
		errs: []string{`3:1: //cloacina:task on var x; tasks must be top-level functions`},
	},
	{
		name: "const in a group",
		src:  "const (\n\t//cloacina:task\n\tc = 1\n)\n",
		errs: []string{`4:2: //cloacina:task on const c; tasks must be top-level functions`},
	},
	{
		name: "type",
		src:  "//cloacina:task id=t\ntype T struct{}\n",
		errs: []string{`3:1: //cloacina:task on type T; tasks must be top-level functions`},
	},
	{
		name: "struct field",
		src:  "type T struct {\n\t//cloacina:task\n\tF int\n}\n",
		errs: []string{`4:2: //cloacina:task inside type T; tasks must be top-level functions`},
	},
	{
		name: "inside a body",
		src:  "func F() {\n\t//cloacina:task\n\tx := 1\n\t_ = x\n}\n",
		errs: []string{`4:2: //cloacina:task inside the body of func F; tasks must be top-level functions`},
	},
	{
		name: "nested function literal",
		src:  "func F() {\n\tg := func() {\n\t\t//cloacina:task\n\t}\n\t_ = g\n}\n",
		errs: []string{`5:3: //cloacina:task inside the body of func F; tasks must be top-level functions`},
	},
	{
		name: "function literal at top level",
		src:  "var g = func() {\n\t//cloacina:task\n}\n",
		errs: []string{`4:2: //cloacina:task inside a function literal; tasks must be top-level functions`},
	},
	{
		name: "floating",
		src:  "//cloacina:task id=x\n\nfunc F() {}\n",
		errs: []string{`3:1: //cloacina:task is not attached to a function; put it directly above a top-level func, with no blank line between`},
	},
	{
		name: "at end of file",
		src:  "func F() {}\n\n//cloacina:task\n",
		errs: []string{`5:1: //cloacina:task is not attached to a function; put it directly above a top-level func, with no blank line between`},
	},
	{
		name: "same line as a function",
		src:  "func F() {} //cloacina:task\n",
		errs: []string{`3:13: //cloacina:task on the same line as func F; put it on its own line directly above a top-level func`},
	},
	{
		name: "in the package doc",
		src:  "",
		errs: []string{`1:1: //cloacina:task in the package doc comment; put it directly above a top-level func, with no blank line between`},
	},
	{
		name:  "two groups on one function",
		src:   "//cloacina:task id=x\n// Prose.\n//cloacina:task deps=y\nfunc F() {}\n",
		errs:  []string{`5:1: second //cloacina:task group on func F (first at etl.go:3:1); put all //cloacina:task lines of a function together`},
		tasks: []string{"x"},
	},
	{
		name: "init",
		src:  "//cloacina:task\nfunc init() {}\n",
		errs: []string{`3:1: //cloacina:task on func init; init cannot be referenced, so it cannot be a task`},
	},
	{
		name: "blank function",
		src:  "//cloacina:task\nfunc _() {}\n",
		errs: []string{`3:1: //cloacina:task on func _; a blank function cannot be a task`},
	},
	{
		name: "misplaced directives are still checked",
		src:  "//cloacina:task retry_attemps=3\nvar x = 1\n",
		errs: []string{
			`3:1: //cloacina:task on var x; tasks must be top-level functions`,
			`3:17: unknown key "retry_attemps" for //cloacina:task; did you mean "retry_attempts"?`,
		},
	},
	{
		name: "spaced marker",
		src:  "// cloacina:task id=x\nfunc F() {}\n",
		errs: []string{`3:1: no space allowed after "//" in a directive; write //cloacina:task`},
		// The directive is still read so that other tasks' deps resolve.
		tasks: []string{"x"},
	},
	{
		name: "block comment",
		src:  "/*cloacina:task id=x*/\nfunc F() {}\n",
		errs: []string{`3:3: directive in a /* */ comment is not read; write it as a line comment: //cloacina:task`},
	},
	{
		name: "multi-line block comment",
		src:  "/*\n * F does things.\n * cloacina:task id=x\n\tcloacina:workflow name=w\n */\nfunc F() {}\n",
		errs: []string{
			`5:4: directive in a /* */ comment is not read; write it as a line comment: //cloacina:task`,
			`6:2: directive in a /* */ comment is not read; write it as a line comment: //cloacina:workflow`,
		},
	},
	{
		name: "prose mentioning cloacina",
		src:  "// Uses cloacina: see the docs.\n// cloacina is great.\n/* the cloacina: engine */\nfunc F() {}\n",
	},
	{
		name:  "unknown verb does not split a group",
		src:   "//cloacina:task id=x\n//cloacina:taks deps=y\n//cloacina:task retry_attempts=2\nfunc F() {}\n",
		errs:  []string{`4:1: unknown directive //cloacina:taks; did you mean //cloacina:task?`},
		tasks: []string{"x"},
	},
	{
		name:  "duplicate key across merged lines",
		src:   "//cloacina:task deps=a\n//cloacina:task id=x deps=b\nfunc F() {}\n",
		errs:  []string{`4:22: duplicate key "deps" (first given at etl.go:3:17)`},
		tasks: []string{"x"},
	},
	{
		name:      "workflows at top level",
		src:       "//cloacina:workflow name=a\n\n//cloacina:workflow name=b\n// Prose between.\n//cloacina:workflow name=c\n\nfunc F() {}\n\n//cloacina:workflow name=d\n",
		workflows: []string{"a", "b", "c", "d"},
	},
	{
		name:      "two workflows without a blank line",
		src:       "//cloacina:workflow name=a\n//cloacina:workflow name=b\n",
		errs:      []string{`4:21: duplicate key "name" (first given at etl.go:3:21); consecutive //cloacina:workflow lines form one directive, so separate two workflows with a blank line`},
		workflows: []string{"a"},
	},
	{
		name:  "workflow in a function doc",
		src:   "//cloacina:workflow name=etl\n//cloacina:task\nfunc Extract() {}\n",
		errs:  []string{`3:1: //cloacina:workflow in the doc comment of func Extract; separate it from the declaration with a blank line`},
		tasks: []string{"extract"},
	},
	{
		name: "workflow in an import doc",
		src:  "//cloacina:workflow name=etl\nimport \"fmt\"\n\nvar _ = fmt.Sprint\n",
		errs: []string{`3:1: //cloacina:workflow in the doc comment of import "fmt"; separate it from the declaration with a blank line`},
	},
	{
		name: "workflow in a body",
		src:  "func main() {\n\t//cloacina:workflow name=etl\n}\n",
		errs: []string{`4:2: //cloacina:workflow inside the body of func main; workflows must be declared at top level`},
	},
	{
		name: "workflow in a function literal",
		src:  "var f = func() {\n\t//cloacina:workflow name=etl\n}\n",
		errs: []string{`4:2: //cloacina:workflow inside a function literal; workflows must be declared at top level`},
	},
	{
		name: "workflow inside a declaration",
		src:  "var (\n\tx = 1 //cloacina:workflow name=etl\n)\n",
		errs: []string{`4:8: //cloacina:workflow inside var x; workflows must be declared at top level`},
	},
	{
		name: "workflow on the line of a declaration",
		src:  "var x = 1 //cloacina:workflow name=etl\n",
		errs: []string{`3:11: //cloacina:workflow on the same line as var x; put it on its own line at top level`},
	},
	{
		name: "misplaced workflow is still checked",
		src:  "func main() {\n\t//cloacina:workflow\n}\n",
		errs: []string{
			`4:2: //cloacina:workflow inside the body of func main; workflows must be declared at top level`,
			`4:2: missing required key "name" for //cloacina:workflow`,
		},
	},
	{
		name: "errors of several directives are all reported, sorted",
		src:  "//cloacina:task retry_delay=x\nfunc A() {}\n\n//cloacina:workflow name=1\n\n//cloacina:task id=b deps=a,,c\nfunc B() {}\n",
		errs: []string{
			`3:29: retry_delay: "x" is not a Go duration (e.g. 500ms, 5s)`,
			`6:26: name: "1" is not a valid workflow name; use letters, digits, "_" and "-", starting with a letter`,
			`8:29: deps: empty element in list "a,,c"`,
		},
		tasks:     []string{"a", "b"},
		workflows: []string{""},
	},
}

func TestParseFilePlacement(t *testing.T) {
	cases := placementCases
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := "package p\n\n" + c.src
			if c.name == "in the package doc" {
				src = "//cloacina:task\npackage p\n"
			}
			out, errs := parseSrc(t, src)
			if !equalStrings(errs, c.errs) {
				t.Errorf("errors:\n got %q\nwant %q", errs, c.errs)
			}
			var tasks, wfs []string
			for _, tk := range out.Tasks {
				tasks = append(tasks, tk.ID)
			}
			for _, w := range out.Workflows {
				wfs = append(wfs, w.Name)
			}
			if !equalStrings(tasks, c.tasks) || !equalStrings(wfs, c.workflows) {
				t.Errorf("got tasks %q, workflows %q; want %q, %q", tasks, wfs, c.tasks, c.workflows)
			}
		})
	}
}

func TestParseFileLineDirective(t *testing.T) {
	// A //line directive without a column leaves adjusted columns unknown;
	// positions then fall back to the file itself.
	src := "package p\n\n//line gen.tmpl:10\n//cloacina:task retry_attempts=0\nfunc F() {}\n"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, testFile, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	_, errs := ParseFile(fset, f)
	checkPositions(t, errs)
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, "retry_attempts") {
		t.Fatalf("got %v", errs)
	}
	// With a column, the adjusted position is used.
	src = "package p\n\n//line gen.tmpl:10:1\n//cloacina:task retry_attempts=0\nfunc F() {}\n"
	f, _ = parser.ParseFile(fset, testFile, src, parser.ParseComments)
	_, errs = ParseFile(fset, f)
	if len(errs) != 1 || errs[0].Pos.String() != "gen.tmpl:10:32" {
		t.Fatalf("got %v", errs)
	}
}

func TestParseFileNil(t *testing.T) {
	out, errs := ParseFile(token.NewFileSet(), nil)
	if out == nil || len(errs) != 0 {
		t.Errorf("got %v %v", out, errs)
	}
	// Without parser.ParseComments there is nothing to find.
	fset := token.NewFileSet()
	f, _ := parser.ParseFile(fset, testFile, "package p\n//cloacina:task\nfunc F() {}\n", 0)
	if out, errs := ParseFile(fset, f); len(out.Tasks) != 0 || len(errs) != 0 {
		t.Errorf("got %v %v", out, errs)
	}
}

// ParseFile copes with the partial syntax trees of files that do not parse.
func TestParseFileBroken(t *testing.T) {
	for _, src := range []string{
		"package p\n//cloacina:task\nfunc (\n",
		"package p\n//cloacina:task\nfunc () F() {}\n",
		"package p\nfunc F() {\n//cloacina:task\n",
		"package p\nvar (\n//cloacina:task\n",
		"package p\n//cloacina:workflow name=x\nimport\n",
	} {
		fset := token.NewFileSet()
		f, _ := parser.ParseFile(fset, testFile, src, parser.ParseComments)
		if f == nil {
			continue
		}
		_, errs := ParseFile(fset, f)
		checkPositions(t, errs)
	}
}

func TestFuncDesc(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, testFile, "package p\nfunc F() {}\nfunc (T) M() {}\nfunc (*T) N() {}\n", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range f.Decls {
		got = append(got, funcDesc(d.(*ast.FuncDecl)))
	}
	if want := []string{"func F", "method (T).M", "method (*T).N"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
}

// TestFindDirectives: every directive is found, merged lines once,
// whatever its placement or validity, and other comments are not.
func TestFindDirectives(t *testing.T) {
	src := `package p

//cloacina:workflow name=w
//cloacina:workflow description=x

// F is a task.
//
//cloacina:task id=f
//cloacina:task retry_attempts=2
//cloacina:workflow name=second
func F() {
	//cloacina:task inside a body
}

// cloacina:task with a space
//cloacnia:task misspelt
// Prose that mentions cloacina:task is not a directive,
// nor is this line about the cloacina project.
var v int
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, testFile, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range FindDirectives(fset, f) {
		got = append(got, fmt.Sprintf("%d:%d %s", d.Pos.Line, d.Pos.Column, d.Verb))
	}
	want := []string{"3:1 workflow", "8:1 task", "10:1 workflow", "12:2 task", "15:1 task", "16:1 "}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FindDirectives = %q, want %q", got, want)
	}
}
