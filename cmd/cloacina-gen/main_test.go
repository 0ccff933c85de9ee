package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/internal/testgen"
)

// invoke runs the command in dir and returns its exit code and output.
func invoke(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestCommand exercises the flags and exit codes on a synthetic module.
// It changes directory, so it does not run in parallel.
func TestCommand(t *testing.T) {
	m, err := testgen.NewModule(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range m.Env() {
		if k, v, ok := strings.Cut(kv, "="); ok && (k == "GOFLAGS" || k == "GOWORK") {
			t.Setenv(k, v)
		}
	}
	good, err := m.Write(testgen.Spec{Dir: "good", Workflow: "good", Tasks: 12, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	other, err := m.Write(testgen.Spec{Dir: "other", Workflow: "other", Tasks: 4, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(good.Dir, "cloacina_gen.go")

	t.Run("check before generating", func(t *testing.T) {
		code, stdout, stderr := invoke(t, good.Dir, "-check")
		// The package has no //go:generate line: say which to add, and where.
		want := "cloacina-gen: 1 generated file(s) out of date\n" +
			"cloacina-gen: package " + good.ImportPath + " has no //go:generate line that runs cloacina-gen, so go generate does not update cloacina_gen.go; add\n" +
			"\t//go:generate go tool cloacina-gen\n" +
			"to doc.go (the tool comes from go get -tool github.com/cloacina-go/cloacina/cmd/cloacina-gen), then run go generate .\n"
		if code != 1 || strings.TrimSpace(stdout) != "cloacina_gen.go" || stderr != want {
			t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, stdout, stderr, want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatal("-check wrote the file")
		}
	})
	t.Run("check with a go:generate line", func(t *testing.T) {
		doc := filepath.Join(other.Dir, "doc.go")
		src, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(doc, append(src, "\n//go:generate go tool cloacina-gen\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := invoke(t, m.Dir, "-check", "./other")
		want := "cloacina-gen: 1 generated file(s) out of date\ncloacina-gen: run go generate ." + string(filepath.Separator) + "other\n"
		if code != 1 || strings.TrimSpace(stdout) != filepath.Join("other", "cloacina_gen.go") || stderr != want {
			t.Fatalf("exit %d, stdout %q, stderr %q, want %q", code, stdout, stderr, want)
		}
	})
	t.Run("generate", func(t *testing.T) {
		code, stdout, stderr := invoke(t, good.Dir)
		if code != 0 || stdout != "" || stderr != "" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		if code, _, stderr := invoke(t, good.Dir, "-check"); code != 0 {
			t.Fatalf("-check after generating: exit %d, %s", code, stderr)
		}
	})
	t.Run("all packages", func(t *testing.T) {
		code, stdout, _ := invoke(t, m.Dir, "-check", "./...")
		if code != 1 || strings.TrimSpace(stdout) != filepath.Join("other", "cloacina_gen.go") {
			t.Fatalf("exit %d, stdout %q", code, stdout)
		}
		if code, _, stderr := invoke(t, m.Dir, "./..."); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if code, _, stderr := invoke(t, m.Dir, "-check", "./..."); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	})
	t.Run("graph", func(t *testing.T) {
		code, stdout, _ := invoke(t, m.Dir, "-graph=mermaid", "./...")
		if code != 0 || strings.Count(stdout, "flowchart TD") != 2 {
			t.Fatalf("exit %d, stdout:\n%s", code, stdout)
		}
		for id, deps := range good.Edges {
			for _, d := range deps {
				// Each task reads the key its dependency writes: the edge
				// carries it (and the keys written upstream of d that id
				// reads).
				edge := regexp.MustCompile(`(?m)^    ` + d + ` -->\|"([a-z0-9, ]+)"\| ` + id + `$`).FindStringSubmatch(stdout)
				if edge == nil || !slices.Contains(strings.Split(edge[1], ", "), d) {
					t.Errorf("mermaid output lacks edge %s --> %s labelled with key %s", d, id, d)
				}
			}
		}
		code, stdout, _ = invoke(t, good.Dir, "-graph=dot")
		if code != 0 || !strings.HasPrefix(stdout, "// workflow good, version ") || !strings.Contains(stdout, "digraph \"good\" {") {
			t.Fatalf("exit %d, stdout:\n%s", code, stdout)
		}
		for id, deps := range good.Edges {
			for _, d := range deps {
				if edge := fmt.Sprintf("\t%q -> %q [label=", d, id); !strings.Contains(stdout, edge) {
					t.Errorf("dot output lacks edge %q", edge)
				}
			}
		}
		if code, _, stderr := invoke(t, good.Dir, "-graph=svg"); code != 2 || !strings.Contains(stderr, "mermaid or dot") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("invalid input", func(t *testing.T) {
		bad, err := m.Write(testgen.Spec{Dir: "bad", Tasks: 20, Seed: 5, Faults: testgen.Faults})
		if err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := invoke(t, m.Dir, "./...")
		if code != 2 || stdout != "" {
			t.Fatalf("exit %d, stdout %q", code, stdout)
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if len(lines) != len(bad.Injected) {
			t.Fatalf("%d errors, want %d:\n%s", len(lines), len(bad.Injected), stderr)
		}
		pos := regexp.MustCompile(`^bad/[a-z_0-9]+\.go:\d+:\d+: `)
		for i, l := range lines {
			if !pos.MatchString(l) {
				t.Errorf("error %q is not file.go:line:col: message relative to the working directory", l)
			}
			if i > 0 && lines[i-1] > l && !strings.HasPrefix(lines[i-1], strings.SplitN(l, ":", 2)[0]) {
				t.Errorf("errors not sorted: %q before %q", lines[i-1], l)
			}
		}
		if _, err := os.Stat(filepath.Join(bad.Dir, "cloacina_gen.go")); err == nil {
			t.Fatal("generated code for an invalid package")
		}
	})
	t.Run("warnings and notes", func(t *testing.T) {
		src := "package warn\n\nimport (\n\t\"context\"\n\n\t\"github.com/cloacina-go/cloacina/runtime\"\n)\n\n" +
			"//cloacina:workflow name=warn\n\n" +
			"//cloacina:task id=a\nfunc A(ctx context.Context, c *runtime.Context) error { return c.Set(\"n\", int64(1)) }\n\n" +
			"//cloacina:task id=b deps=a\nfunc B(ctx context.Context, c *runtime.Context) error {\n\t_, err := runtime.Get[int8](c, \"n\")\n\treturn err\n}\n"
		if err := m.WriteFile("warn/tasks.go", []byte(src)); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := invoke(t, m.Dir, "./warn")
		want := `warn/tasks.go:16:33: warning: task "b" reads key "n" as int8, but task "a" writes it as int64`
		if code != 0 || stdout != "" || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
			t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant exit 0 and one line starting %s", code, stdout, stderr, want)
		}
		if _, err := os.Stat(filepath.Join(m.Dir, "warn", "cloacina_gen.go")); err != nil {
			t.Fatalf("a warning stopped generation: %v", err)
		}
	})
	t.Run("check after the directives are removed", func(t *testing.T) {
		files, _ := filepath.Glob(filepath.Join(good.Dir, "*.go"))
		for _, f := range files {
			if filepath.Base(f) == "cloacina_gen.go" {
				continue
			}
			src, _ := os.ReadFile(f)
			if err := os.WriteFile(f, bytes.ReplaceAll(src, []byte("//cloacina:"), []byte("// was: ")), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		code, stdout, stderr := invoke(t, good.Dir, "-check")
		want := "cloacina-gen: 1 generated file(s) out of date\n" +
			"cloacina-gen: cloacina_gen.go is no longer needed: package " + good.ImportPath + " has no //cloacina: directives left; delete it\n"
		if code != 1 || strings.TrimSpace(stdout) != "cloacina_gen.go" || stderr != want {
			t.Fatalf("exit %d, stdout %q, stderr %q, want %q", code, stdout, stderr, want)
		}
	})
	t.Run("usage", func(t *testing.T) {
		if code, _, stderr := invoke(t, m.Dir, "-nope"); code != 2 || !strings.Contains(stderr, "usage: cloacina-gen") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
}
