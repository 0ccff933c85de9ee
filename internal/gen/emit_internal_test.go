package gen

import (
	"testing"

	"github.com/cloacina-go/cloacina/internal/spec"
)

// TestEmitCoversSpec checks that the emitter knows a runtime constructor or
// constant for every rule kind, operator, backoff and retry condition the
// annotation parser accepts; the golden tests compile the generated calls.
func TestEmitCoversSpec(t *testing.T) {
	for _, c := range []struct {
		what  string
		names []string
		table map[string]string
	}{
		{"rule kind", spec.RuleKinds(), ruleFuncs},
		{"operator", spec.Ops(), ops},
		{"backoff", spec.Backoffs(), backoffs},
		{"retry condition", spec.Conditions(), conditions},
	} {
		for _, n := range c.names {
			if c.table[n] == "" {
				t.Errorf("the emitter has no runtime name for %s %q", c.what, n)
			}
		}
		if len(c.table) != len(c.names) {
			t.Errorf("the emitter knows %d %ss, internal/spec %d", len(c.table), c.what, len(c.names))
		}
	}
}
