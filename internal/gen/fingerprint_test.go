package gen_test

import (
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/internal/gen"
)

// fingerprintBase is the package every variant of TestFingerprint edits.
const fingerprintBase = `package fp

import (
	"context"
	"fmt"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=fp

// Extract reads the rows.
//
//cloacina:task id=extract retry_attempts=5 retry_delay=2s
func Extract(ctx context.Context, c *runtime.Context) error {
	rows := []int{1, 2, 3}
	if len(rows) == 0 {
		return fmt.Errorf("no rows")
	}
	return c.Insert("rows", rows)
}

// Load writes the rows.
//
//cloacina:task id=load deps=extract timeout=1m
func Load(ctx context.Context, c *runtime.Context) error {
	return c.Set("loaded", true)
}
`

// TestFingerprint checks what changes a task's fingerprint and its
// workflow's version: the function's name, parameters, results or body,
// and any value of its directive do; comments, formatting and the way the
// directive is spelt do not.
func TestFingerprint(t *testing.T) {
	t.Parallel()
	type variant struct {
		name    string
		edit    func(string) string
		changed string // the task whose fingerprint must change; "" for none
	}
	replace := func(old, new string) func(string) string {
		return func(s string) string {
			if !strings.Contains(s, old) {
				t.Fatalf("fingerprintBase does not contain %q", old)
			}
			return strings.Replace(s, old, new, 1)
		}
	}
	variants := []variant{
		{"base", func(s string) string { return s }, ""},
		{"comments", replace("\trows := []int{1, 2, 3}\n", "\t// The rows are fixed.\n\trows := []int{1, 2, 3} /* three */\n\n\t// An empty batch is an error.\n"), ""},
		{"doc_comment", replace("// Extract reads the rows.", "// Extract reads the rows from the\n// source system, in batches."), ""},
		{"formatting", replace("\trows := []int{1, 2, 3}\n\tif len(rows) == 0 {\n\t\treturn fmt.Errorf(\"no rows\")\n\t}\n",
			"\trows:=[]int{\n\t\t1,\n\t\t2,\n\t\t3,\n\t}\n\n\n\tif len(rows)==0 { return fmt.Errorf(\n\t\t\"no rows\") }\n"), ""},
		{"signature_layout", replace("func Extract(ctx context.Context, c *runtime.Context) error {",
			"func Extract(\n\tctx context.Context,\n\tc *runtime.Context,\n) error {"), ""},
		{"directive_spelling", replace("//cloacina:task id=extract retry_attempts=5 retry_delay=2s",
			"//cloacina:task   retry_delay=2000ms\n//cloacina:task retry_attempts=5    id=extract"), ""},
		{"deps_alias", replace("deps=extract", "dependencies=extract"), ""},
		{"declaration_order", func(s string) string {
			i := strings.Index(s, "// Extract reads")
			j := strings.Index(s, "// Load writes")
			return s[:i] + s[j:] + "\n" + s[i:j]
		}, ""},
		{"body", replace("[]int{1, 2, 3}", "[]int{1, 2, 3, 4}"), "extract"},
		{"body_call", replace("c.Set(\"loaded\", true)", "c.Insert(\"loaded\", true)"), "load"},
		{"parameter_name", replace("func Load(ctx context.Context, c *runtime.Context) error {\n\treturn c.Set",
			"func Load(ctx context.Context, data *runtime.Context) error {\n\treturn data.Set"), "load"},
		{"parameter_type", replace("func Load(ctx context.Context, c *runtime.Context) error {",
			"func Load(ctx context.Context, c *Data) error {"), "load"},
		{"function_name", func(s string) string {
			return strings.ReplaceAll(s, "func Load(", "func LoadRows(")
		}, "load"},
		{"directive_value", replace("retry_attempts=5", "retry_attempts=6"), "extract"},
		{"directive_key", replace("timeout=1m", "timeout=1m retry_jitter=true"), "load"},
		{"directive_same_default", replace("timeout=1m", "timeout=1m retry_backoff=exponential"), "load"},
	}
	m := sharedModule(t)
	for _, v := range variants {
		src := v.edit(fingerprintBase)
		if v.name == "parameter_type" {
			src += "\n// Data is an alias of runtime.Context.\ntype Data = runtime.Context\n"
		}
		if err := m.WriteFile("fp/"+v.name+"/fp.go", []byte(src)); err != nil {
			t.Fatal(err)
		}
	}
	results := byPath(generate(t, m, "./fp/..."))
	workflow := func(name string) *gen.Workflow {
		r := results[m.Path+"/fp/"+name]
		if r == nil || len(r.Errors) > 0 || len(r.Workflows) != 1 {
			t.Fatalf("variant %s: %+v", name, r)
		}
		return r.Workflows[0]
	}
	base := workflow("base")
	for _, v := range variants[1:] {
		t.Run(v.name, func(t *testing.T) {
			w := workflow(v.name)
			for i, task := range w.Tasks {
				same := task.Fingerprint == base.Tasks[i].Fingerprint
				if task.ID == v.changed && same {
					t.Errorf("task %s: fingerprint did not change", task.ID)
				}
				if task.ID != v.changed && !same {
					t.Errorf("task %s: fingerprint changed", task.ID)
				}
			}
			if (v.changed != "") != (w.Version != base.Version) {
				t.Errorf("version %s, base %s; a change to %q should change it: %v", w.Version, base.Version, v.changed, v.changed != "")
			}
		})
	}
}
