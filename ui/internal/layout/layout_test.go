package layout

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func byID(l *Layout) map[string]Placed {
	m := map[string]Placed{}
	for _, n := range l.Nodes {
		m[n.ID] = n
	}
	return m
}

func TestDiamond(t *testing.T) {
	l := Compute([]Node{{ID: "a"}, {ID: "b", Deps: []string{"a"}}, {ID: "c", Deps: []string{"a"}}, {ID: "d", Deps: []string{"b", "c"}}}, Options{})
	n := byID(l)
	if n["a"].Layer != 0 || n["b"].Layer != 1 || n["c"].Layer != 1 || n["d"].Layer != 2 {
		t.Fatalf("layers: %+v", l.Nodes)
	}
	if l.Layers != 3 || len(l.Edges) != 4 || l.Crossings != 0 {
		t.Fatalf("layers %d edges %d crossings %d", l.Layers, len(l.Edges), l.Crossings)
	}
	if n["b"].Y == n["c"].Y {
		t.Fatalf("b and c overlap: %+v %+v", n["b"], n["c"])
	}
}

func TestLongestPathAndBends(t *testing.T) {
	// d depends on a (layer 0) and c (layer 2): it goes in layer 3 and the
	// edge a→d bends through layers 1 and 2.
	l := Compute([]Node{{ID: "a"}, {ID: "b", Deps: []string{"a"}}, {ID: "c", Deps: []string{"b"}}, {ID: "d", Deps: []string{"a", "c"}}}, Options{})
	if got := byID(l)["d"].Layer; got != 3 {
		t.Fatalf("d in layer %d, want 3", got)
	}
	for _, e := range l.Edges {
		if e.From == "a" && e.To == "d" && len(e.Points) != 6 {
			t.Fatalf("a→d points %v, want start, 2 per bend, end", e.Points)
		}
		for i := 1; i < len(e.Points); i++ {
			if e.Points[i].X < e.Points[i-1].X {
				t.Fatalf("edge %s→%s goes left: %v", e.From, e.To, e.Points)
			}
		}
	}
}

func TestOrderingRemovesAvoidableCrossings(t *testing.T) {
	// Given in an order that crosses both pairs of edges: a1→b1, a2→b2 with
	// the b's listed reversed.
	l := Compute([]Node{
		{ID: "a1"}, {ID: "a2"}, {ID: "a3"},
		{ID: "b3", Deps: []string{"a3"}}, {ID: "b2", Deps: []string{"a2"}}, {ID: "b1", Deps: []string{"a1"}},
	}, Options{})
	if l.Crossings != 0 {
		t.Fatalf("crossings = %d, want 0", l.Crossings)
	}
	n := byID(l)
	if !(n["b1"].Y < n["b2"].Y && n["b2"].Y < n["b3"].Y) {
		t.Fatalf("b's not aligned with their a's: %+v", l.Nodes)
	}
}

func TestCycleStillDrawn(t *testing.T) {
	l := Compute([]Node{{ID: "a"}, {ID: "b", Deps: []string{"c"}}, {ID: "c", Deps: []string{"b"}}}, Options{})
	if len(l.Nodes) != 3 {
		t.Fatalf("nodes %+v", l.Nodes)
	}
}

// wide500 is a 500-task workflow of 10 stages, each task depending on up
// to three random tasks of earlier stages.
func wide500() []Node {
	rng := rand.New(rand.NewPCG(1, 2))
	var nodes []Node
	for i := range 500 {
		n := Node{ID: fmt.Sprintf("task_%03d", i)}
		stage := i / 50
		if stage > 0 {
			for range 1 + rng.IntN(3) {
				n.Deps = append(n.Deps, fmt.Sprintf("task_%03d", rng.IntN(stage*50)))
			}
		}
		nodes = append(nodes, n)
	}
	return nodes
}

func TestLayout500TasksIsFast(t *testing.T) {
	nodes := wide500()
	start := time.Now()
	l := Compute(nodes, Options{})
	took := time.Since(start)
	t.Logf("500 tasks: %d layers, %d edges, %d crossings left, %v", l.Layers, len(l.Edges), l.Crossings, took)
	// Generous for a shared, race-instrumented machine; it takes a few
	// milliseconds normally.
	if took > 2*time.Second {
		t.Fatalf("layout of 500 tasks took %v", took)
	}
	unordered := Compute(nodes, Options{Sweeps: -1})
	if l.Crossings >= unordered.Crossings {
		t.Fatalf("ordering did not reduce crossings: %d, unordered %d", l.Crossings, unordered.Crossings)
	}
	seen := map[[2]float64]string{}
	for _, n := range l.Nodes {
		k := [2]float64{n.X, n.Y}
		if other, ok := seen[k]; ok {
			t.Fatalf("%s and %s overlap", n.ID, other)
		}
		seen[k] = n.ID
	}
}

func BenchmarkLayout500(b *testing.B) {
	nodes := wide500()
	for b.Loop() {
		Compute(nodes, Options{})
	}
}
