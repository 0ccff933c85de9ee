package annotations

import (
	"reflect"
	"testing"
)

type wantArg struct {
	key   string
	col   int // of the key
	vcol  int // of the value
	kind  ValueKind
	raw   string
	value string
}

var directiveCases = []struct {
	line string
	verb string // "" when no directive is returned
	args []wantArg
	errs []string
}{
	{line: "//cloacina:task", verb: "task"},
	{line: "//cloacina:workflow   ", verb: "workflow"},
	{
		line: "//cloacina:task id=x deps=a,b",
		verb: "task",
		args: []wantArg{
			{"id", 17, 20, Word, "x", "x"},
			{"deps", 22, 27, Word, "a,b", "a,b"},
		},
	},
	{
		line: "//cloacina:task\tid=x\t\tretry_delay=500ms ",
		verb: "task",
		args: []wantArg{
			{"id", 17, 20, Word, "x", "x"},
			{"retry_delay", 23, 35, Word, "500ms", "500ms"},
		},
	},
	{
		line: `//cloacina:workflow name=etl description="Nightly \"full\" load"`,
		verb: "workflow",
		args: []wantArg{
			{"name", 21, 26, Word, "etl", "etl"},
			{"description", 30, 42, Quoted, `"Nightly \"full\" load"`, `Nightly "full" load`},
		},
	},
	{
		line: "//cloacina:workflow author=`raw \\q`",
		verb: "workflow",
		args: []wantArg{{"author", 21, 28, Quoted, "`raw \\q`", `raw \q`}},
	},
	{
		line: `//cloacina:task trigger_rules=all(task_success(a), context_value(k, equals, "a)b")) id=x`,
		verb: "task",
		args: []wantArg{
			{"trigger_rules", 17, 31, Expr, `all(task_success(a), context_value(k, equals, "a)b"))`, `all(task_success(a), context_value(k, equals, "a)b"))`},
			{"id", 85, 88, Word, "x", "x"},
		},
	},
	{
		line: `//cloacina:task trigger_rules=( all(always) )`,
		verb: "task",
		args: []wantArg{{"trigger_rules", 17, 31, Expr, `( all(always) )`, `( all(always) )`}},
	},
	{
		line: `//cloacina:task trigger_rules=always`,
		verb: "task",
		args: []wantArg{{"trigger_rules", 17, 31, Word, `always`, `always`}},
	},
	{
		line: `//cloacina:task id=a=b`,
		verb: "task",
		args: []wantArg{{"id", 17, 20, Word, `a=b`, `a=b`}},
	},
	// A space after "//" is reported, and the directive is still read.
	{
		line: "// cloacina:task id=x",
		verb: "task",
		args: []wantArg{{"id", 18, 21, Word, "x", "x"}},
		errs: []string{`3:1: no space allowed after "//" in a directive; write //cloacina:task`},
	},
	{
		line: "//\t cloacina:workflow name=x",
		verb: "workflow",
		args: []wantArg{{"name", 23, 28, Word, "x", "x"}},
		errs: []string{`3:1: no space allowed after "//" in a directive; write //cloacina:workflow`},
	},
	{
		line: "// cloacina: the engine",
		errs: []string{`3:1: no space allowed after "//" in a directive; write //cloacina:<verb>`},
	},
	{
		line: "/*cloacina:task id=x*/",
		errs: []string{`3:1: directive in a /* */ comment is not read; write it as a line comment: //cloacina:task`},
	},
	{
		line: "/* cloacina:workflow name=x */",
		errs: []string{`3:1: directive in a /* */ comment is not read; write it as a line comment: //cloacina:workflow`},
	},
	{line: "// see cloacina docs", errs: []string{`3:1: not a //cloacina: directive`}},
	{line: "//go:generate cloacina-gen", errs: []string{`3:1: not a //cloacina: directive`}},
	{line: "/* about cloacina: nothing */", errs: []string{`3:1: not a //cloacina: directive`}},
	{line: "//cloacnia:task id=x", errs: []string{`3:1: unknown directive prefix //cloacnia:; did you mean //cloacina:?`}},
	{line: "//Cloacina:task id=x", errs: []string{`3:1: unknown directive prefix //Cloacina:; did you mean //cloacina:?`}},
	{line: "//cloacina:taks id=x", errs: []string{`3:1: unknown directive //cloacina:taks; did you mean //cloacina:task?`}},
	{line: "//cloacina:Task", errs: []string{`3:1: unknown directive //cloacina:Task; did you mean //cloacina:task?`}},
	{line: "//cloacina:workfow name=x", errs: []string{`3:1: unknown directive //cloacina:workfow; did you mean //cloacina:workflow?`}},
	{line: "//cloacina:task-x", errs: []string{`3:1: unknown directive //cloacina:task-x; did you mean //cloacina:task?`}},
	{line: "//cloacina:generate x", errs: []string{`3:1: unknown directive //cloacina:generate; use //cloacina:task, //cloacina:workflow, //cloacina:schedule or //cloacina:trigger`}},
	{line: "//cloacina:", errs: []string{`3:12: missing directive name after "//cloacina:"; write //cloacina:task or //cloacina:workflow`}},
	{line: "//cloacina: task", errs: []string{`3:12: missing directive name after "//cloacina:"; write //cloacina:task or //cloacina:workflow`}},
	{line: "//cloacina:task,id=x", errs: []string{`3:16: expected a space after //cloacina:task, found ","`}},
	// Syntax errors point at the exact column and stop the line.
	{
		line: "//cloacina:task deps=a id =x retry_attempts=3",
		verb: "task",
		args: []wantArg{{"deps", 17, 22, Word, "a", "a"}},
		errs: []string{`3:26: unexpected space before "="; write id=value with no spaces around "="`},
	},
	{line: "//cloacina:task id= x", verb: "task", errs: []string{`3:20: missing value after "id="; no space is allowed after "="`}},
	{line: "//cloacina:task id=", verb: "task", errs: []string{`3:20: missing value after "id="`}},
	{line: "//cloacina:task id", verb: "task", errs: []string{`3:17: expected key=value, found "id"`}},
	{line: "//cloacina:task extract deps=a", verb: "task", errs: []string{`3:17: expected key=value, found "extract"`}},
	{line: "//cloacina:task =x", verb: "task", errs: []string{`3:17: expected a key before "="`}},
	{line: `//cloacina:task "id"=x`, verb: "task", errs: []string{`3:17: expected key=value, found "\""`}},
	{line: `//cloacina:task id"x"`, verb: "task", errs: []string{`3:19: expected "=" after key "id", found "\""`}},
	{line: `//cloacina:task (x)`, verb: "task", errs: []string{`3:17: expected key=value, found "("`}},
	{line: `//cloacina:workflow description="abc`, verb: "workflow", errs: []string{`3:33: description: unterminated quoted string`}},
	{line: "//cloacina:workflow description=`abc", verb: "workflow", errs: []string{`3:33: description: unterminated quoted string`}},
	{line: `//cloacina:workflow description="bad \q"`, verb: "workflow", errs: []string{`3:38: description: invalid escape sequence \q in quoted string`}},
	{line: `//cloacina:workflow description="a"b`, verb: "workflow", errs: []string{`3:36: unexpected "b" after the value of description; separate key=value pairs with spaces`}},
	{line: `//cloacina:workflow description=a"b"`, verb: "workflow", errs: []string{`3:34: description: unexpected "\"" in value; quote the whole value`}},
	{line: `//cloacina:task id=x)`, verb: "task", errs: []string{`3:21: id: unexpected ")"`}},
	{line: `//cloacina:task id=)`, verb: "task", errs: []string{`3:20: id: unexpected ")"`}},
	{line: `//cloacina:task trigger_rules=all(task_success(a)`, verb: "task", errs: []string{`3:34: trigger_rules: unclosed "("`}},
	{line: `//cloacina:task trigger_rules=all(x(y(`, verb: "task", errs: []string{`3:38: trigger_rules: unclosed "("`}},
	{line: `//cloacina:task trigger_rules=(always`, verb: "task", errs: []string{`3:31: trigger_rules: unclosed "("`}},
	{line: `//cloacina:task trigger_rules=all(context_value(k, equals, "x))`, verb: "task", errs: []string{`3:60: trigger_rules: unterminated quoted string`}},
	{line: `//cloacina:task trigger_rules=all (always)`, verb: "task", errs: []string{`3:34: trigger_rules: unexpected space before "("`}},
	{line: `//cloacina:task trigger_rules=all(always)x`, verb: "task", errs: []string{`3:42: unexpected "x" after the value of trigger_rules; separate key=value pairs with spaces`}},
}

func TestParseDirective(t *testing.T) {
	cases := directiveCases
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			d, errs := ParseDirective(linePos(3), c.line)
			if got := short(t, errs); !equalStrings(got, c.errs) {
				t.Errorf("errors:\n got %q\nwant %q", got, c.errs)
			}
			if c.verb == "" {
				if d != nil {
					t.Fatalf("got directive %+v, want none", d)
				}
				return
			}
			if d == nil {
				t.Fatal("got no directive")
			}
			if d.Verb != c.verb || d.Pos != linePos(3) {
				t.Errorf("got verb %q at %v", d.Verb, d.Pos)
			}
			if d.Incomplete != (len(c.errs) > 0 && c.line[2] != ' ' && c.line[2] != '\t') {
				t.Errorf("Incomplete = %v", d.Incomplete)
			}
			var got []wantArg
			for _, a := range d.Args {
				if a.Pos.Line != 3 || a.ValuePos.Line != 3 || a.Pos.Offset-300 != a.Pos.Column-1 || a.ValuePos.Offset-300 != a.ValuePos.Column-1 {
					t.Errorf("bad positions %v %v", a.Pos, a.ValuePos)
				}
				got = append(got, wantArg{a.Name, a.Pos.Column, a.ValuePos.Column, a.Kind, a.Raw, a.Value})
			}
			if !reflect.DeepEqual(got, c.args) && (len(got) > 0 || len(c.args) > 0) {
				t.Errorf("args:\n got %+v\nwant %+v", got, c.args)
			}
		})
	}
}

func TestIsDirectiveLine(t *testing.T) {
	for line, want := range map[string]bool{
		"//cloacina:task":          true,
		"// cloacina:task":         true,
		"//\tcloacina:x":           true,
		"//cloacnia:task":          true,
		"// cloacnia:task":         false,
		"// see cloacina: docs":    false,
		"// Cloacina: the engine":  false,
		"//go:generate x":          false,
		"//nolint:errcheck":        false,
		"/*cloacina:task*/":        false, // block comments are checked by ParseFile
		"//cloacina":               false,
		"// uses cloacina:task ok": false,
	} {
		if got := isDirectiveLine(line); got != want {
			t.Errorf("isDirectiveLine(%q) = %v, want %v", line, got, want)
		}
	}
}

func TestValueKindString(t *testing.T) {
	for k, want := range map[ValueKind]string{Word: "word", Quoted: "quoted string", Expr: "expression", 7: "ValueKind(7)"} {
		if got := k.String(); got != want {
			t.Errorf("%d: got %q, want %q", int(k), got, want)
		}
	}
}
