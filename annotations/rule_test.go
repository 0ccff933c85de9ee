package annotations

import (
	"encoding/json"
	"errors"
	"go/token"
	"reflect"
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/internal/spec"
)

var ruleValidCases = []struct {
	expr, want string
}{
	{"always", "always"},
	{"always()", "always"},
	{" always ( ) ", "always"},
	{"all()", "all()"},
	{"any( )", "any()"},
	{"none(always)", "none(always)"},
	{"task_success(extract)", "task_success(extract)"},
	{"task_failed( _load-2 )", "task_failed(_load-2)"},
	{"task_skipped(x)", "task_skipped(x)"},
	{
		`all(task_success(transform), context_value(mode, equals, "full"))`,
		`all(task_success(transform), context_value(mode, equals, "full"))`,
	},
	{
		"all(\ttask_success(a),context_value(\"mode\",equals,`full`) )",
		`all(task_success(a), context_value(mode, equals, "full"))`,
	},
	{`(all(always))`, `all(always)`},
	{` ( any(task_failed(a), task_skipped(a)) ) `, `any(task_failed(a), task_skipped(a))`},
	{`context_value(user.id, exists)`, `context_value(user.id, exists)`},
	{`context_value(order.tier, equals, "vip")`, `context_value(order.tier, equals, "vip")`},
	{`context_value("order"."tier", equals, "vip")`, `context_value(order.tier, equals, "vip")`},
	{`context_value("a.b", exists)`, `context_value("a.b", exists)`},
	{"context_value(order.`x.y`.z, exists)", `context_value(order."x.y".z, exists)`},
	{`context_value(a-b_c.d, not_exists)`, `context_value(a-b_c.d, not_exists)`},
	{`context_value("with space", not_equals, null)`, `context_value("with space", not_equals, null)`},
	{`context_value("a)b", contains, "x(\"y\")")`, `context_value("a)b", contains, "x(\"y\")")`},
	{`context_value(n, greater_than, -1.5E+3)`, `context_value(n, greater_than, -1.5e3)`},
	{`context_value(n, less_than, 0)`, `context_value(n, less_than, 0)`},
	{`context_value(n, less_than, 12345678901234567890)`, `context_value(n, less_than, 12345678901234567890)`},
	{`context_value(n, equals, 2e-3)`, `context_value(n, equals, 2e-3)`},
	{`context_value(f, equals, true)`, `context_value(f, equals, true)`},
	{`context_value(f, not_contains, false)`, `context_value(f, not_contains, false)`},
	{`context_value(s, equals, "\u00e9\t")`, `context_value(s, equals, "é\t")`},
	{
		`none(all(any(task_success(a), always), context_value(k, exists)), task_failed(b))`,
		`none(all(any(task_success(a), always), context_value(k, exists)), task_failed(b))`,
	},
}

func TestParseRuleValid(t *testing.T) {
	cases := ruleValidCases
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			r, err := ParseRule(linePos(3), c.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.String(); got != c.want {
				t.Errorf("String() = %s, want %s", got, c.want)
			}
			again, err := ParseRule(linePos(3), r.String())
			if err != nil {
				t.Fatalf("re-parse %s: %v", r.String(), err)
			}
			if !sameRule(r, again) {
				t.Errorf("re-parse of %s differs", r.String())
			}
		})
	}
}

func TestParseRuleAST(t *testing.T) {
	r, err := ParseRule(linePos(3), `all(task_success(a), context_value(mode, equals, "full"), context_value(n, greater_than, 3), context_value(k, exists))`)
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != RuleAll || len(r.Rules) != 4 || r.Pos.Column != 1 || r.Pos.Line != 3 {
		t.Fatalf("got %+v", r)
	}
	ts := r.Rules[0]
	if ts.Kind != RuleTaskSuccess || ts.Task != "a" || ts.Pos.Column != 5 {
		t.Errorf("task_success: %+v", ts)
	}
	cv := r.Rules[1]
	if cv.Kind != RuleContextValue || cv.Key != "mode" || cv.Op != OpEquals || cv.Pos.Column != 22 ||
		cv.Value == nil || cv.Value.Kind != LiteralString || cv.Value.Value != "full" || cv.Value.Text != `"full"` {
		t.Errorf("context_value: %+v %+v", cv, cv.Value)
	}
	n := r.Rules[2].Value
	if n.Kind != LiteralNumber || n.Value != json.Number("3") || n.Text != "3" {
		t.Errorf("number: %+v", n)
	}
	if ex := r.Rules[3]; ex.Op != OpExists || ex.Value != nil {
		t.Errorf("exists: %+v", ex)
	}
	for expr, want := range map[string]Literal{
		"true":  {Kind: LiteralBool, Value: true, Text: "true"},
		"false": {Kind: LiteralBool, Value: false, Text: "false"},
		"null":  {Kind: LiteralNull, Value: nil, Text: "null"},
		"`a`":   {Kind: LiteralString, Value: "a", Text: `"a"`},
		"-0.5":  {Kind: LiteralNumber, Value: json.Number("-0.5"), Text: "-0.5"},
	} {
		r, err := ParseRule(linePos(1), "context_value(k, equals, "+expr+")")
		if err != nil {
			t.Fatal(err)
		}
		if *r.Value != want {
			t.Errorf("%s: got %+v, want %+v", expr, *r.Value, want)
		}
	}
	if r, _ := ParseRule(linePos(1), "all()"); r.Rules == nil {
		t.Errorf("all() has nil Rules, want empty")
	}
}

var ruleErrorCases = []struct{ expr, want string }{
	{``, `3:1: expected a rule (always, all, any, none, task_success, task_failed, task_skipped, context_value), found end of rule`},
	{`all(task_success(a, b))`, `3:19: expected ")" after task_success argument, found ","`},
	{`all(task_success(a) task_success(b))`, `3:21: expected "," or ")" in all(...), found "task_success"`},
	{`all(always,)`, `3:12: expected a rule (always, all, any, none, task_success, task_failed, task_skipped, context_value), found ")"`},
	{`all`, `3:4: expected "(" after all, found end of rule`},
	{`any(`, `3:5: expected a rule (always, all, any, none, task_success, task_failed, task_skipped, context_value), found end of rule`},
	{`always(x)`, `3:8: expected ")" after always( (always takes no arguments), found "x"`},
	{`task_sucess(a)`, `3:1: unknown rule "task_sucess"; did you mean "task_success"?`},
	{`all(after(a))`, `3:5: unknown rule "after"; use one of always, all, any, none, task_success, task_failed, task_skipped, context_value`},
	{`task_success()`, `3:14: expected a task id in task_success(...), found ")"`},
	{`task_success("a")`, `3:14: expected a task id in task_success(...), found "\""`},
	{`task_success(a.b)`, `3:14: "a.b" is not a valid task id; use letters, digits, "_" and "-", starting with a letter or "_"`},
	{`task_failed`, `3:12: expected "(" after task_failed, found end of rule`},
	{`context_value(mode, equal, "x")`, `3:21: unknown operator "equal"; did you mean "equals"?`},
	{`context_value(mode, is, "x")`, `3:21: unknown operator "is"; use one of equals, not_equals, greater_than, less_than, contains, not_contains, exists, not_exists`},
	{`context_value(mode, equals)`, `3:27: expected "," and a value after equals, found ")"`},
	{`context_value(mode, exists, 1)`, `3:27: expected ")" after exists (exists takes no value), found ","`},
	{`context_value(mode equals, 1)`, `3:20: expected "," after context_value key, found "equals"`},
	{`context_value(, exists)`, `3:15: expected a context key in context_value(...), found ","`},
	{`context_value("", exists)`, `3:15: context key "": empty quoted segment`},
	{`context_value(order..tier, exists)`, `3:21: context key order..tier: empty segment; segments are separated by single dots`},
	{`context_value(order., exists)`, `3:21: context key order.: empty segment after the last "."`},
	{`context_value(.tier, exists)`, `3:15: context key .tier: empty segment; segments are separated by single dots`},
	{`context_value("a"b, exists)`, `3:18: context key "a"b: expected "." after a segment, found "b"`},
	{`context_value(a"b", exists)`, `3:16: context key a"b": expected "." after a segment, found "\""`},
	{`context_value("a, exists)`, `3:15: unterminated quoted string`},
	{"context_value(\"a\nb\", exists)", `3:17: newline in quoted string`},
	{`context_value("\z", exists)`, `3:16: invalid escape sequence \z in quoted string`},
	{`context_value(mode, , 1)`, `3:21: expected an operator (equals, not_equals, greater_than, less_than, contains, not_contains, exists, not_exists), found ","`},
	{`context_value(mode, equals, full)`, `3:29: expected a value (quoted string, number, true, false or null), found "full"; quote strings: "full"`},
	{`context_value(mode, equals, )`, `3:29: expected a value (quoted string, number, true, false or null), found ")"`},
	{`context_value(n, equals, 01)`, `3:26: invalid number "01" (use JSON number syntax, e.g. 3, -1.5, 2e6)`},
	{`context_value(n, equals, 1.)`, `3:26: invalid number "1." (use JSON number syntax, e.g. 3, -1.5, 2e6)`},
	{`context_value(n, equals, -)`, `3:26: invalid number "-" (use JSON number syntax, e.g. 3, -1.5, 2e6)`},
	{`context_value(n, equals, 1e)`, `3:26: invalid number "1e" (use JSON number syntax, e.g. 3, -1.5, 2e6)`},
	{`context_value(n, equals, 1x)`, `3:26: invalid number "1x" (use JSON number syntax, e.g. 3, -1.5, 2e6)`},
	{`context_value(n, equals, .5)`, `3:26: invalid number ".5" (use JSON number syntax, e.g. 3, -1.5, 2e6)`},
	{`context_value(n, equals, +1)`, `3:26: invalid number "+1" (use JSON number syntax, e.g. 3, -1.5, 2e6)`},
	{`context_value(n, equals, 1e999)`, `3:26: number 1e999 is out of range`},
	{`context_value(n, equals, 1 2)`, `3:28: expected ")" after context_value value, found "2"`},
	{`always always`, `3:8: unexpected "always" after the rule`},
	{`(always`, `3:8: expected ")" after the rule, found end of rule`},
	{`((always))`, `3:2: expected a rule (always, all, any, none, task_success, task_failed, task_skipped, context_value), found "("`},
	{`all(always) )`, `3:13: unexpected ")" after the rule`},
	{"all(\nalways)", `3:5: expected a rule (always, all, any, none, task_success, task_failed, task_skipped, context_value), found "\n"`},
	{`all(é)`, `3:5: expected a rule (always, all, any, none, task_success, task_failed, task_skipped, context_value), found "é"`},
	{strings.Repeat("all(", 65) + strings.Repeat(")", 65), `3:257: rules nested too deeply (more than 64 levels)`},
}

// TestParseRulePath: a context_value key is a path; dots separate
// segments, and a quoted segment may hold dots.
func TestParseRulePath(t *testing.T) {
	for expr, want := range map[string][]string{
		`context_value(mode, exists)`:                {"mode"},
		`context_value(order.tier, exists)`:          {"order", "tier"},
		`context_value("a.b", exists)`:               {"a.b"},
		`context_value(order."x.y".z, exists)`:       {"order", "x.y", "z"},
		`context_value("with space".n-1, exists)`:    {"with space", "n-1"},
		"context_value(`raw`.\"q\\\"uote\", exists)": {"raw", `q"uote`},
	} {
		r, err := ParseRule(linePos(1), expr)
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		if !reflect.DeepEqual(r.Path, want) {
			t.Errorf("%s: Path = %q, want %q", expr, r.Path, want)
		}
		if again, err := ParseRule(linePos(1), r.String()); err != nil || !reflect.DeepEqual(again.Path, want) || again.Key != r.Key {
			t.Errorf("%s: String() = %s does not parse back: %v", expr, r, err)
		}
	}
}

func TestParseRuleErrors(t *testing.T) {
	cases := ruleErrorCases
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			r, err := ParseRule(linePos(3), c.expr)
			if err == nil {
				t.Fatalf("got %s, want error", r)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error", err)
			}
			if got := short(t, ErrorList{e})[0]; got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
	// 64 levels are fine.
	if _, err := ParseRule(linePos(3), strings.Repeat("all(", 63)+"always"+strings.Repeat(")", 63)); err != nil {
		t.Errorf("64 levels: %v", err)
	}
}

// TestRuleParsesEverySpecKind checks that the parser reads every rule kind
// and operator internal/spec lists, which the runtime also implements.
func TestRuleParsesEverySpecKind(t *testing.T) {
	examples := map[string]string{
		spec.RuleAlways:       "always",
		spec.RuleAll:          "all(always)",
		spec.RuleAny:          "any(always)",
		spec.RuleNone:         "none(always)",
		spec.RuleTaskSuccess:  "task_success(a)",
		spec.RuleTaskFailed:   "task_failed(a)",
		spec.RuleTaskSkipped:  "task_skipped(a)",
		spec.RuleContextValue: "context_value(k, exists)",
	}
	for _, kind := range spec.RuleKinds() {
		expr, ok := examples[kind]
		if !ok {
			t.Errorf("no example of rule kind %q; add one", kind)
			continue
		}
		r, err := ParseRule(token.Position{}, expr)
		if err != nil || r.Kind != kind {
			t.Errorf("ParseRule(%q) = %v, %v; want kind %s", expr, r, err, kind)
		}
	}
	for _, op := range spec.Ops() {
		expr := "context_value(k, " + op + ", 1)"
		if !spec.OpTakesValue(op) {
			expr = "context_value(k, " + op + ")"
		}
		r, err := ParseRule(token.Position{}, expr)
		if err != nil || r.Op != op {
			t.Errorf("ParseRule(%q) = %v, %v; want operator %s", expr, r, err, op)
		}
	}
}
