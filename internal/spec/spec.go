// Package spec holds the facts the generator and the runtime must agree on,
// each stated once: the workflow version hash, the spelling of trigger rule
// kinds, operators, backoffs and retry conditions, the retry defaults, the
// syntax of task ids, workflow names and tenants, and the path syntax of
// context_value keys.
//
// It is a leaf package (standard library only), so that cmd/cloacina-gen can
// share these facts with package runtime without linking the runtime and its
// database drivers. Package annotations and package runtime re-export what
// their users need.
package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// TaskVersion is the part of a task that feeds its workflow's version.
type TaskVersion struct {
	ID           string
	Fingerprint  string
	Dependencies []string
}

// WorkflowVersion computes the version of a workflow from its name and its
// tasks' ids, fingerprints and dependencies. The order of tasks does not
// matter; the order of each task's dependencies does, because it decides
// how their contexts merge. cloacina-gen uses it to emit the version
// constant, and runtime.Workflow.Version returns the same value.
func WorkflowVersion(name string, tasks []TaskVersion) string {
	sorted := append([]TaskVersion(nil), tasks...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	h := sha256.New()
	fmt.Fprintf(h, "cloacina-workflow-v1\x00%s\x00", name)
	for _, t := range sorted {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x01", t.ID, t.Fingerprint, strings.Join(t.Dependencies, "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
