package runtime

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/internal/spec"
)

func input(t *testing.T, states map[string]TaskStatus, ctxJSON string) TriggerInput {
	t.Helper()
	return TriggerInput{States: states, Context: mustContext(t, ctxJSON)}
}

func TestTriggerCombinators(t *testing.T) {
	in := input(t, map[string]TaskStatus{"a": TaskStatusCompleted, "b": TaskStatusFailed, "c": TaskStatusSkipped}, `{}`)
	yes, no := Always(), None(Always())
	cases := []struct {
		name string
		r    *TriggerRule
		want bool
	}{
		{"always", Always(), true},
		{"all empty", All(), true},
		{"any empty", Any(), false},
		{"none empty", None(), true},
		{"all true", All(yes, yes), true},
		{"all one false", All(yes, no), false},
		{"any one true", Any(no, yes), true},
		{"any all false", Any(no, no), false},
		{"none all false", None(no, no), true},
		{"none one true", None(no, yes), false},
		{"task_success", TaskSuccess("a"), true},
		{"task_success on failed", TaskSuccess("b"), false},
		{"task_failed", TaskFailed("b"), true},
		{"task_failed on completed", TaskFailed("a"), false},
		{"task_skipped", TaskSkipped("c"), true},
		{"task_skipped on failed", TaskSkipped("b"), false},
		{"unknown task", TaskSuccess("zz"), false},
		{"nested", Any(All(TaskSuccess("a"), TaskFailed("b")), TaskSuccess("zz")), true},
		{"deep nested", None(Any(All(TaskSkipped("a")), None(TaskFailed("b")))), true},
	}
	for _, c := range cases {
		if got, reason := c.r.Evaluate(in); got != c.want {
			t.Errorf("%s: %s = %v, want %v", c.name, c.r, got, c.want)
		} else if !got && reason == "" {
			t.Errorf("%s: false without a reason", c.name)
		}
	}
}

type contextValueCase struct {
	key  string
	op   ValueOp
	v    any
	want bool
}

// checkContextValues evaluates ContextValue(c.key, c.op, c.v) of each case
// against in.
func checkContextValues(t *testing.T, in TriggerInput, cases []contextValueCase) {
	t.Helper()
	for _, c := range cases {
		r := ContextValue(c.key, c.op, c.v)
		if err := r.Validate(); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		if got, _ := r.Evaluate(in); got != c.want {
			t.Errorf("%s = %v, want %v", r, got, c.want)
		}
	}
}

func TestTriggerContextValue(t *testing.T) {
	ctx := `{"mode":"full","n":5,"f":2.5,"big":1e3,"flag":true,"nil":null,
		"tags":["a","b",3],"obj":{"k":1},"text":"hello world"}`
	checkContextValues(t, input(t, nil, ctx), []contextValueCase{
		{"mode", OpEquals, "full", true},
		{"mode", OpEquals, "delta", false},
		{"mode", OpNotEquals, "delta", true},
		{"mode", OpNotEquals, "full", false},
		{"n", OpEquals, 5, true},
		{"n", OpEquals, 5.0, true},
		{"n", OpEquals, "5", false},
		{"big", OpEquals, 1000, true},
		{"flag", OpEquals, true, true},
		{"nil", OpEquals, nil, true},
		{"n", OpGreaterThan, 4, true},
		{"n", OpGreaterThan, 5, false},
		{"f", OpGreaterThan, 2.25, true},
		{"n", OpLessThan, 5.5, true},
		{"n", OpLessThan, -1, false},
		{"mode", OpGreaterThan, 1, false}, // non-number value
		{"n", OpGreaterThan, "1", false},  // non-number literal
		{"mode", OpLessThan, "zzz", false},
		{"flag", OpGreaterThan, 0, false},
		{"text", OpContains, "world", true},
		{"text", OpContains, "mars", false},
		{"text", OpNotContains, "mars", true},
		{"tags", OpContains, "b", true},
		{"tags", OpContains, 3, true},
		{"tags", OpContains, "c", false},
		{"tags", OpNotContains, "c", true},
		{"obj", OpContains, "k", true},
		{"obj", OpNotContains, "k", false},
		{"n", OpContains, 5, false},    // not a container
		{"n", OpNotContains, 6, false}, // not a container either
		{"mode", OpExists, nil, true},
		{"nil", OpExists, nil, true},
		{"missing", OpExists, nil, false},
		{"missing", OpNotExists, nil, true},
		{"mode", OpNotExists, nil, false},
		{"missing", OpEquals, nil, false},
		{"missing", OpNotEquals, "x", false},
		{"missing", OpNotContains, "x", false},
	})
	// A nil context behaves as an empty one.
	if ok, _ := ContextValue("x", OpNotExists, nil).Evaluate(TriggerInput{}); !ok {
		t.Fatal("not_exists on nil context")
	}
}

// TestTriggerContextPath: a key with dots is a path into nested objects,
// and a quoted segment names a key that holds a dot.
func TestTriggerContextPath(t *testing.T) {
	ctx := `{"order":{"tier":"vip","total":{"cents":1250},"x.y":1,"lines":[{"sku":"a"}],"none":null},
		"a.b":"dotted","has space":{"k":true},"list":[1,2],"s":"str"}`
	in := input(t, nil, ctx)
	checkContextValues(t, in, []contextValueCase{
		{"order.tier", OpEquals, "vip", true},
		{"order.tier", OpEquals, "basic", false},
		{"order.tier", OpExists, nil, true},
		{"order.total.cents", OpGreaterThan, 1000, true},
		{"order.total", OpContains, "cents", true},
		{`order."x.y"`, OpEquals, 1, true},
		{"order.x.y", OpExists, nil, false}, // field x, then y: there is no field x
		{`"a.b"`, OpEquals, "dotted", true},
		{"a.b", OpExists, nil, false}, // key a, then field b: there is no key a
		{"a.b", OpNotExists, nil, true},
		{`"has space".k`, OpEquals, true, true},
		{"has space.k", OpEquals, true, true},
		{"order.missing", OpNotExists, nil, true},
		{"order.missing", OpNotEquals, "x", false},
		{"order.none", OpExists, nil, true},
		{"order.none.deeper", OpExists, nil, false}, // null is not an object
		{"order.lines.0", OpExists, nil, false},     // arrays are not indexed
		{"list.0", OpNotExists, nil, true},
		{"s.len", OpExists, nil, false},
		{"nope.tier", OpNotExists, nil, true},
	})
	// A malformed path is an error, never a silent false.
	for key, want := range map[string]string{
		"order..tier": `context_value key "order..tier": empty segment; segments are separated by single dots`,
		"order.":      `context_value key "order.": empty segment after the last "."`,
		`"a`:          `context_value key "\"a": unterminated quoted segment`,
	} {
		r := ContextValue(key, OpExists, nil)
		if err := r.Validate(); err == nil || err.Error() != want {
			t.Errorf("Validate(%s) = %v, want %s", key, err, want)
		}
		if ok, why := r.Evaluate(in); ok || why != want {
			t.Errorf("Evaluate(%s) = %v, %q; want false, %q", key, ok, why, want)
		}
		if _, err := NewWorkflow("w").Add(&Task{ID: "a", Func: noop, Trigger: r}).Build(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Build with %s: %v", key, err)
		}
	}
}

func TestTriggerString(t *testing.T) {
	cases := []struct {
		r    *TriggerRule
		want string
	}{
		{Always(), "always"},
		{All(), "all()"},
		{All(TaskSuccess("transform"), ContextValue("mode", OpEquals, "full")),
			`all(task_success(transform), context_value(mode, equals, "full"))`},
		{Any(TaskFailed("a"), None(TaskSkipped("b"))), "any(task_failed(a), none(task_skipped(b)))"},
		{ContextValue("a.b-c", OpExists, nil), "context_value(a.b-c, exists)"},
		{ContextValue(`"order".tier`, OpExists, nil), "context_value(order.tier, exists)"},
		{ContextValue(`"a.b".c`, OpExists, nil), `context_value("a.b".c, exists)`},
		{ContextValue("has space", OpGreaterThan, 2.5), `context_value("has space", greater_than, 2.5)`},
		{ContextValue("q", OpEquals, "say \"hi\"\n"), `context_value(q, equals, "say \"hi\"\n")`},
		{ContextValue("n", OpNotEquals, nil), "context_value(n, not_equals, null)"},
		{ContextValue("b", OpEquals, true), "context_value(b, equals, true)"},
		{ContextValue("n", OpLessThan, json.Number("1e3")), "context_value(n, less_than, 1e3)"},
	}
	for _, c := range cases {
		if got := c.r.String(); got != c.want {
			t.Errorf("String() = %s, want %s", got, c.want)
		}
	}
	var nilRule *TriggerRule
	if nilRule.String() != "<default>" {
		t.Fatal("nil rule String")
	}
}

func TestTriggerJSONRoundTrip(t *testing.T) {
	rules := []*TriggerRule{
		Always(),
		All(),
		All(TaskSuccess("transform"), ContextValue("mode", OpEquals, "full")),
		Any(TaskFailed("a"), None(TaskSkipped("b"), ContextValue("n", OpGreaterThan, 3))),
		ContextValue("k", OpNotExists, nil),
		ContextValue("k", OpEquals, nil),
	}
	for _, r := range rules {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back TriggerRule
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if back.String() != r.String() {
			t.Fatalf("round trip %s -> %s -> %s", r, b, back.String())
		}
	}
	b, _ := json.Marshal(All(TaskSuccess("x"), ContextValue("m", OpEquals, 1)))
	if string(b) != `{"kind":"all","rules":[{"kind":"task_success","task":"x"},{"kind":"context_value","key":"m","op":"equals","value":1}]}` {
		t.Fatalf("JSON form = %s", b)
	}
	bad := []string{
		`{"kind":"sometimes"}`,
		`{"kind":"context_value","key":"k","op":"bigger","value":1}`,
		`{"kind":"context_value","key":"k","op":"equals"}`,
		`{"kind":"task_success"}`,
		`{"kind":"all","rules":[{"kind":"nope"}]}`,
	}
	for _, s := range bad {
		var r TriggerRule
		if err := json.Unmarshal([]byte(s), &r); err == nil {
			t.Errorf("%s accepted", s)
		}
	}
}

func TestTriggerValidate(t *testing.T) {
	bad := map[*TriggerRule]string{
		{Kind: 99}:                            "unknown rule kind",
		TaskSuccess(""):                       "task_success needs a task id",
		ContextValue("", OpEquals, 1):         "context_value needs a key",
		ContextValue("k", 42, 1):              "unknown operator",
		ContextValue("k", OpEquals, []int{1}): "not a string, number, bool or nil",
		All(Always(), ContextValue("", 1, 1)): "all argument 2",
	}
	for r, want := range bad {
		if err := r.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate(%#v) = %v, want %q", r, err, want)
		}
	}
}

func TestTriggerTasks(t *testing.T) {
	r := All(TaskSuccess("a"), Any(TaskFailed("b"), TaskSuccess("a")), ContextValue("k", OpExists, nil), None(TaskSkipped("c")))
	if got := r.Tasks(); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Fatalf("Tasks = %v", got)
	}
}

func TestShouldRunDefaultRule(t *testing.T) {
	task := &Task{ID: "load", Dependencies: []string{"extract", "transform"}}
	cases := []struct {
		states map[string]TaskStatus
		run    bool
		reason string
	}{
		{map[string]TaskStatus{"extract": TaskStatusCompleted, "transform": TaskStatusCompleted}, true, ""},
		{map[string]TaskStatus{"extract": TaskStatusCompleted, "transform": TaskStatusFailed}, false, `dependency "transform" failed`},
		{map[string]TaskStatus{"extract": TaskStatusSkipped, "transform": TaskStatusFailed}, false, `dependency "extract" was skipped`},
	}
	for _, c := range cases {
		run, reason := task.ShouldRun(TriggerInput{States: c.states})
		if run != c.run || reason != c.reason {
			t.Errorf("ShouldRun(%v) = %v %q, want %v %q", c.states, run, reason, c.run, c.reason)
		}
	}
	root := &Task{ID: "root"}
	if run, _ := root.ShouldRun(TriggerInput{}); !run {
		t.Fatal("a root task must run")
	}
	guarded := &Task{ID: "notify", Dependencies: []string{"load"},
		Trigger: All(TaskFailed("load"), ContextValue("alert", OpEquals, true))}
	run, reason := guarded.ShouldRun(input(t, map[string]TaskStatus{"load": TaskStatusFailed}, `{"alert":false}`))
	if run || reason != `trigger rule: context_value(alert, equals, true) does not hold` {
		t.Fatalf("ShouldRun = %v %q", run, reason)
	}
	run, reason = guarded.ShouldRun(input(t, map[string]TaskStatus{"load": TaskStatusCompleted}, `{"alert":true}`))
	if run || reason != `trigger rule: task_failed(load) does not hold: task "load" is Completed` {
		t.Fatalf("ShouldRun = %v %q", run, reason)
	}
}

// TestTriggerNamesAgreeWithSpec checks that every rule kind and operator
// the annotation parser accepts (internal/spec) has a runtime constant with
// the same spelling, and the other way round.
func TestTriggerNamesAgreeWithSpec(t *testing.T) {
	var kinds, ops []string
	for k := range ruleKindNames {
		kinds = append(kinds, k.String())
	}
	for o := range valueOpNames {
		ops = append(ops, o.String())
		if p, ok := ParseValueOp(o.String()); !ok || p != o {
			t.Errorf("ParseValueOp(%q) = %v, %v", o, p, ok)
		}
		if o.TakesValue() != (o != OpExists && o != OpNotExists) {
			t.Errorf("%s.TakesValue() = %v", o, o.TakesValue())
		}
	}
	if got, want := sorted(kinds), sorted(spec.RuleKinds()); !slices.Equal(got, want) {
		t.Errorf("RuleKind spellings %v, spec %v", got, want)
	}
	if got, want := sorted(ops), sorted(spec.Ops()); !slices.Equal(got, want) {
		t.Errorf("ValueOp spellings %v, spec %v", got, want)
	}
}
