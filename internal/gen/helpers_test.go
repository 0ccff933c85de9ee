package gen_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cloacina-go/cloacina/internal/gen"
	"github.com/cloacina-go/cloacina/internal/testgen"
)

// The tests of this package share one synthetic module, so that the go
// command builds the cloacina packages it replaces once; each test writes
// its packages under its own directory of it.
var (
	moduleOnce sync.Once
	module     *testgen.Module
	moduleErr  error
	moduleDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if moduleDir != "" {
		os.RemoveAll(moduleDir)
	}
	os.Exit(code)
}

// sharedModule returns the module shared by the tests.
func sharedModule(t testing.TB) *testgen.Module {
	t.Helper()
	moduleOnce.Do(func() {
		moduleDir, moduleErr = os.MkdirTemp("", "cloacina-gen-test-")
		if moduleErr == nil {
			module, moduleErr = testgen.NewModule(moduleDir)
		}
	})
	if moduleErr != nil {
		t.Fatal(moduleErr)
	}
	return module
}

// generate runs gen.Generate in the module.
func generate(t testing.TB, m *testgen.Module, patterns ...string) []*gen.Result {
	t.Helper()
	results, err := gen.Generate(context.Background(), &gen.Options{Dir: m.Dir, Env: m.Env()}, patterns...)
	if err != nil {
		t.Fatal(err)
	}
	return results
}

// byPath indexes results by import path.
func byPath(results []*gen.Result) map[string]*gen.Result {
	out := map[string]*gen.Result{}
	for _, r := range results {
		out[r.PkgPath] = r
	}
	return out
}

// generatedGraph parses generated code and returns the map literal of
// the variable named name: task id -> dependencies.
func generatedGraph(t testing.TB, src []byte, name string) map[string][]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "cloacina_gen.go", src, 0)
	if err != nil {
		t.Fatalf("generated code does not parse: %v", err)
	}
	var lit *ast.CompositeLit
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, s := range gd.Specs {
			vs, ok := s.(*ast.ValueSpec)
			if ok && len(vs.Names) == 1 && vs.Names[0].Name == name {
				lit, _ = vs.Values[0].(*ast.CompositeLit)
			}
		}
	}
	if lit == nil {
		t.Fatalf("generated code declares no %s map literal", name)
	}
	out := map[string][]string{}
	for _, e := range lit.Elts {
		kv := e.(*ast.KeyValueExpr)
		k, _ := strconv.Unquote(kv.Key.(*ast.BasicLit).Value)
		var deps []string
		if cl, ok := kv.Value.(*ast.CompositeLit); ok {
			for _, d := range cl.Elts {
				s, _ := strconv.Unquote(d.(*ast.BasicLit).Value)
				deps = append(deps, s)
			}
		}
		out[k] = deps
	}
	return out
}

// checkProgram writes a main package under dir of m that imports the given
// packages and checks, at run time, that each generated workflow is
// registered, has the generated version and the generated graph. pkgs
// maps import paths to the results generated for them.
func checkProgram(t testing.TB, m *testgen.Module, dir string, pkgs map[string]*gen.Result) {
	t.Helper()
	var paths []string
	for p := range pkgs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	b.WriteString("// Command check verifies generated workflows at run time.\npackage main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"slices\"\n\n\t\"github.com/cloacina-go/cloacina/runtime\"\n")
	for i, p := range paths {
		fmt.Fprintf(&b, "\tp%d %q\n", i, p)
	}
	b.WriteString(")\n\nfunc main() {\n\tn := 0\n")
	names := map[string]string{}
	for i, p := range paths {
		for _, w := range pkgs[p].Workflows {
			if other, ok := names[w.Name]; ok {
				t.Fatalf("workflow %q is declared by %s and %s; checked packages must use distinct names", w.Name, other, p)
			}
			names[w.Name] = p
			fmt.Fprintf(&b, "\tcheck(%q, p%d.%sWorkflow, p%d.%sVersion, p%d.%sGraph)\n\tn++\n", w.Name, i, w.GoName, i, w.GoName, i, w.GoName)
		}
	}
	b.WriteString(`	if len(runtime.DefaultRegistry().Names()) != n {
		fail("registry holds %v, want %d workflows", runtime.DefaultRegistry().Names(), n)
	}
	fmt.Printf("ok %d workflows\n", n)
}

func check(name string, w *runtime.Workflow, version string, graph map[string][]string) {
	if w.Name() != name {
		fail("workflow %q is named %q", name, w.Name())
	}
	if w.Version() != version {
		fail("workflow %q: Version() = %s, generated constant = %s", name, w.Version(), version)
	}
	if got, err := runtime.DefaultRegistry().Lookup(name); err != nil || got != w {
		fail("workflow %q is not registered: %v", name, err)
	}
	if w.Len() != len(graph) {
		fail("workflow %q has %d tasks, graph %d", name, w.Len(), len(graph))
	}
	for id, deps := range graph {
		task, ok := w.Task(id)
		if !ok {
			fail("workflow %q has no task %q", name, id)
		}
		if !slices.Equal(task.Dependencies, deps) {
			fail("workflow %q task %q: dependencies %v, graph %v", name, id, task.Dependencies, deps)
		}
		if len(task.Fingerprint) != 64 || task.Func == nil || task.Retry == nil {
			fail("workflow %q task %q is incomplete", name, id)
		}
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}
`)
	if err := m.WriteFile(filepath.ToSlash(filepath.Join(dir, "main.go")), []byte(b.String())); err != nil {
		t.Fatal(err)
	}
}
