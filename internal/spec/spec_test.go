package spec

import (
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
