package annotations

import (
	"go/token"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTaskDefaults(t *testing.T) {
	tk, errs := buildTask(t, "//cloacina:task")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := &Task{
		Pos:            linePos(3),
		FuncName:       "ExtractCSV",
		ID:             "extract_csv",
		RetryAttempts:  3,
		RetryBackoff:   "exponential",
		RetryDelay:     time.Second,
		RetryMaxDelay:  30 * time.Second,
		RetryJitter:    true,
		RetryCondition: RetryCondition{Kind: "all"},
		Keys:           map[string]Key{},
	}
	if !reflect.DeepEqual(tk, want) {
		t.Errorf("got  %+v\nwant %+v", tk, want)
	}
}

var taskKeyCases = []struct {
	line  string // after "//cloacina:task "
	check func(*Task) bool
	canon string
}{
	{"id=extract", func(t *Task) bool { return t.ID == "extract" }, "id=extract"},
	{"id=_load-2", func(t *Task) bool { return t.ID == "_load-2" }, "id=_load-2"},
	{"deps=a", func(t *Task) bool { return reflect.DeepEqual(t.Deps, []string{"a"}) }, "deps=a"},
	{"deps=b,a,c", func(t *Task) bool { return reflect.DeepEqual(t.Deps, []string{"b", "a", "c"}) }, "deps=b,a,c"},
	{"dependencies=a,b", func(t *Task) bool { return reflect.DeepEqual(t.Deps, []string{"a", "b"}) }, "deps=a,b"},
	{"workflow=etl-2", func(t *Task) bool { return t.Workflow == "etl-2" }, "workflow=etl-2"},
	{"retry_attempts=1", func(t *Task) bool { return t.RetryAttempts == 1 }, "retry_attempts=1"},
	{"retry_attempts=010", func(t *Task) bool { return t.RetryAttempts == 10 }, "retry_attempts=10"},
	{"retry_backoff=fixed", func(t *Task) bool { return t.RetryBackoff == "fixed" }, "retry_backoff=fixed"},
	{"retry_backoff=linear", func(t *Task) bool { return t.RetryBackoff == "linear" }, "retry_backoff=linear"},
	{"retry_backoff=exponential", func(t *Task) bool { return t.RetryBackoff == "exponential" }, "retry_backoff=exponential"},
	{"retry_delay=200ms", func(t *Task) bool { return t.RetryDelay == 200*time.Millisecond }, "retry_delay=200ms"},
	{"retry_delay=0", func(t *Task) bool { return t.RetryDelay == 0 }, "retry_delay=0s"},
	{"retry_delay=1000ms", func(t *Task) bool { return t.RetryDelay == time.Second }, "retry_delay=1s"},
	{"retry_max_delay=1m30s", func(t *Task) bool { return t.RetryMaxDelay == 90*time.Second }, "retry_max_delay=1m30s"},
	{"retry_delay=5s retry_max_delay=5s", func(t *Task) bool { return t.RetryDelay == 5*time.Second && t.RetryMaxDelay == 5*time.Second }, "retry_delay=5s retry_max_delay=5s"},
	{"retry_jitter=false", func(t *Task) bool { return !t.RetryJitter }, "retry_jitter=false"},
	{"retry_jitter=true", func(t *Task) bool { return t.RetryJitter }, "retry_jitter=true"},
	{"retry_condition=never", func(t *Task) bool { return reflect.DeepEqual(t.RetryCondition, RetryCondition{Kind: "never"}) }, "retry_condition=never"},
	{"retry_condition=transient", func(t *Task) bool { return t.RetryCondition.Kind == "transient" }, "retry_condition=transient"},
	{"retry_condition=all", func(t *Task) bool { return t.RetryCondition.Kind == "all" }, "retry_condition=all"},
	{
		`retry_condition="timeout, connection reset"`,
		func(t *Task) bool {
			return reflect.DeepEqual(t.RetryCondition, RetryCondition{Kind: "patterns", Patterns: []string{"timeout", "connection reset"}})
		},
		`retry_condition="timeout,connection reset"`,
	},
	{`retry_condition="all of it"`, func(t *Task) bool { return t.RetryCondition.Patterns[0] == "all of it" }, `retry_condition="all of it"`},
	{"timeout=30s", func(t *Task) bool { return t.Timeout == 30*time.Second }, "timeout=30s"},
	{"trigger_rules=always", func(t *Task) bool { return t.Trigger.Kind == "always" }, "trigger_rules=always"},
	{"trigger_rules=always()", func(t *Task) bool { return t.Trigger.Kind == "always" }, "trigger_rules=always"},
	{
		`trigger_rules=all(task_success(transform), context_value(mode, equals, "full"))`,
		func(t *Task) bool {
			return t.Trigger.Kind == "all" && len(t.Trigger.Rules) == 2 && t.Trigger.Pos.Column == 31
		},
		`trigger_rules=all(task_success(transform), context_value(mode, equals, "full"))`,
	},
	{
		`trigger_rules=( any( task_failed(a) ,task_skipped(a) ) )`,
		func(t *Task) bool { return t.Trigger.Kind == "any" && t.Trigger.Pos.Column == 33 },
		`trigger_rules=any(task_failed(a), task_skipped(a))`,
	},
	{"on_success=Notify", func(t *Task) bool { return t.OnSuccess == "Notify" }, "on_success=Notify"},
	{"on_failure=alert_ops", func(t *Task) bool { return t.OnFailure == "alert_ops" }, "on_failure=alert_ops"},
}

func TestTaskKeys(t *testing.T) {
	cases := taskKeyCases
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			tk, errs := buildTask(t, "//cloacina:task "+c.line)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if !c.check(tk) {
				t.Errorf("unexpected task %+v", tk)
			}
			if tk.Canonical != c.canon {
				t.Errorf("Canonical = %s, want %s", tk.Canonical, c.canon)
			}
			for name, k := range tk.Keys {
				if k.Name != name || k.Pos.Column < 17 || k.ValuePos.Column <= k.Pos.Column || k.Raw == "" {
					t.Errorf("key %s: %+v", name, k)
				}
			}
		})
	}
}

func TestTaskKeyRecord(t *testing.T) {
	tk, errs := buildTask(t, "//cloacina:task dependencies=a,b", `//cloacina:task   trigger_rules=(always)`)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := map[string]Key{
		"deps":          {Name: "deps", Pos: pos(3, 17), ValuePos: pos(3, 30), Raw: "a,b"},
		"trigger_rules": {Name: "trigger_rules", Pos: pos(4, 19), ValuePos: pos(4, 33), Raw: "(always)"},
	}
	if !reflect.DeepEqual(tk.Keys, want) {
		t.Errorf("got  %+v\nwant %+v", tk.Keys, want)
	}
}

func pos(line, col int) token.Position {
	p := linePos(line)
	p.Column = col
	p.Offset += col - 1
	return p
}

const notID = `is not a valid task id; use letters, digits, "_" and "-", starting with a letter or "_"`

var taskErrorCases = []struct {
	lines []string // after "//cloacina:task "
	errs  []string
}{
	{[]string{"id=1x"}, []string{`3:20: id: "1x" ` + notID}},
	{[]string{"id=a.b"}, []string{`3:20: id: "a.b" ` + notID}},
	{[]string{`id="x"`}, []string{`3:20: id: write id=x without quotes`}},
	{[]string{`id="my task"`}, []string{`3:21: id: "my task" ` + notID}},
	{[]string{`id=""`}, []string{`3:21: id: "" ` + notID}},
	{[]string{`id=f(x)`}, []string{`3:21: id: unexpected "(" in value; parentheses are only allowed in trigger_rules`}},
	{[]string{"deps=a,,b"}, []string{`3:24: deps: empty element in list "a,,b"`}},
	{[]string{"deps=a,"}, []string{`3:24: deps: empty element in list "a,"`}},
	{[]string{"deps=,a"}, []string{`3:22: deps: empty element in list ",a"`}},
	{[]string{"deps=a,b,a"}, []string{`3:26: deps: "a" is listed twice`}},
	{[]string{"deps=a,b.c"}, []string{`3:24: deps: "b.c" ` + notID}},
	{[]string{`deps="a,b"`}, []string{`3:22: deps: write deps=a,b without quotes`}},
	{[]string{"deps=a dependencies=b"}, []string{`3:24: duplicate key "dependencies" (first given as "deps" at etl.go:3:17)`}},
	{[]string{"deps=a", "deps=b"}, []string{`4:17: duplicate key "deps" (first given at etl.go:3:17)`}},
	{[]string{"id=a id=b"}, []string{`3:22: duplicate key "id" (first given at etl.go:3:17)`}},
	{[]string{"workflow=_etl"}, []string{`3:26: workflow: "_etl" is not a valid workflow name; use letters, digits, "_" and "-", starting with a letter`}},
	{[]string{"retry_attempts=0"}, []string{`3:32: retry_attempts: must be at least 1 (the first run counts), got 0`}},
	{[]string{"retry_attempts=-2"}, []string{`3:32: retry_attempts: must be at least 1 (the first run counts), got -2`}},
	{[]string{"retry_attempts=three"}, []string{`3:32: retry_attempts: "three" is not a whole number`}},
	{[]string{"retry_attempts=+3"}, []string{`3:32: retry_attempts: "+3" is not a whole number`}},
	{[]string{"retry_attempts=99999999999999999999"}, []string{`3:32: retry_attempts: 99999999999999999999 is too large`}},
	{[]string{`retry_attempts="5"`}, []string{`3:32: retry_attempts: write retry_attempts=5 without quotes`}},
	{[]string{"retry_backoff=exponental"}, []string{`3:31: retry_backoff: "exponental" is not fixed, linear or exponential; did you mean "exponential"?`}},
	{[]string{"retry_backoff=expo"}, []string{`3:31: retry_backoff: "expo" is not fixed, linear or exponential`}},
	{[]string{`retry_delay="5 sec"`}, []string{`3:30: retry_delay: "5 sec" is not a Go duration (e.g. 500ms, 5s)`}},
	{[]string{`retry_delay=5sec`}, []string{`3:29: retry_delay: "5sec" is not a Go duration (e.g. 500ms, 5s)`}},
	{[]string{`retry_delay=5`}, []string{`3:29: retry_delay: "5" is not a Go duration (e.g. 500ms, 5s)`}},
	{[]string{`retry_delay=-1s`}, []string{`3:29: retry_delay: must not be negative, got -1s`}},
	{[]string{`retry_max_delay=-1s`}, []string{`3:33: retry_max_delay: must not be negative, got -1s`}},
	{[]string{"retry_delay=10s retry_max_delay=5s"}, []string{`3:49: retry_max_delay (5s) is less than retry_delay (10s)`}},
	{[]string{"retry_max_delay=5s", "retry_delay=10s"}, []string{`3:33: retry_max_delay (5s) is less than retry_delay (10s)`}},
	{[]string{"retry_delay=1m"}, []string{`3:29: retry_delay (1m) is more than the default retry_max_delay (30s); set retry_max_delay too`}},
	{[]string{"retry_max_delay=500ms"}, []string{`3:33: retry_max_delay (500ms) is less than the default retry_delay (1s)`}},
	{[]string{"retry_jitter=yes"}, []string{`3:30: retry_jitter: "yes" is not true or false`}},
	{[]string{"retry_jitter=True"}, []string{`3:30: retry_jitter: "True" is not true or false`}},
	{[]string{"retry_condition=timeout"}, []string{`3:33: retry_condition: "timeout" is not all, never or transient; for error substrings write a quoted list, e.g. retry_condition="timeout,connection reset"`}},
	{[]string{"retry_condition=transiant"}, []string{`3:33: retry_condition: "transiant" is not all, never or transient; did you mean "transient"?`}},
	{[]string{`retry_condition="never"`}, []string{`3:33: retry_condition: write retry_condition=never without quotes (a quoted value is a list of error substrings)`}},
	{[]string{`retry_condition="a,,b"`}, []string{`3:36: retry_condition: empty pattern in list "a,,b"`}},
	// Inside a quoted string with escapes, errors point at the opening quote.
	{[]string{`retry_condition="\x61,"`}, []string{`3:33: retry_condition: empty pattern in list "a,"`}},
	{[]string{`id="\x61 b"`}, []string{`3:20: id: "a b" ` + notID}},
	{[]string{`retry_condition=""`}, []string{`3:34: retry_condition: empty pattern in list ""`}},
	{[]string{`retry_condition="a, b,a"`}, []string{`3:39: retry_condition: pattern "a" is listed twice`}},
	{[]string{`retry_condition=f(x)`}, []string{`3:34: retry_condition: unexpected "(" in value; parentheses are only allowed in trigger_rules`}},
	{[]string{"timeout=0s"}, []string{`3:25: timeout: must be positive, got 0s`}},
	{[]string{"timeout=-5s"}, []string{`3:25: timeout: must be positive, got -5s`}},
	{[]string{"timeout=soon"}, []string{`3:25: timeout: "soon" is not a Go duration (e.g. 500ms, 5s)`}},
	{[]string{"trigger_rules=all(task_success(a, b))"}, []string{`3:49: trigger_rules: expected ")" after task_success argument, found ","`}},
	{[]string{"trigger_rules=all"}, []string{`3:34: trigger_rules: expected "(" after all, found end of rule`}},
	{[]string{"trigger_rules=((always))"}, []string{`3:32: trigger_rules: expected a rule (always, all, any, none, task_success, task_failed, task_skipped, context_value), found "("`}},
	{[]string{"trigger_rules=all(task_sucess(a))"}, []string{`3:35: trigger_rules: unknown rule "task_sucess"; did you mean "task_success"?`}},
	{[]string{`trigger_rules=all(context_value(mode, equal, "full"))`}, []string{`3:55: trigger_rules: unknown operator "equal"; did you mean "equals"?`}},
	{[]string{`trigger_rules="always"`}, []string{`3:31: trigger_rules: write trigger_rules=always without quotes`}},
	{[]string{`trigger_rules="all(x)"`}, []string{`3:36: trigger_rules: unknown rule "x"; use one of always, all, any, none, task_success, task_failed, task_skipped, context_value`}},
	{[]string{"on_success=pkg.Notify"}, []string{`3:28: on_success: "pkg.Notify" is not a Go identifier; name a function of this package`}},
	{[]string{"on_failure=func"}, []string{`3:28: on_failure: "func" is not a Go identifier; name a function of this package`}},
	{[]string{"on_failure=_"}, []string{`3:28: on_failure: "_" cannot name a function`}},
	{[]string{"retry_attemps=3"}, []string{`3:17: unknown key "retry_attemps" for //cloacina:task; did you mean "retry_attempts"?`}},
	{[]string{"dependecies=a"}, []string{`3:17: unknown key "dependecies" for //cloacina:task; did you mean "dependencies"?`}},
	{[]string{"retries=3"}, []string{`3:17: unknown key "retries" for //cloacina:task; valid keys: id, deps, workflow, retry_attempts, retry_backoff, retry_delay, retry_max_delay, retry_jitter, retry_condition, timeout, trigger_rules, on_success, on_failure, reads, writes`}},
	{[]string{"description=x"}, []string{`3:17: unknown key "description" for //cloacina:task (description is a //cloacina:workflow key); valid keys: id, deps, workflow, retry_attempts, retry_backoff, retry_delay, retry_max_delay, retry_jitter, retry_condition, timeout, trigger_rules, on_success, on_failure, reads, writes`}},
	// All errors are reported, not only the first.
	{
		[]string{"id=1 retry_attempts=0 retry_delay=x", "timeout=0 retry_jittr=true"},
		[]string{
			`3:20: id: "1" ` + notID,
			`3:37: retry_attempts: must be at least 1 (the first run counts), got 0`,
			`3:51: retry_delay: "x" is not a Go duration (e.g. 500ms, 5s)`,
			`4:25: timeout: must be positive, got 0`,
			`4:27: unknown key "retry_jittr" for //cloacina:task; did you mean "retry_jitter"?`,
		},
	},
	// A syntax error stops its line; earlier pairs and other lines are checked.
	{[]string{"retry_attempts=0 id =x deps=a", "timeout=x"}, []string{
		`3:32: retry_attempts: must be at least 1 (the first run counts), got 0`,
		`3:36: unexpected space before "="; write id=value with no spaces around "="`,
		`4:25: timeout: "x" is not a Go duration (e.g. 500ms, 5s)`,
	}},
}

func TestTaskErrors(t *testing.T) {
	cases := taskErrorCases
	for _, c := range cases {
		t.Run(strings.Join(c.lines, " / "), func(t *testing.T) {
			var lines []string
			for _, l := range c.lines {
				lines = append(lines, "//cloacina:task "+l)
			}
			tk, errs := buildTask(t, lines...)
			if !equalStrings(errs, c.errs) {
				t.Errorf("errors:\n got %q\nwant %q", errs, c.errs)
			}
			if tk == nil {
				t.Fatal("nil task")
			}
		})
	}
}

// An invalid value leaves its field at the default.
func TestTaskInvalidValuesKeepDefaults(t *testing.T) {
	tk, errs := buildTask(t, "//cloacina:task id=1 retry_attempts=0 retry_delay=x retry_backoff=y retry_jitter=z timeout=0s deps=a,,b")
	if len(errs) != 7 {
		t.Fatalf("got %d errors: %q", len(errs), errs)
	}
	if tk.ID != "extract_csv" || tk.RetryAttempts != 3 || tk.RetryDelay != time.Second || tk.RetryBackoff != "exponential" ||
		!tk.RetryJitter || tk.Timeout != 0 || tk.Deps != nil {
		t.Errorf("got %+v", tk)
	}
	if len(tk.Keys) != 7 {
		t.Errorf("Keys: %v", tk.Keys)
	}
}

func TestTaskDefaultIDInvalid(t *testing.T) {
	d, _ := ParseDirective(linePos(3), "//cloacina:task")
	_, errs := BuildTask("Größe", d)
	want := []string{`3:1: the default task id of func Größe, "größe", is not a valid task id; set id= to letters, digits, "_" and "-"`}
	if got := short(t, errs); !equalStrings(got, want) {
		t.Errorf("got %q", got)
	}
	d, _ = ParseDirective(linePos(3), "//cloacina:task id=grosse")
	if tk, errs := BuildTask("Größe", d); len(errs) > 0 || tk.ID != "grosse" {
		t.Errorf("got %v %v", tk.ID, errs)
	}
	if tk, errs := BuildTask("", d); len(errs) > 0 || tk.ID != "grosse" {
		t.Errorf("got %v %v", tk.ID, errs)
	}
}

func TestBuildWrongVerb(t *testing.T) {
	d, _ := ParseDirective(linePos(3), "//cloacina:workflow name=x")
	_, errs := BuildTask("F", d)
	if got := short(t, errs); !equalStrings(got, []string{`3:1: //cloacina:workflow directive where //cloacina:task was expected`}) {
		t.Errorf("got %q", got)
	}
}

func TestMergedLines(t *testing.T) {
	tk, errs := buildTask(t,
		"//cloacina:task id=transform",
		"//cloacina:task   deps=extract retry_attempts=5",
		"//cloacina:task retry_backoff=linear retry_delay=200ms",
	)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if tk.ID != "transform" || tk.Deps[0] != "extract" || tk.RetryAttempts != 5 || tk.RetryBackoff != "linear" ||
		tk.RetryDelay != 200*time.Millisecond || tk.Pos != linePos(3) {
		t.Errorf("got %+v", tk)
	}
	if tk.Keys["retry_delay"].Pos.Line != 5 || tk.Keys["deps"].Pos != pos(4, 19) {
		t.Errorf("key positions: %+v", tk.Keys)
	}
}

func TestCanonical(t *testing.T) {
	same := [][]string{
		{
			"//cloacina:task id=x deps=a,b retry_delay=1000ms",
			"//cloacina:task deps=a,b   id=x\tretry_delay=1s",
			"//cloacina:task dependencies=a,b", // split over lines, alias, other order
			"//cloacina:task retry_delay=1s id=x",
		},
		{
			`//cloacina:task trigger_rules=all( task_success(a),context_value("mode",equals,"full") )`,
			"//cloacina:task trigger_rules=(all(task_success(a), context_value(mode, equals, `full`)))",
		},
		{
			`//cloacina:task retry_condition=" timeout , reset"`,
			"//cloacina:task retry_condition=`timeout,reset`",
		},
		{
			"//cloacina:task trigger_rules=always",
			"//cloacina:task trigger_rules=always()",
		},
		{
			"//cloacina:task timeout=90s",
			"//cloacina:task timeout=1m30s",
		},
	}
	// canonicals splits each group into directives (lines of one group
	// separated by "|" would be ambiguous, so a group is either one line per
	// task or, for the first, a task written over two lines).
	canon := func(lines ...string) string {
		tk, errs := buildTask(t, lines...)
		if len(errs) > 0 {
			t.Fatalf("%q: %q", lines, errs)
		}
		return tk.Canonical
	}
	first := canon(same[0][0])
	if first != "deps=a,b id=x retry_delay=1s" {
		t.Errorf("Canonical = %q", first)
	}
	for _, other := range []string{canon(same[0][1]), canon(same[0][2], same[0][3])} {
		if other != first {
			t.Errorf("got %q, want %q", other, first)
		}
	}
	for _, g := range same[1:] {
		a, b := canon(g[0]), canon(g[1])
		if a != b {
			t.Errorf("%q and %q: %q != %q", g[0], g[1], a, b)
		}
	}
	differ := [][2]string{
		{"deps=a,b", "deps=b,a"},
		{"retry_delay=1s", "retry_delay=2s"},
		{"id=a", "id=b"},
		{"id=a", ""},
		{"retry_attempts=3", ""},
		{"trigger_rules=task_success(a)", "trigger_rules=task_failed(a)"},
		{`trigger_rules=context_value(n, equals, 1)`, `trigger_rules=context_value(n, equals, "1")`},
		{`trigger_rules=context_value(n, equals, 1)`, `trigger_rules=context_value(n, equals, 1.0)`},
		{"retry_condition=all", `retry_condition="all of it"`},
		{`retry_condition="a,b"`, `retry_condition="a b"`},
		{"on_success=A", "on_failure=A"},
		{"retry_jitter=true", "retry_jitter=false"},
	}
	for _, d := range differ {
		a, b := canon("//cloacina:task "+d[0]), canon("//cloacina:task "+d[1])
		if a == b {
			t.Errorf("%q and %q have the same Canonical %q", d[0], d[1], a)
		}
	}
}

func TestWorkflow(t *testing.T) {
	w, errs := buildWorkflow(t, `//cloacina:workflow name=etl description="Nightly extract, transform, load"`, "//cloacina:workflow author=ops tenant=acme tasks=extract,load")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := &Workflow{
		Pos:         linePos(3),
		Name:        "etl",
		Description: "Nightly extract, transform, load",
		Author:      "ops",
		Tenant:      "acme",
		Tasks:       []string{"extract", "load"},
		HasTasks:    true,
		Keys: map[string]Key{
			"name":        {Name: "name", Pos: pos(3, 21), ValuePos: pos(3, 26), Raw: "etl"},
			"description": {Name: "description", Pos: pos(3, 30), ValuePos: pos(3, 42), Raw: `"Nightly extract, transform, load"`},
			"author":      {Name: "author", Pos: pos(4, 21), ValuePos: pos(4, 28), Raw: "ops"},
			"tenant":      {Name: "tenant", Pos: pos(4, 32), ValuePos: pos(4, 39), Raw: "acme"},
			"tasks":       {Name: "tasks", Pos: pos(4, 44), ValuePos: pos(4, 50), Raw: "extract,load"},
		},
		Canonical: `author="ops" description="Nightly extract, transform, load" name=etl tasks=extract,load tenant=acme`,
	}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("got  %+v\nwant %+v", w, want)
	}

	w, errs = buildWorkflow(t, "//cloacina:workflow name=etl")
	if len(errs) > 0 || w.Tenant != "" || w.Tasks != nil || w.HasTasks || w.Canonical != "name=etl" {
		t.Errorf("defaults: %+v %q", w, errs)
	}
	// A tenant is a PostgreSQL schema name: [A-Za-z0-9_]+, at most 40 characters.
	for _, tenant := range []string{"1_Acme", strings.Repeat("t", 40)} {
		w, errs = buildWorkflow(t, "//cloacina:workflow name=etl tenant="+tenant)
		if len(errs) > 0 || w.Tenant != tenant {
			t.Errorf("tenant=%s: %+v %q", tenant, w, errs)
		}
	}
}

var workflowErrorCases = []struct {
	lines []string // after "//cloacina:workflow "
	errs  []string
}{
	{[]string{""}, []string{`3:1: missing required key "name" for //cloacina:workflow`}},
	{[]string{"description=x"}, []string{`3:1: missing required key "name" for //cloacina:workflow`}},
	// No "missing name" after a syntax error: name may have followed it.
	{[]string{"description =x name=etl"}, []string{`3:32: unexpected space before "="; write description=value with no spaces around "="`}},
	{[]string{"name=1etl"}, []string{`3:26: name: "1etl" is not a valid workflow name; use letters, digits, "_" and "-", starting with a letter`}},
	{[]string{"name=_etl"}, []string{`3:26: name: "_etl" is not a valid workflow name; use letters, digits, "_" and "-", starting with a letter`}},
	{[]string{`name="etl"`}, []string{`3:26: name: write name=etl without quotes`}},
	{[]string{"name=etl tenant=a.b"}, []string{`3:37: tenant: "a.b" has "."; use letters, digits and "_" (a tenant is a PostgreSQL schema)`}},
	{[]string{"name=etl tenant=acme-corp"}, []string{`3:37: tenant: "acme-corp" has "-"; use letters, digits and "_" (a tenant is a PostgreSQL schema)`}},
	{[]string{"name=etl tenant=" + strings.Repeat("t", 41)}, []string{`3:37: tenant: "` + strings.Repeat("t", 41) + `" is 41 characters long; the limit is 40`}},
	{[]string{"name=etl tasks=a,,b"}, []string{`3:38: tasks: empty element in list "a,,b"`}},
	{[]string{"name=etl tasks=a,a"}, []string{`3:38: tasks: "a" is listed twice`}},
	{[]string{"name=etl description=Load(x)"}, []string{`3:42: description: quote text that contains parentheses: description="Load(x)"`}},
	{[]string{"name=etl", "name=other"}, []string{`4:21: duplicate key "name" (first given at etl.go:3:21); consecutive //cloacina:workflow lines form one directive, so separate two workflows with a blank line`}},
	{[]string{"name=etl author=a author=b"}, []string{`3:39: duplicate key "author" (first given at etl.go:3:30)`}},
	{[]string{"name=etl descripton=x"}, []string{`3:30: unknown key "descripton" for //cloacina:workflow; did you mean "description"?`}},
	{[]string{"name=etl task=a"}, []string{`3:30: unknown key "task" for //cloacina:workflow; did you mean "tasks"?`}},
	{[]string{"name=etl deps=a"}, []string{`3:30: unknown key "deps" for //cloacina:workflow (deps is a //cloacina:task key); valid keys: name, description, author, tenant, tasks, inputs`}},
	{[]string{"name=etl version=2"}, []string{`3:30: unknown key "version" for //cloacina:workflow; valid keys: name, description, author, tenant, tasks, inputs`}},
}

func TestWorkflowErrors(t *testing.T) {
	cases := workflowErrorCases
	for _, c := range cases {
		t.Run(strings.Join(c.lines, " / "), func(t *testing.T) {
			var lines []string
			for _, l := range c.lines {
				lines = append(lines, "//cloacina:workflow "+l)
			}
			w, errs := buildWorkflow(t, lines...)
			if !equalStrings(errs, c.errs) {
				t.Errorf("errors:\n got %q\nwant %q", errs, c.errs)
			}
			if w == nil {
				t.Fatal("nil workflow")
			}
		})
	}
}

func TestKeyLists(t *testing.T) {
	if k := TaskKeys(); len(k) != 15 || k[0] != "id" {
		t.Errorf("TaskKeys() = %v", k)
	}
	if k := WorkflowKeys(); !reflect.DeepEqual(k, []string{"name", "description", "author", "tenant", "tasks", "inputs"}) {
		t.Errorf("WorkflowKeys() = %v", k)
	}
}
