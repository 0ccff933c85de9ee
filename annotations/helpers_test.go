package annotations

import (
	"go/token"
	"reflect"
	"strconv"
	"testing"
)

const testFile = "etl.go"

// linePos is the position of a directive comment on line n, column 1.
func linePos(n int) token.Position {
	return token.Position{Filename: testFile, Line: n, Column: 1, Offset: 100 * n}
}

// short renders errors as "line:col: msg", checking that each is in testFile.
func short(t *testing.T, errs ErrorList) []string {
	t.Helper()
	var out []string
	for _, e := range errs {
		if e.Pos.Filename != testFile {
			t.Errorf("error %q has filename %q", e.Msg, e.Pos.Filename)
		}
		out = append(out, strconv.Itoa(e.Pos.Line)+":"+strconv.Itoa(e.Pos.Column)+": "+e.Msg)
	}
	return out
}

// parseLines lexes each line as a directive on lines 3, 4, ...
func parseLines(lines ...string) ([]*Directive, ErrorList) {
	var dirs []*Directive
	var errs ErrorList
	for i, l := range lines {
		d, e := ParseDirective(linePos(3+i), l)
		errs = append(errs, e...)
		if d != nil {
			dirs = append(dirs, d)
		}
	}
	return dirs, errs
}

// buildTask builds the task of func ExtractCSV from directive lines.
func buildTask(t *testing.T, lines ...string) (*Task, []string) {
	t.Helper()
	dirs, errs := parseLines(lines...)
	tk, e := BuildTask("ExtractCSV", dirs...)
	errs = append(errs, e...)
	errs.Sort()
	return tk, short(t, errs)
}

func buildWorkflow(t *testing.T, lines ...string) (*Workflow, []string) {
	t.Helper()
	dirs, errs := parseLines(lines...)
	w, e := BuildWorkflow(dirs...)
	errs = append(errs, e...)
	errs.Sort()
	return w, short(t, errs)
}

func equalStrings(a, b []string) bool {
	return len(a) == 0 && len(b) == 0 || reflect.DeepEqual(a, b)
}

// sameRule compares rules ignoring positions.
func sameRule(a, b *Rule) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind || a.Task != b.Task || a.Key != b.Key || a.Op != b.Op || len(a.Rules) != len(b.Rules) {
		return false
	}
	if (a.Value == nil) != (b.Value == nil) {
		return false
	}
	if a.Value != nil && !reflect.DeepEqual(*a.Value, *b.Value) {
		return false
	}
	for i := range a.Rules {
		if !sameRule(a.Rules[i], b.Rules[i]) {
			return false
		}
	}
	return true
}

// sameTask compares the typed fields of two tasks, ignoring positions,
// Func and Keys.
func sameTask(a, b *Task) bool {
	return a.FuncName == b.FuncName && a.ID == b.ID && equalStrings(a.Deps, b.Deps) && a.Workflow == b.Workflow &&
		a.RetryAttempts == b.RetryAttempts && a.RetryBackoff == b.RetryBackoff &&
		a.RetryDelay == b.RetryDelay && a.RetryMaxDelay == b.RetryMaxDelay && a.RetryJitter == b.RetryJitter &&
		a.RetryCondition.Kind == b.RetryCondition.Kind && equalStrings(a.RetryCondition.Patterns, b.RetryCondition.Patterns) &&
		a.Timeout == b.Timeout && sameRule(a.Trigger, b.Trigger) && a.OnSuccess == b.OnSuccess && a.OnFailure == b.OnFailure &&
		a.Canonical == b.Canonical && sameKeyNames(a.Keys, b.Keys)
}

func sameWorkflow(a, b *Workflow) bool {
	return a.Name == b.Name && a.Description == b.Description && a.Author == b.Author && a.Tenant == b.Tenant &&
		equalStrings(a.Tasks, b.Tasks) && a.HasTasks == b.HasTasks && a.Canonical == b.Canonical && sameKeyNames(a.Keys, b.Keys)
}

func sameKeyNames(a, b map[string]Key) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

// checkPositions fails when an error lacks a file name, line or column.
func checkPositions(t *testing.T, errs ErrorList) {
	t.Helper()
	for _, e := range errs {
		if e.Pos.Filename == "" || e.Pos.Line < 1 || e.Pos.Column < 1 {
			t.Fatalf("error without a full position: %#v", e)
		}
		if e.Msg == "" {
			t.Fatalf("error without a message at %s", e.Pos)
		}
	}
}
