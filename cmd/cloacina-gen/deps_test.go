package main

import (
	"os/exec"
	"strings"
	"testing"
)

// goListDeps returns the import paths of pkgs and of everything they
// import, with whether each is in the standard library.
func goListDeps(t *testing.T, pkgs ...string) map[string]bool {
	t.Helper()
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}"}, pkgs...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	deps := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, std, _ := strings.Cut(line, " ")
		deps[path] = std == "true"
	}
	if len(deps) < 10 {
		t.Fatalf("go list -deps %v listed only %v", pkgs, deps)
	}
	return deps
}

// TestNoDatabaseDrivers checks that building cloacina-gen does not compile
// the runtime's database drivers: go generate builds the command in every
// user module, and pgx and modernc.org/sqlite would make that build far
// slower. The generator shares what it must agree on with the runtime
// through internal/spec instead of importing package runtime.
func TestNoDatabaseDrivers(t *testing.T) {
	for d := range goListDeps(t, ".") {
		for _, banned := range []string{"github.com/jackc/pgx", "modernc.org/", "github.com/cloacina-go/cloacina/runtime"} {
			if strings.HasPrefix(d, banned) {
				t.Errorf("cloacina-gen depends on %s", d)
			}
		}
	}
}

// TestLeafPackages checks that the packages the generator and the runtime
// share import only the standard library, each other, and the cron
// parser (a small pure-Go module with no dependencies of its own), which
// both must read expressions with.
func TestLeafPackages(t *testing.T) {
	const mod = "github.com/cloacina-go/cloacina/"
	leaves := []string{mod + "annotations", mod + "internal/dag", mod + "internal/spec", mod + "internal/suggest", mod + "internal/cron"}
	for path, std := range goListDeps(t, leaves...) {
		if std || path == "github.com/robfig/cron/v3" {
			continue
		}
		leaf := false
		for _, l := range leaves {
			leaf = leaf || path == l
		}
		if !leaf {
			t.Errorf("a leaf package depends on %s", path)
		}
	}
}
