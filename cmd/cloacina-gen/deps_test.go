package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoDatabaseDrivers checks that building cloacina-gen does not compile
// the runtime's database drivers: go generate builds the command in every
// user module, and pgx and modernc.org/sqlite would make that build far
// slower. The generator shares what it must agree on with the runtime
// through internal/spec instead of importing package runtime.
func TestNoDatabaseDrivers(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %v", deps)
	}
	for _, d := range deps {
		for _, banned := range []string{"github.com/jackc/pgx", "modernc.org/", "github.com/cloacina-go/cloacina/runtime"} {
			if strings.HasPrefix(d, banned) {
				t.Errorf("cloacina-gen depends on %s", d)
			}
		}
	}
}
