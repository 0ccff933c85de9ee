package gen_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/internal/gen"
	"github.com/cloacina-go/cloacina/internal/testgen"
)

// TestDeterministic generates the same package laid out in different files
// (and twice): the output must be byte-for-byte the same.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	m := sharedModule(t)
	for i, perFile := range []int{1, 7, 40, 1000} {
		_, err := m.Write(testgen.Spec{Dir: "det/layout" + string(rune('a'+i)), Name: "synth", Workflow: "det", Tasks: 40, Seed: 42, TasksPerFile: perFile})
		if err != nil {
			t.Fatal(err)
		}
	}
	var first []byte
	for round := range 2 {
		for _, r := range generate(t, m, "./det/...") {
			if len(r.Errors) > 0 || r.Content == nil {
				t.Fatalf("%s: %v", r.PkgPath, r.Errors)
			}
			if first == nil {
				first = r.Content
				continue
			}
			if !bytes.Equal(first, r.Content) {
				t.Fatalf("round %d, %s: output differs from the first:\n%s", round, r.PkgPath, diff(string(first), string(r.Content)))
			}
		}
	}
	if bytes.Contains(first, []byte(m.Dir)) || bytes.Contains(first, []byte("/tmp")) {
		t.Error("generated code contains a path")
	}
}

// TestCommitAndStale follows a package through its life: generated,
// edited by hand, regenerated, and its directives removed.
func TestCommitAndStale(t *testing.T) {
	t.Parallel()
	m := sharedModule(t)
	p, err := m.Write(testgen.Spec{Dir: "life/pkg", Tasks: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(p.Dir, gen.OutputFile)
	one := func() *gen.Result {
		t.Helper()
		rs := generate(t, m, "./life/pkg")
		if len(rs) != 1 {
			t.Fatalf("%d results", len(rs))
		}
		return rs[0]
	}
	stale := func(r *gen.Result, want bool) {
		t.Helper()
		if got, err := r.Stale(); err != nil || got != want {
			t.Fatalf("Stale() = %v, %v; want %v", got, err, want)
		}
		files, err := gen.StaleFiles([]*gen.Result{r})
		if err != nil || (len(files) == 1) != want {
			t.Fatalf("StaleFiles = %v, %v", files, err)
		}
	}

	r := one()
	if r.OutputPath != out {
		t.Fatalf("OutputPath %s, want %s", r.OutputPath, out)
	}
	stale(r, true) // missing
	if err := r.Commit(); err != nil {
		t.Fatal(err)
	}
	stale(r, false)

	// A hand edit makes it stale; regenerating (with the edited file in
	// place, which the loader ignores) restores it.
	src, _ := os.ReadFile(out)
	if err := os.WriteFile(out, append(src, []byte("\n// edited\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	stale(r, true)
	r = one()
	if err := r.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, src) {
		t.Fatal("regenerated file differs from the first generation")
	}

	// Without directives the generated file is no longer needed.
	for _, f := range []string{"doc.go", "tasks_000.go"} {
		path := filepath.Join(p.Dir, f)
		b, _ := os.ReadFile(path)
		b = bytes.ReplaceAll(b, []byte("//cloacina:"), []byte("// was: "))
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r = one()
	if r.Content != nil || len(r.Errors) > 0 {
		t.Fatalf("package without directives: content %d bytes, errors %v", len(r.Content), r.Errors)
	}
	stale(r, true)
	if err := r.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("generated file not removed: %v", err)
	}
	stale(r, false)

	// A hand-written file of that name is never touched.
	mine := []byte("package synth\n\n// Mine is not generated.\nconst Mine = 1\n")
	if err := os.WriteFile(out, mine, 0o644); err != nil {
		t.Fatal(err)
	}
	r = one()
	stale(r, false)
	if err := r.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, mine) {
		t.Fatal("hand-written file changed")
	}
}

// TestCommittedFilesUpToDate is the -check of the repository: every
// package of the module with directives generates without errors (and
// without data-flow warnings or notes), and
// every committed cloacina_gen.go is what the generator produces now.
func TestCommittedFilesUpToDate(t *testing.T) {
	t.Parallel()
	root, err := testgen.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	results, err := gen.Generate(t.Context(), &gen.Options{Dir: root}, "./...")
	if err != nil {
		t.Fatal(err)
	}
	if errs := gen.Errors(results); len(errs) > 0 {
		t.Fatalf("cloacina-gen reports errors in the repository:\n%v", errs)
	}
	// The examples pass the data-flow check clean, without warnings or
	// notes.
	if notes := gen.Notes(results); len(notes) > 0 {
		t.Errorf("cloacina-gen reports warnings or notes in the repository:\n%v", notes)
	}
	for _, r := range results {
		for _, w := range r.Workflows {
			if w.Name == "etl" && len(w.EdgeKeys[gen.Edge{From: "transform", To: "load"}]) == 0 {
				t.Errorf("etl: no keys on the edge transform -> load: %v", w.EdgeKeys)
			}
		}
	}
	stale, err := gen.StaleFiles(results)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) > 0 {
		t.Errorf("generated files out of date; run go generate ./... :\n%s", strings.Join(stale, "\n"))
	}
	found := false
	for _, r := range results {
		if strings.HasSuffix(r.PkgPath, "/examples/etl") {
			found = r.Content != nil
		}
	}
	if !found {
		t.Error("examples/etl has no generated code")
	}
}

func TestGenerateNoPackages(t *testing.T) {
	t.Parallel()
	m := sharedModule(t)
	rs := generate(t, m, "./does/not/exist")
	errs := gen.Errors(rs)
	if len(errs) != 1 || errs[0].Kind != gen.LoadError || !strings.Contains(errs[0].Msg, "does/not/exist") {
		t.Fatalf("errors = %v", errs)
	}
}

// TestGenerateWithTags: a task in a file whose build constraint the -tags
// of this run satisfy is refused all the same, because the generated file
// is compiled by the untagged build too, which lacks the function.
func TestGenerateWithTags(t *testing.T) {
	t.Parallel()
	m := sharedModule(t)
	files := map[string]string{
		"tags/pkg/tasks.go": "package pkg\n\nimport (\n\t\"context\"\n\n\t\"github.com/cloacina-go/cloacina/runtime\"\n)\n\n" +
			"//cloacina:workflow name=tagged\n\n//cloacina:task id=a\nfunc A(ctx context.Context, c *runtime.Context) error { return nil }\n",
		"tags/pkg/pro.go": "//go:build pro\n\npackage pkg\n\nimport (\n\t\"context\"\n\n\t\"github.com/cloacina-go/cloacina/runtime\"\n)\n\n" +
			"//cloacina:task id=b deps=a\nfunc B(ctx context.Context, c *runtime.Context) error { return nil }\n",
	}
	for name, src := range files {
		if err := m.WriteFile(name, []byte(src)); err != nil {
			t.Fatal(err)
		}
	}
	for _, flags := range [][]string{nil, {"-tags=pro"}} {
		rs, err := gen.Generate(t.Context(), &gen.Options{Dir: m.Dir, Env: m.Env(), BuildFlags: flags}, "./tags/pkg")
		if err != nil {
			t.Fatal(err)
		}
		errs := gen.Errors(rs)
		want := filepath.Join("tags", "pkg", "pro.go") + ":11:1: //cloacina:task in a file with the build constraint //go:build pro; "
		if len(errs) != 1 || errs[0].Kind != gen.ExcludedFile || !strings.HasPrefix(errs[0].Error(), want) {
			t.Errorf("flags %v: errors %v, want one starting %q", flags, errs, want)
		}
		if rs[0].Content != nil {
			t.Errorf("flags %v: generated code despite the error", flags)
		}
	}
}
