package runtime

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/internal/spec"
	"github.com/cloacina-go/cloacina/runtime/store/postgres"
)

func noop(context.Context, *Context) error { return nil }

func task(id string, deps ...string) *Task {
	return &Task{ID: id, Dependencies: deps, Func: noop, Fingerprint: "fp-" + id}
}

func TestWorkflowBuild(t *testing.T) {
	w, err := NewWorkflow("etl").Description("nightly").Author("data team").
		Add(task("load", "transform", "enrich"), task("extract"), task("transform", "extract"), task("enrich", "extract")).
		Build()
	if err != nil {
		t.Fatal(err)
	}
	if w.Name() != "etl" || w.Description() != "nightly" || w.Author() != "data team" || w.Tenant() != "" {
		t.Fatalf("metadata: %q %q %q %q", w.Name(), w.Description(), w.Author(), w.Tenant())
	}
	var order []string
	for _, tk := range w.Tasks() {
		order = append(order, tk.ID)
	}
	if want := []string{"extract", "transform", "enrich", "load"}; !reflect.DeepEqual(order, want) {
		t.Fatalf("order = %v, want %v", order, want)
	}
	if got := w.Levels(); !reflect.DeepEqual(got, [][]string{{"extract"}, {"transform", "enrich"}, {"load"}}) {
		t.Fatalf("levels = %v", got)
	}
	if got := w.Dependents("extract"); !reflect.DeepEqual(got, []string{"transform", "enrich"}) {
		t.Fatalf("dependents = %v", got)
	}
	if got := w.Upstream("load"); !reflect.DeepEqual(got, []string{"extract", "transform", "enrich"}) {
		t.Fatalf("upstream = %v", got)
	}
	if !reflect.DeepEqual(w.Roots(), []string{"extract"}) || !reflect.DeepEqual(w.Leaves(), []string{"load"}) {
		t.Fatalf("roots %v leaves %v", w.Roots(), w.Leaves())
	}
	if tk, ok := w.Task("enrich"); !ok || tk.ID != "enrich" {
		t.Fatal("Task lookup")
	}
	if _, ok := w.Task("nope"); ok {
		t.Fatal("Task lookup of unknown id")
	}
	if len(w.Version()) != 16 {
		t.Fatalf("version %q", w.Version())
	}
}

// TestWorkflowTenant: a workflow without a tenant runs in every tenant and
// reports ""; one with a tenant is restricted to that schema name.
func TestWorkflowTenant(t *testing.T) {
	for _, tenant := range []string{"", "acme", "1_Acme", strings.Repeat("t", 40)} {
		w, err := NewWorkflow("w").Tenant(tenant).Add(task("a")).Build()
		if err != nil {
			t.Errorf("Tenant(%q): %v", tenant, err)
		} else if w.Tenant() != tenant {
			t.Errorf("Tenant(%q): Tenant() = %q", tenant, w.Tenant())
		}
	}
	if w := NewWorkflow("w").Add(task("a")).MustBuild(); w.Tenant() != DefaultTenant || DefaultTenant != "" {
		t.Errorf("default tenant %q, DefaultTenant %q; want any tenant, \"\"", w.Tenant(), DefaultTenant)
	}
}

// TestTenantNamesAreSchemaNames: a tenant is a PostgreSQL schema, so the
// tenant names a workflow accepts (internal/spec, used by the annotations
// and by Build) are exactly the schema names the PostgreSQL store accepts.
func TestTenantNamesAreSchemaNames(t *testing.T) {
	for _, name := range []string{"", "public", "acme_corp", "1_Acme", "_", "a-b", "a.b", "a b", "café", "Ωmega",
		strings.Repeat("t", spec.MaxTenantLen), strings.Repeat("t", spec.MaxTenantLen+1)} {
		tenantErr, schemaErr := spec.CheckTenant(name), postgres.ValidateSchema(name)
		if (tenantErr == nil) != (schemaErr == nil) {
			t.Errorf("%q: as a tenant %v, as a schema %v", name, tenantErr, schemaErr)
		}
	}
}

func TestWorkflowVersion(t *testing.T) {
	build := func(tasks ...*Task) string {
		t.Helper()
		w, err := NewWorkflow("etl").Add(tasks...).Build()
		if err != nil {
			t.Fatal(err)
		}
		return w.Version()
	}
	base := build(task("a"), task("b", "a"), task("c", "a", "b"))
	if got := build(task("c", "a", "b"), task("b", "a"), task("a")); got != base {
		t.Fatal("task order changed the version")
	}
	changedFP := task("b", "a")
	changedFP.Fingerprint = "other"
	if build(task("a"), changedFP, task("c", "a", "b")) == base {
		t.Fatal("fingerprint change kept the version")
	}
	if build(task("a"), task("b", "a"), task("c", "b", "a")) == base {
		t.Fatal("dependency order (merge order) change kept the version")
	}
	if build(task("a"), task("b"), task("c", "a", "b")) == base {
		t.Fatal("edge removal kept the version")
	}
	w2, _ := NewWorkflow("etl2").Add(task("a"), task("b", "a"), task("c", "a", "b")).Build()
	if w2.Version() == base {
		t.Fatal("name change kept the version")
	}
	// The exported function agrees with Build.
	got := WorkflowVersion("etl", []TaskVersion{
		{ID: "c", Fingerprint: "fp-c", Dependencies: []string{"a", "b"}},
		{ID: "a", Fingerprint: "fp-a"},
		{ID: "b", Fingerprint: "fp-b", Dependencies: []string{"a"}},
	})
	if got != base {
		t.Fatalf("WorkflowVersion = %s, Build gave %s", got, base)
	}
}

func TestWorkflowValidationErrors(t *testing.T) {
	type want struct {
		kind ValidationKind
		msg  string
	}
	cases := []struct {
		name  string
		build *WorkflowBuilder
		want  []want
	}{
		{"empty", NewWorkflow("w"), []want{{EmptyWorkflow, `workflow "w": workflow has no tasks`}}},
		{"duplicate", NewWorkflow("w").Add(task("a"), task("a")), []want{{DuplicateTask, `workflow "w": duplicate task id "a"`}}},
		{"missing with suggestion", NewWorkflow("w").Add(task("extract"), task("load", "extrat")),
			[]want{{MissingDependency, `workflow "w": task "load" depends on unknown task "extrat"; did you mean "extract"?`}}},
		{"cycle", NewWorkflow("w").Add(task("a", "c"), task("b", "a"), task("c", "b")),
			[]want{{Cycle, `workflow "w": cycle: a -> c -> b -> a`}}},
		{"bad names", NewWorkflow("1w").Add(task("bad id")), []want{
			{InvalidName, `workflow "1w": invalid workflow name "1w": must match [A-Za-z][A-Za-z0-9_-]*`},
			{InvalidName, `workflow "1w": invalid task id "bad id": must match [A-Za-z_][A-Za-z0-9_-]*`},
		}},
		{"bad tenants", NewWorkflow("w").Tenant("acme-corp").Add(task("a")), []want{
			{InvalidName, `workflow "w": invalid tenant "acme-corp" has "-"; use letters, digits and "_" (a tenant is a PostgreSQL schema)`},
		}},
		{"long tenant", NewWorkflow("w").Tenant(strings.Repeat("t", 41)).Add(task("a")), []want{
			{InvalidName, `workflow "w": invalid tenant "` + strings.Repeat("t", 41) + `" is 41 characters long; the limit is 40`},
		}},
		{"task problems", NewWorkflow("w").Add(
			&Task{ID: "nofunc"},
			&Task{ID: "badretry", Func: noop, Retry: &RetryPolicy{}},
			&Task{ID: "negtimeout", Func: noop, Timeout: -time.Second},
			nil,
		), []want{
			{InvalidTask, `workflow "w": task "nofunc" has no Func`},
			{InvalidTask, `workflow "w": task "badretry" retry policy: MaxAttempts must be at least 1, got 0`},
			{InvalidTask, `workflow "w": task "negtimeout": Timeout must not be negative, got -1s`},
			{InvalidTask, `workflow "w": task 4 is nil`},
		}},
		{"trigger names a task not upstream", NewWorkflow("w").Add(
			task("a"), task("b"),
			&Task{ID: "c", Dependencies: []string{"a"}, Func: noop, Trigger: Any(TaskSuccess("a"), TaskFailed("b"), TaskSkipped("zz"))},
		), []want{
			{InvalidTriggerRule, `workflow "w": task "c" trigger rule names "b", which is not upstream of it (upstream: a)`},
			{InvalidTriggerRule, `workflow "w": task "c" trigger rule names "zz", which is not upstream of it (upstream: a)`},
		}},
		{"malformed trigger", NewWorkflow("w").Add(&Task{ID: "a", Func: noop, Trigger: ContextValue("", OpEquals, 1)}),
			[]want{{InvalidTriggerRule, `workflow "w": task "a" trigger rule: context_value needs a key`}}},
		{"several at once", NewWorkflow("w").Add(task("a", "b"), task("b", "a"), task("c", "nope"), task("c")), []want{
			{DuplicateTask, `workflow "w": duplicate task id "c"`},
			{MissingDependency, `workflow "w": task "c" depends on unknown task "nope"`},
			{Cycle, `workflow "w": cycle: a -> b -> a`},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, err := c.build.Build()
			if w != nil || err == nil {
				t.Fatal("Build succeeded")
			}
			errs := ValidationErrors(err)
			var got []want
			for _, e := range errs {
				got = append(got, want{e.Kind, e.Error()})
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("errors:\n%v\nwant:\n%v", got, c.want)
			}
			var first *ValidationError
			if !errors.As(err, &first) || first.Kind != c.want[0].kind {
				t.Fatal("errors.As does not reach the first *ValidationError")
			}
		})
	}
}

func TestCycleErrorCarriesPath(t *testing.T) {
	_, err := NewWorkflow("w").Add(task("x"), task("a", "b", "x"), task("b", "c"), task("c", "a")).Build()
	var v *ValidationError
	if !errors.As(err, &v) || v.Kind != Cycle {
		t.Fatalf("err = %v", err)
	}
	if !reflect.DeepEqual(v.Path, []string{"a", "b", "c", "a"}) || v.Task != "a" {
		t.Fatalf("path = %v task = %q", v.Path, v.Task)
	}
	if !strings.HasSuffix(v.Error(), "cycle: a -> b -> c -> a") {
		t.Fatalf("message %q", v.Error())
	}
}

func TestMissingDependencyFields(t *testing.T) {
	_, err := NewWorkflow("w").Add(task("transform"), task("load", "transfrom")).Build()
	var v *ValidationError
	if !errors.As(err, &v) || v.Kind != MissingDependency || v.Task != "load" || v.Dependency != "transfrom" ||
		!reflect.DeepEqual(v.Suggestions, []string{"transform"}) {
		t.Fatalf("err = %#v", v)
	}
}

// hand is a hand-written task type implementing Tasker.
type hand struct{ id string }

func (h hand) ID() string                              { return h.id }
func (h hand) Dependencies() []string                  { return nil }
func (h hand) Execute(context.Context, *Context) error { return nil }
func (h hand) RetryPolicy() RetryPolicy                { return NoRetry() }
func (h hand) TriggerRules() *TriggerRule              { return nil }
func (h hand) CodeFingerprint() string                 { return "hand-v1" }

func TestTasker(t *testing.T) {
	w, err := NewWorkflow("hand").AddTasker(hand{"one"}).Add(task("two", "one")).Build()
	if err != nil {
		t.Fatal(err)
	}
	one, _ := w.Task("one")
	if one.Fingerprint != "hand-v1" || one.RetryPolicyOrDefault().MaxAttempts != 1 || one.Func == nil {
		t.Fatalf("TaskOf lost fields: %+v", one)
	}
	two, _ := w.Task("two")
	if two.RetryPolicyOrDefault().MaxAttempts != DefaultRetryAttempts {
		t.Fatal("nil Retry must mean the default policy")
	}
}

func TestMustBuildPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MustBuild did not panic")
		}
	}()
	NewWorkflow("w").MustBuild()
}
