package annotations

import (
	"reflect"
	"testing"
)

func TestWorkflowInputs(t *testing.T) {
	w, errs := buildWorkflow(t, "//cloacina:workflow name=etl inputs=mode:string,date,limit:int")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var got []string
	for _, k := range w.Inputs {
		got = append(got, k.String()+"@"+k.Pos.String())
	}
	// The line starts at column 1 of line 3; inputs= is at column 30.
	want := []string{"mode:string@etl.go:3:37", "date@etl.go:3:49", "limit:int@etl.go:3:54"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("inputs = %v, want %v", got, want)
	}
	if !w.HasInputs || w.Inputs[1].Type != TypeAny {
		t.Errorf("HasInputs = %v, date's type %q", w.HasInputs, w.Inputs[1].Type)
	}
	if w.Canonical != "inputs=mode:string,date,limit:int name=etl" {
		t.Errorf("Canonical = %q", w.Canonical)
	}
}

func TestTaskReadsWrites(t *testing.T) {
	tk, errs := buildTask(t, `//cloacina:task reads=a,b:object writes="c:array"`)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(tk.Reads) != 2 || tk.Reads[1] != (ContextKey{Name: "b", Type: TypeObject, Pos: tk.Reads[1].Pos}) {
		t.Errorf("Reads = %+v", tk.Reads)
	}
	if len(tk.Writes) != 1 || tk.Writes[0].Name != "c" || tk.Writes[0].Type != TypeArray {
		t.Errorf("Writes = %+v", tk.Writes)
	}
	if tk.Canonical != `reads=a,b:object writes="c:array"` {
		t.Errorf("Canonical = %q", tk.Canonical)
	}
}

func TestContextKeyErrors(t *testing.T) {
	for _, c := range []struct {
		line string
		errs []string
	}{
		{"inputs=mode:strng", []string{`3:42: inputs: "strng" is not a key type; did you mean "string"?`}},
		{"inputs=mode:float", []string{`3:42: inputs: "float" is not a key type; use any, string, number, int, bool, array, object`}},
		{"inputs=a,,b", []string{`3:39: inputs: empty key name in list "a,,b"`}},
		{"inputs=a,a:int", []string{`3:39: inputs: key "a" is listed twice`}},
		{"inputs=(a)", []string{`3:37: inputs: unexpected "(" in value; parentheses are only allowed in trigger_rules`}},
	} {
		t.Run(c.line, func(t *testing.T) {
			w, errs := buildWorkflow(t, "//cloacina:workflow name=etl "+c.line)
			if !equalStrings(errs, c.errs) {
				t.Errorf("errors:\n got %q\nwant %q", errs, c.errs)
			}
			if w.Inputs != nil || w.HasInputs {
				t.Errorf("an invalid list gave Inputs %v", w.Inputs)
			}
		})
	}
}

func TestTrailingComment(t *testing.T) {
	tk, errs := buildTask(t, "//cloacina:task id=x deps=a // runs after a, description=\"not a key\"")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if tk.ID != "x" || len(tk.Deps) != 1 || tk.Deps[0] != "a" || len(tk.Keys) != 2 {
		t.Errorf("task = %+v", tk)
	}
	// "//" inside a value is part of it.
	w, errs := buildWorkflow(t, `//cloacina:workflow name=w description="see https://example.com"`)
	if len(errs) > 0 || w.Description != "see https://example.com" {
		t.Errorf("description = %q, errors %v", w.Description, errs)
	}
}
