package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/internal/testgen"
)

// typoProgram reads a key under a misspelt name.
const typoProgram = `package main

//go:generate go tool cloacina-gen

import (
	"context"
	"fmt"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=typo

//cloacina:task id=extract
func Extract(ctx context.Context, c *runtime.Context) error {
	return c.Insert("totals", map[string]int{"acme": 3})
}

//cloacina:task id=load deps=extract
func Load(ctx context.Context, c *runtime.Context) error {
	totals, err := runtime.Get[map[string]int](c, "totlas")
	if err != nil {
		return err
	}
	fmt.Println(totals)
	return nil
}

func main() { fmt.Println(TypoVersion) }
`

// TestDataFlowInNewUserModule follows a user who installs both tools in a
// module outside the repository, generates a workflow, then misspells a
// context key: go generate and go vet -vettool=cloacina-vet both report it
// at the read, with a did-you-mean, and go vet -fix applies it. go vet
// then notices a task edited without regenerating, which go build does
// not.
func TestDataFlowInNewUserModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a new module with the go command; skipped with -short")
	}
	root, err := testgen.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module example.com/typo\n\ngo 1.26\n\nrequire github.com/cloacina-go/cloacina v0.0.0\n\nreplace github.com/cloacina-go/cloacina => " + root + "\n"
	main := filepath.Join(dir, "main.go")
	for name, src := range map[string]string{"go.mod": gomod, "main.go": typoProgram} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := newUserEnv(t)
	run := func(wantOK bool, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("%s %s: err = %v, want success %v\n%s", name, strings.Join(args, " "), err, wantOK, out)
		}
		return string(out)
	}
	run(true, "go", "get", "-tool", "github.com/cloacina-go/cloacina/cmd/cloacina-gen")
	run(true, "go", "get", "-tool", "github.com/cloacina-go/cloacina/cmd/cloacina-vet")
	run(true, "go", "get", "github.com/cloacina-go/cloacina/runtime")
	vettool := strings.TrimSpace(run(true, "go", "tool", "-n", "cloacina-vet"))

	// First the correct program, generated and vetted.
	fixed := strings.Replace(typoProgram, `"totlas"`, `"totals"`, 1)
	if err := os.WriteFile(main, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	run(true, "go", "generate", "./...")
	run(true, "go", "vet", "-vettool="+vettool, "./...")
	generated, err := os.ReadFile(filepath.Join(dir, "cloacina_gen.go"))
	if err != nil {
		t.Fatal(err)
	}

	// Then the typo: both tools report it, and the generated file stays.
	if err := os.WriteFile(main, []byte(typoProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	const want = `main.go:21:48: task "load" reads key "totlas", which no task upstream writes and which is not an input of workflow "typo" (upstream: extract; keys available: totals); Get fails with ErrKeyNotFound; did you mean "totals"?`
	if out := run(false, "go", "generate", "./..."); !strings.Contains(out, want) {
		t.Errorf("go generate printed:\n%s\nwant a line ending in:\n%s", out, want)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "cloacina_gen.go")); string(now) != string(generated) {
		t.Errorf("go generate rewrote cloacina_gen.go despite the error")
	}
	if out := run(false, "go", "vet", "-vettool="+vettool, "./..."); !strings.Contains(out, want) {
		t.Errorf("go vet -vettool printed:\n%s\nwant a line ending in:\n%s", out, want)
	}
	// The suggested fix restores the key.
	run(true, "go", "vet", "-vettool="+vettool, "-fix", "./...")
	if src, _ := os.ReadFile(main); string(src) != fixed {
		t.Errorf("go vet -fix left main.go as:\n%s", src)
	}
	run(true, "go", "vet", "-vettool="+vettool, "./...")

	// An edit without go generate: go build passes, go vet does not.
	edited := strings.Replace(fixed, `"acme": 3`, `"acme": 4`, 1)
	if err := os.WriteFile(main, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	run(true, "go", "build", "-o", filepath.Join(dir, "typo"), ".")
	if out := run(false, "go", "vet", "-vettool="+vettool, "./..."); !strings.Contains(out, "cloacina_gen.go:3:1: cloacina_gen.go is out of date") {
		t.Errorf("go vet -vettool after an edit printed:\n%s\nwant the stale generated file reported", out)
	}
}
