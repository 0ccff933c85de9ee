package spec

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestWorkflowVersion pins the version hash: a change here changes the
// version of every generated workflow, which the runtime reports as a new
// version of each.
func TestWorkflowVersion(t *testing.T) {
	tasks := []TaskVersion{
		{ID: "c", Fingerprint: "fp-c", Dependencies: []string{"a", "b"}},
		{ID: "a", Fingerprint: "fp-a"},
		{ID: "b", Fingerprint: "fp-b", Dependencies: []string{"a"}},
	}
	v := WorkflowVersion("etl", tasks)
	if v != "629bd5149790e7a6" {
		t.Errorf("WorkflowVersion = %s", v)
	}
	reordered := []TaskVersion{tasks[2], tasks[0], tasks[1]}
	if got := WorkflowVersion("etl", reordered); got != v {
		t.Errorf("task order changed the version: %s, want %s", got, v)
	}
	swapped := append([]TaskVersion(nil), tasks...)
	swapped[0].Dependencies = []string{"b", "a"}
	if WorkflowVersion("etl", swapped) == v {
		t.Error("dependency order (merge order) did not change the version")
	}
}

func TestCheckTenant(t *testing.T) {
	for _, ok := range []string{"public", "acme_corp", "1_Acme", "_", strings.Repeat("t", MaxTenantLen)} {
		if err := CheckTenant(ok); err != nil {
			t.Errorf("CheckTenant(%q) = %v", ok, err)
		}
	}
	for name, want := range map[string]string{
		"":                                  `empty name`,
		"acme-corp":                         `"acme-corp" has "-"; use letters, digits and "_" (a tenant is a PostgreSQL schema)`,
		"a.b":                               `"a.b" has "."; use letters, digits and "_" (a tenant is a PostgreSQL schema)`,
		"café":                              `"café" has "é"; use letters, digits and "_" (a tenant is a PostgreSQL schema)`,
		strings.Repeat("t", MaxTenantLen+1): `"` + strings.Repeat("t", MaxTenantLen+1) + `" is 41 characters long; the limit is 40`,
	} {
		if err := CheckTenant(name); err == nil || err.Error() != want {
			t.Errorf("CheckTenant(%q) = %v, want %s", name, err, want)
		}
	}
}

func TestNames(t *testing.T) {
	for s, want := range map[string][2]bool{ // task id, workflow name
		"extract": {true, true}, "_x": {true, false}, "a-b_2": {true, true}, "2a": {false, false},
		"": {false, false}, "a b": {false, false}, "a.b": {false, false},
	} {
		if got := [2]bool{ValidTaskID(s), ValidWorkflowName(s)}; got != want {
			t.Errorf("%q: ValidTaskID, ValidWorkflowName = %v, want %v", s, got, want)
		}
	}
}

func TestParsePath(t *testing.T) {
	for key, want := range map[string][]string{
		"mode":              {"mode"},
		"order.tier":        {"order", "tier"},
		"a-b_c.d.0":         {"a-b_c", "d", "0"},
		`"a.b"`:             {"a.b"},
		`"a.b".c`:           {"a.b", "c"},
		`order."x.y".z`:     {"order", "x.y", "z"},
		"`raw.key`":         {"raw.key"},
		"has space":         {"has space"},
		`"say \"hi\"".next`: {`say "hi"`, "next"},
	} {
		got, err := ParsePath(key)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParsePath(%s) = %q, %v; want %q", key, got, err, want)
			continue
		}
		for _, format := range []func([]string) string{FormatPath, JoinPath} {
			back, err := ParsePath(format(got))
			if err != nil || !slices.Equal(back, want) {
				t.Errorf("ParsePath(%s) = %q, %v; want %q", format(got), back, err, want)
			}
		}
	}
	for key, want := range map[string]string{
		"":       "0: empty key",
		"a..b":   "2: empty segment; segments are separated by single dots",
		".a":     "0: empty segment; segments are separated by single dots",
		"a.":     "2: empty segment after the last \".\"",
		`"a`:     "0: unterminated quoted segment",
		`""`:     "0: empty quoted segment",
		`"a"b`:   `3: expected "." after a segment, found "b"`,
		`a"b"`:   `1: expected "." after a segment, found "\""`,
		`"\q".x`: `0: invalid quoted segment "\q"`,
	} {
		_, err := ParsePath(key)
		var pe *PathError
		if !errors.As(err, &pe) || fmt.Sprintf("%d: %s", pe.Offset, pe.Msg) != want {
			t.Errorf("ParsePath(%s) = %v, want %s", key, err, want)
		}
	}
}

func TestFormatPath(t *testing.T) {
	for want, segs := range map[string][]string{
		"order.tier":         {"order", "tier"},
		`"a.b".c`:            {"a.b", "c"},
		`"has space"`:        {"has space"},
		`x."say \"hi\""."é"`: {"x", `say "hi"`, "é"},
	} {
		if got := FormatPath(segs); got != want {
			t.Errorf("FormatPath(%q) = %s, want %s", segs, got, want)
		}
	}
	for want, segs := range map[string][]string{
		"order.tier":         {"order", "tier"},
		`"a.b".c`:            {"a.b", "c"},
		`has space`:          {"has space"},
		`x."say \"hi\"".é-1`: {"x", `say "hi"`, "é-1"},
	} {
		if got := JoinPath(segs); got != want {
			t.Errorf("JoinPath(%q) = %s, want %s", segs, got, want)
		}
	}
}
