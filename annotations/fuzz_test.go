package annotations

import (
	"go/parser"
	"go/token"
	"sort"
	"strings"
	"testing"
)

// directiveSeeds are the directive lines of the table tests.
func directiveSeeds() []string {
	var seeds []string
	for _, c := range directiveCases {
		seeds = append(seeds, c.line)
	}
	for _, c := range taskKeyCases {
		seeds = append(seeds, "//cloacina:task "+c.line)
	}
	for _, c := range taskErrorCases {
		seeds = append(seeds, "//cloacina:task "+strings.Join(c.lines, " "))
	}
	for _, c := range workflowErrorCases {
		seeds = append(seeds, "//cloacina:workflow "+strings.Join(c.lines, " "))
	}
	for _, c := range ruleValidCases {
		seeds = append(seeds, "//cloacina:task trigger_rules="+c.expr)
	}
	for _, c := range ruleErrorCases {
		seeds = append(seeds, "//cloacina:task trigger_rules="+c.expr)
	}
	return seeds
}

// checkTaskRoundTrip checks that a task without errors re-parses from its
// Canonical text to the same task, and its rule from Rule.String.
func checkTaskRoundTrip(t *testing.T, tk *Task) {
	t.Helper()
	line := "//cloacina:task " + tk.Canonical
	d, errs := ParseDirective(linePos(1), line)
	if len(errs) > 0 || d == nil {
		t.Fatalf("Canonical %q does not lex: %v", tk.Canonical, errs)
	}
	again, errs := BuildTask(tk.FuncName, d)
	if len(errs) > 0 {
		t.Fatalf("Canonical %q does not build: %v", tk.Canonical, errs)
	}
	if !sameTask(tk, again) {
		t.Fatalf("Canonical %q re-parses to a different task:\n%+v\n%+v", tk.Canonical, tk, again)
	}
	if tk.Trigger != nil {
		r, err := ParseRule(linePos(1), tk.Trigger.String())
		if err != nil {
			t.Fatalf("Rule.String %q does not parse: %v", tk.Trigger, err)
		}
		if !sameRule(r, tk.Trigger) || r.String() != tk.Trigger.String() {
			t.Fatalf("Rule.String %q re-parses to %q", tk.Trigger, r)
		}
	}
}

func checkWorkflowRoundTrip(t *testing.T, w *Workflow) {
	t.Helper()
	d, errs := ParseDirective(linePos(1), "//cloacina:workflow "+w.Canonical)
	if len(errs) > 0 || d == nil {
		t.Fatalf("Canonical %q does not lex: %v", w.Canonical, errs)
	}
	again, errs := BuildWorkflow(d)
	if len(errs) > 0 {
		t.Fatalf("Canonical %q does not build: %v", w.Canonical, errs)
	}
	if !sameWorkflow(w, again) {
		t.Fatalf("Canonical %q re-parses to a different workflow:\n%+v\n%+v", w.Canonical, w, again)
	}
}

// checkInLine fails when an error of a directive on line 1 points outside
// the line (one past its end is allowed, for "missing value").
func checkInLine(t *testing.T, errs ErrorList, line string) {
	t.Helper()
	for _, e := range errs {
		if e.Pos.Line != 1 || e.Pos.Column > 1+len(line) || e.Pos.Offset != 100+e.Pos.Column-1 {
			t.Fatalf("error %v outside the line %q", e, line)
		}
	}
}

func FuzzParseDirective(f *testing.F) {
	for _, s := range directiveSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		d, errs := ParseDirective(linePos(1), line)
		checkPositions(t, errs)
		checkInLine(t, errs, line)
		if d == nil {
			if len(errs) == 0 {
				t.Fatal("no directive and no error")
			}
			return
		}
		if d.Verb != VerbTask && d.Verb != VerbWorkflow {
			t.Fatalf("verb %q", d.Verb)
		}
		for _, a := range d.Args {
			if a.Pos.Column < 1 || a.ValuePos.Column <= a.Pos.Column || a.Raw == "" {
				t.Fatalf("bad arg %+v", a)
			}
		}
		switch d.Verb {
		case VerbTask:
			tk, berrs := BuildTask("FuzzFunc", d)
			checkPositions(t, berrs)
			checkInLine(t, berrs, line)
			if len(errs) == 0 && len(berrs) == 0 {
				checkTaskRoundTrip(t, tk)
			}
		case VerbWorkflow:
			w, berrs := BuildWorkflow(d)
			checkPositions(t, berrs)
			checkInLine(t, berrs, line)
			if len(errs) == 0 && len(berrs) == 0 {
				checkWorkflowRoundTrip(t, w)
			}
		}
	})
}

func FuzzParseRule(f *testing.F) {
	for _, c := range ruleValidCases {
		f.Add(c.expr)
	}
	for _, c := range ruleErrorCases {
		f.Add(c.expr)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		r, err := ParseRule(linePos(1), expr)
		if err != nil {
			checkPositions(t, ErrorList{err.(*Error)})
			return
		}
		again, err := ParseRule(linePos(1), r.String())
		if err != nil {
			t.Fatalf("String %q of %q does not parse: %v", r, expr, err)
		}
		if !sameRule(r, again) {
			t.Fatalf("String %q of %q re-parses to %q", r, expr, again)
		}
	})
}

func FuzzParseFile(f *testing.F) {
	f.Add(etlSrc)
	for _, c := range placementCases {
		f.Add("package p\n\n" + c.src)
	}
	for _, s := range directiveSeeds() {
		f.Add("package p\n\n" + s + "\nfunc F() {}\n")
	}
	f.Fuzz(func(t *testing.T, src string) {
		fset := token.NewFileSet()
		file, _ := parser.ParseFile(fset, testFile, src, parser.ParseComments)
		if file == nil {
			return
		}
		out, errs := ParseFile(fset, file)
		checkPositions(t, errs)
		exact := !strings.Contains(src, "line ") && !strings.Contains(src, "\r")
		for _, e := range errs {
			if e.Pos.Offset < 0 || e.Pos.Offset > len(src) {
				t.Fatalf("error %v at offset %d outside the source (%d bytes)", e, e.Pos.Offset, len(src))
			}
			// Without //line directives or carriage returns, line and
			// column agree with the offset.
			if exact {
				line := 1 + strings.Count(src[:e.Pos.Offset], "\n")
				col := e.Pos.Offset - strings.LastIndex(src[:e.Pos.Offset], "\n")
				if line != e.Pos.Line || col != e.Pos.Column {
					t.Fatalf("error %v: offset %d is at %d:%d", e, e.Pos.Offset, line, col)
				}
			}
		}
		if !sort.IsSorted(errs) {
			t.Fatalf("errors not sorted: %v", errs)
		}
		if len(errs) > 0 {
			return
		}
		for _, tk := range out.Tasks {
			if tk.Func == nil || tk.Func.Recv != nil || tk.Func.Name.Name != tk.FuncName {
				t.Fatalf("task %s has Func %v", tk.ID, tk.Func)
			}
			checkTaskRoundTrip(t, tk)
		}
		for _, w := range out.Workflows {
			checkWorkflowRoundTrip(t, w)
		}
	})
}
