package spec

import "testing"

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
