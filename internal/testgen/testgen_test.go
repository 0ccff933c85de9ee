package testgen_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/internal/testgen"
)

func TestWriteIsDeterministicAndAcyclic(t *testing.T) {
	t.Parallel()
	m, err := testgen.NewModule(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	spec := testgen.Spec{Name: "synth", Workflow: "w", Tasks: 80, Seed: 9, Faults: testgen.Faults}
	spec.Dir = "one"
	p1, err := m.Write(spec)
	if err != nil {
		t.Fatal(err)
	}
	spec.Dir = "two"
	p2, err := m.Write(spec)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(p1.Dir, "*.go"))
	if len(files) < 3 {
		t.Fatalf("files: %v", files)
	}
	for _, f := range files {
		a, _ := os.ReadFile(f)
		b, err := os.ReadFile(filepath.Join(p2.Dir, filepath.Base(f)))
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("%s differs between two writes with one seed", filepath.Base(f))
		}
	}
	if len(p1.Edges) != 80 || len(p1.Injected) != len(testgen.Faults) {
		t.Fatalf("%d tasks, %d faults", len(p1.Edges), len(p1.Injected))
	}
	// Every dependency points to a lower-numbered task: the graph is a DAG.
	for id, deps := range p1.Edges {
		for _, d := range deps {
			if d >= id {
				t.Errorf("%s depends on %s", id, d)
			}
		}
	}
	// Each recorded position points at what it claims.
	for _, inj := range p1.Injected {
		src, err := os.ReadFile(filepath.Join(p1.Dir, inj.Pos.File))
		if err != nil {
			t.Fatal(err)
		}
		line := strings.Split(string(src), "\n")[inj.Pos.Line-1]
		at := line[inj.Pos.Column-1:]
		var want string
		switch inj.Fault {
		case testgen.Cycle, testgen.DuplicateID:
			want = "//cloacina:task"
		case testgen.MissingDependency:
			want = "ghost"
		case testgen.BadSignature:
			want = "BadSignature"
		}
		if !strings.HasPrefix(at, want) {
			t.Errorf("%s at %s: %q does not start with %q", inj.Fault, inj.Pos, at, want)
		}
	}
}

func TestModuleRoot(t *testing.T) {
	t.Parallel()
	root, err := testgen.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "runtime")); err != nil {
		t.Fatalf("root %s has no runtime directory: %v", root, err)
	}
}
