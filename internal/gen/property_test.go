package gen_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/internal/gen"
	"github.com/cloacina-go/cloacina/internal/testgen"
)

// TestPropertyValidGraphs generates random valid DAGs of up to 200 tasks,
// whose tasks read the keys their dependencies write: each must generate
// without errors, warnings or notes (the data-flow check rejects none), list every edge (and no other) in the
// generated graph, build, and check out at run time.
func TestPropertyValidGraphs(t *testing.T) {
	t.Parallel()
	m := sharedModule(t)
	sizes := []int{1, 2, 7, 30, 64, 111, 150, 200}
	if testing.Short() {
		sizes = []int{1, 2, 7, 30, 64}
	}
	var pkgs []*testgen.Package
	for i, n := range sizes {
		p, err := m.Write(testgen.Spec{
			Dir:          fmt.Sprintf("prop/valid%d", i),
			Workflow:     fmt.Sprintf("valid-%d", i),
			Tasks:        n,
			Seed:         uint64(1000 + i),
			MaxDeps:      1 + i%5,
			TasksPerFile: 1 + n/3,
		})
		if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	results := byPath(generate(t, m, "./prop/..."))
	checked := map[string]*gen.Result{}
	for _, p := range pkgs {
		r := results[p.ImportPath]
		if r == nil {
			t.Fatalf("no result for %s", p.ImportPath)
		}
		if len(r.Errors) > 0 || len(r.Notes) > 0 {
			t.Fatalf("%s: unexpected errors or notes:\n%v\n%v", p.ImportPath, r.Errors, r.Notes)
		}
		if len(r.Workflows) != 1 {
			t.Fatalf("%s: %d workflows, want 1", p.ImportPath, len(r.Workflows))
		}
		w := r.Workflows[0]
		got := generatedGraph(t, r.Content, w.GoName+"Graph")
		if len(got) != len(p.Edges) {
			t.Errorf("%s: generated graph has %d tasks, want %d", p.ImportPath, len(got), len(p.Edges))
		}
		edges := 0
		for id, deps := range p.Edges {
			edges += len(deps)
			if g, ok := got[id]; !ok || !slices.Equal(g, deps) {
				t.Errorf("%s: task %s: generated deps %v, want %v", p.ImportPath, id, g, deps)
			}
		}
		if n := len(w.Edges()); n != edges {
			t.Errorf("%s: Workflow.Edges has %d edges, want %d", p.ImportPath, n, edges)
		}
		if err := r.Commit(); err != nil {
			t.Fatal(err)
		}
		checked[p.ImportPath] = r
	}
	checkProgram(t, m, "prop/check", checked)
	out, err := m.Go(context.Background(), "run", "./prop/check")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("ok %d workflows", len(pkgs)); !strings.Contains(string(out), want) {
		t.Fatalf("check program printed %q, want %q", out, want)
	}
}

// TestPropertyFaults injects every fault (graph and data-flow faults),
// alone and together, and checks
// that each is reported with its kind at its exact position, naming the
// related positions, and that nothing else is reported.
func TestPropertyFaults(t *testing.T) {
	t.Parallel()
	m := sharedModule(t)
	var specs []testgen.Spec
	for i, f := range testgen.Faults {
		for seed := range 3 {
			specs = append(specs, testgen.Spec{
				Dir:    fmt.Sprintf("faults/%s%d", strings.ReplaceAll(string(f), "_", ""), seed),
				Tasks:  5 + 40*seed,
				Seed:   uint64(100*i + seed),
				Faults: []testgen.Fault{f},
			})
		}
	}
	specs = append(specs, testgen.Spec{Dir: "faults/all", Tasks: 120, Seed: 7, TasksPerFile: 17, Faults: testgen.Faults},
		testgen.Spec{Dir: "faults/twice", Tasks: 60, Seed: 8, Faults: append(slices.Clone(testgen.Faults), testgen.Faults...)},
		testgen.Spec{Dir: "faults/flow", Tasks: 90, Seed: 11, TasksPerFile: 13, Faults: append(slices.Clone(testgen.FlowFaults), testgen.FlowFaults...)})
	var pkgs []*testgen.Package
	for _, s := range specs {
		s.Workflow = "w"
		p, err := m.Write(s)
		if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	results := byPath(generate(t, m, "./faults/..."))
	for _, p := range pkgs {
		r := results[p.ImportPath]
		if r == nil {
			t.Fatalf("no result for %s", p.ImportPath)
		}
		if r.Content != nil {
			t.Errorf("%s: generated code despite errors", p.ImportPath)
		}
		matched := map[*gen.Error]bool{}
		for _, inj := range p.Injected {
			var hit *gen.Error
			for _, e := range r.Errors {
				if e.Kind.String() == string(inj.Fault) && filepath.Base(e.Pos.Filename) == inj.Pos.File &&
					e.Pos.Line == inj.Pos.Line && e.Pos.Column == inj.Pos.Column {
					hit = e
				}
			}
			if hit == nil {
				t.Errorf("%s: %s fault on task %s not reported at %s; errors:\n%v", p.ImportPath, inj.Fault, inj.Task, inj.Pos, r.Errors)
				continue
			}
			matched[hit] = true
			if !strings.Contains(hit.Msg, fmt.Sprintf("%q", inj.Task)) && !strings.Contains(hit.Msg, inj.Task+" ") {
				t.Errorf("%s: %v does not name task %s", p.ImportPath, hit, inj.Task)
			}
			for _, rel := range inj.Related {
				// Relative to the same directory as the error's own position.
				rel.File = filepath.Join(filepath.Dir(hit.Pos.Filename), rel.File)
				if !strings.Contains(hit.Msg, " "+rel.String()) {
					t.Errorf("%s: %v does not name position %s", p.ImportPath, hit, rel)
				}
			}
		}
		for _, e := range r.Errors {
			if !matched[e] {
				t.Errorf("%s: unexpected error %v", p.ImportPath, e)
			}
		}
		for _, e := range r.Notes {
			t.Errorf("%s: unexpected warning or note %v", p.ImportPath, e)
		}
	}
}
