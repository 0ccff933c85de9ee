package dag

import (
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
)

func nodes(spec ...string) []Node {
	// spec entries: "id" or "id:dep1,dep2"
	var out []Node
	for _, s := range spec {
		var n Node
		id, deps, found := cut(s, ':')
		n.ID = id
		if found && deps != "" {
			for _, d := range split(deps) {
				n.Deps = append(n.Deps, d)
			}
		}
		out = append(out, n)
	}
	return out
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func split(s string) []string {
	var out []string
	for {
		a, b, ok := cut(s, ',')
		out = append(out, a)
		if !ok {
			return out
		}
		s = b
	}
}

func ids(g *Graph, idx []int) []string {
	out := make([]string, len(idx))
	for i, x := range idx {
		out[i] = g.ID(x)
	}
	return out
}

func TestBuildOrderAndLevels(t *testing.T) {
	g, err := Build(nodes("load:transform,enrich", "extract", "transform:extract", "enrich:extract", "audit"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(g, g.Order()), []string{"extract", "transform", "enrich", "load", "audit"}; !reflect.DeepEqual(got, want) {
		// extract(1) and audit(4) are both roots; extract has the lower index.
		// After extract: transform(2), enrich(3) are ready; audit(4) waits its turn.
		t.Fatalf("order = %v, want %v", got, want)
	}
	var levels [][]string
	for _, l := range g.Levels() {
		levels = append(levels, ids(g, l))
	}
	if want := [][]string{{"extract", "audit"}, {"transform", "enrich"}, {"load"}}; !reflect.DeepEqual(levels, want) {
		t.Fatalf("levels = %v, want %v", levels, want)
	}
	if got := ids(g, g.Roots()); !reflect.DeepEqual(got, []string{"extract", "audit"}) {
		t.Fatalf("roots = %v", got)
	}
	if got := ids(g, g.Leaves()); !reflect.DeepEqual(got, []string{"load", "audit"}) {
		t.Fatalf("leaves = %v", got)
	}
	li, _ := g.Index("load")
	anc := g.Ancestors(li)
	var names []string
	for i := 0; i < g.Len(); i++ {
		if anc[i] {
			names = append(names, g.ID(i))
		}
	}
	if !reflect.DeepEqual(names, []string{"extract", "transform", "enrich"}) {
		t.Fatalf("ancestors(load) = %v", names)
	}
	if got := ids(g, g.Deps(li)); !reflect.DeepEqual(got, []string{"transform", "enrich"}) {
		t.Fatalf("deps keep declared order, got %v", got)
	}
}

func TestCheckProblems(t *testing.T) {
	cases := []struct {
		name  string
		nodes []Node
		want  []string // messages
	}{
		{"empty", nil, []string{"workflow has no tasks"}},
		{"duplicate", nodes("a", "b", "a"), []string{`duplicate task id "a"`}},
		{"missing with suggestion", nodes("extract", "load:extarct"),
			[]string{`task "load" depends on unknown task "extarct"; did you mean "extract"?`}},
		{"missing without suggestion", nodes("extract", "load:zzz"),
			[]string{`task "load" depends on unknown task "zzz"`}},
		{"repeated dependency", nodes("a", "b:a,a"), []string{`task "b" lists dependency "a" more than once`}},
		{"self loop", nodes("a:a"), []string{"cycle: a -> a"}},
		{"three cycle", nodes("a:c", "b:a", "c:b"), []string{"cycle: a -> c -> b -> a"}},
		{"two separate cycles", nodes("a:b", "b:a", "x", "c:d", "d:c"),
			[]string{"cycle: a -> b -> a", "cycle: c -> d -> c"}},
		{"cycle reached from outside", nodes("root", "p:q,root", "q:p", "leaf:p"),
			[]string{"cycle: p -> q -> p"}},
		{"all at once", nodes("a:b", "b:a", "a", "c:nope"), []string{
			`duplicate task id "a"`,
			`task "c" depends on unknown task "nope"`,
			"cycle: a -> b -> a",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			probs := Check(c.nodes)
			var got []string
			for _, p := range probs {
				got = append(got, p.Message())
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("problems = %q\nwant       %q", got, c.want)
			}
			_, err := Build(c.nodes)
			var de *Error
			if !errors.As(err, &de) || len(de.Problems) != len(c.want) {
				t.Fatalf("Build error = %v, want *Error with %d problems", err, len(c.want))
			}
		})
	}
}

func TestCycleCarriesExactPath(t *testing.T) {
	probs := Check(nodes("a:b", "b:c", "c:a", "d:a"))
	if len(probs) != 1 {
		t.Fatalf("got %d problems: %v", len(probs), probs)
	}
	p := probs[0]
	if p.Kind != Cycle || p.Node != "a" || p.Index != 0 {
		t.Fatalf("problem = %+v", p)
	}
	if want := []string{"a", "b", "c", "a"}; !reflect.DeepEqual(p.Path, want) {
		t.Fatalf("path = %v, want %v", p.Path, want)
	}
}

func TestDuplicateIndices(t *testing.T) {
	probs := Check(nodes("x", "a", "b", "a"))
	if len(probs) != 1 || probs[0].Index != 3 || probs[0].FirstIndex != 1 {
		t.Fatalf("problems = %+v", probs)
	}
}

// TestRandomDAGs checks order and levels on random acyclic graphs, and that a
// back edge added to any of them is reported as a cycle through both ends.
func TestRandomDAGs(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for iter := 0; iter < 200; iter++ {
		n := 1 + rng.Intn(60)
		ns := make([]Node, n)
		perm := rng.Perm(n) // shuffle input order relative to dependency order
		name := func(k int) string { return fmt.Sprintf("t%d", k) }
		for k := 0; k < n; k++ {
			node := Node{ID: name(k)}
			for d := 0; d < k; d++ {
				if rng.Intn(4) == 0 {
					node.Deps = append(node.Deps, name(d))
				}
			}
			ns[perm[k]] = node
		}
		g, err := Build(ns)
		if err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		pos := map[int]int{}
		for p, i := range g.Order() {
			pos[i] = p
		}
		if len(pos) != n {
			t.Fatalf("order has %d nodes, want %d", len(pos), n)
		}
		for i := 0; i < n; i++ {
			for _, d := range g.Deps(i) {
				if pos[d] >= pos[i] {
					t.Fatalf("dependency %s after %s in order", g.ID(d), g.ID(i))
				}
				if g.Level(d) >= g.Level(i) {
					t.Fatalf("level of %s not below %s", g.ID(d), g.ID(i))
				}
			}
		}
		// Add a back edge from some node with a dependency to one of its descendants.
		if n > 1 {
			last := perm[n-1] // t(n-1) in input
			if len(ns[last].Deps) > 0 {
				first := ns[last].Deps[0]
				fi := -1
				for i, nd := range ns {
					if nd.ID == first {
						fi = i
					}
				}
				ns[fi].Deps = append(ns[fi].Deps, ns[last].ID)
				probs := Check(ns)
				if len(probs) != 1 || probs[0].Kind != Cycle {
					t.Fatalf("iter %d: back edge gave %+v", iter, probs)
				}
				path := probs[0].Path
				if path[0] != path[len(path)-1] {
					t.Fatalf("path does not close: %v", path)
				}
				in := map[string]bool{}
				for _, id := range path {
					in[id] = true
				}
				if !in[first] || !in[ns[last].ID] {
					t.Fatalf("path %v misses the back edge %s -> %s", path, first, ns[last].ID)
				}
				// Every consecutive pair must be a real dependency edge.
				deps := map[string]map[string]bool{}
				for _, nd := range ns {
					deps[nd.ID] = map[string]bool{}
					for _, d := range nd.Deps {
						deps[nd.ID][d] = true
					}
				}
				for k := 0; k+1 < len(path); k++ {
					if !deps[path[k]][path[k+1]] {
						t.Fatalf("path %v: %s does not depend on %s", path, path[k], path[k+1])
					}
				}
			}
		}
	}
}

func TestDeepChainDoesNotOverflow(t *testing.T) {
	const n = 200000
	ns := make([]Node, n)
	for i := range ns {
		ns[i].ID = fmt.Sprintf("t%d", i)
		if i > 0 {
			ns[i].Deps = []string{ns[i-1].ID}
		}
	}
	ns[0].Deps = []string{ns[n-1].ID}
	probs := Check(ns)
	if len(probs) != 1 || probs[0].Kind != Cycle || len(probs[0].Path) != n+1 {
		t.Fatalf("want one cycle over %d nodes, got %d problems", n, len(probs))
	}
}

func TestReachRelation(t *testing.T) {
	// b and c form a cycle; d depends on an unknown id and on a duplicated
	// id, which stands for its first node.
	nodes := []Node{
		{ID: "a"},
		{ID: "b", Deps: []string{"a", "c"}},
		{ID: "c", Deps: []string{"b"}},
		{ID: "d", Deps: []string{"nope", "e"}},
		{ID: "e", Deps: []string{"a"}},
		{ID: "e", Deps: []string{"c"}},
		{ID: "f"},
	}
	r := NewReach(nodes)
	cases := []struct {
		from, id string
		want     Relation
	}{
		{"b", "a", Upstream},
		{"b", "c", Upstream},
		{"c", "a", Upstream},
		{"b", "b", Self},
		{"c", "c", Self},
		{"d", "a", Upstream},
		{"d", "e", Upstream},
		{"d", "c", NotUpstream}, // only through the second e, which is not followed
		{"d", "nope", Unknown},
		{"a", "b", NotUpstream},
		{"f", "a", NotUpstream},
	}
	for _, c := range cases {
		i, _ := r.Index(c.from)
		if got := r.Relation(i, c.id); got != c.want {
			t.Errorf("Relation(%s, %s) = %s, want %s", c.from, c.id, got, c.want)
		}
	}
	for from, want := range map[string][]string{"b": {"a", "c"}, "c": {"a", "b"}, "d": {"a", "e"}, "a": nil} {
		i, _ := r.Index(from)
		if got := r.AncestorIDs(i); !reflect.DeepEqual(got, want) {
			t.Errorf("AncestorIDs(%s) = %v, want %v", from, got, want)
		}
	}
}

func TestGraphRelationAgreesWithAncestors(t *testing.T) {
	nodes := []Node{{ID: "x"}, {ID: "y", Deps: []string{"x"}}, {ID: "z", Deps: []string{"y"}}, {ID: "w", Deps: []string{"x"}}}
	g, err := Build(nodes)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < g.Len(); i++ {
		anc := g.Ancestors(i)
		for j := 0; j < g.Len(); j++ {
			want := NotUpstream
			switch {
			case i == j:
				want = Self
			case anc[j]:
				want = Upstream
			}
			if got := g.Relation(i, g.ID(j)); got != want {
				t.Errorf("Relation(%s, %s) = %s, want %s", g.ID(i), g.ID(j), got, want)
			}
		}
	}
	zi, _ := g.Index("z")
	if got := g.AncestorIDs(zi); !reflect.DeepEqual(got, []string{"x", "y"}) {
		t.Errorf("AncestorIDs(z) = %v", got)
	}
}
