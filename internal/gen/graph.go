package gen

import (
	"io"

	"github.com/cloacina-go/cloacina/internal/dag"
	"github.com/cloacina-go/cloacina/internal/graphtext"
)

// GraphFormat names a text format for a workflow's graph.
type GraphFormat = graphtext.Format

// The graph formats of WriteGraph.
const (
	Mermaid = graphtext.Mermaid
	DOT     = graphtext.DOT
)

// ParseGraphFormat returns the format with the given name.
func ParseGraphFormat(s string) (GraphFormat, error) { return graphtext.ParseFormat(s) }

// WriteGraph prints the workflow's static graph (the same edges as the
// generated Graph variable) in the given format. Edges point from a task
// to the tasks that depend on it, the direction in which work flows.
// Tasks, and the edges into each, come in topological order, ties broken
// by id. An edge is labelled with the context keys that flow along it
// (Workflow.EdgeKeys), as Mermaid's -->|keys| and DOT's label.
func (w *Workflow) WriteGraph(out io.Writer, format GraphFormat) error {
	g := graphtext.Graph{Name: w.Name, Version: w.Version,
		Labels: func(from, to string) []string { return w.EdgeKeys[Edge{From: from, To: to}] }}
	for _, t := range w.topological() {
		g.Nodes = append(g.Nodes, graphtext.Node{ID: t.ID, Deps: t.Deps})
	}
	return graphtext.Write(out, format, g)
}

// topological returns the tasks with every task after its dependencies,
// ties broken by id (the order of Tasks).
func (w *Workflow) topological() []*Task {
	nodes := make([]dag.Node, len(w.Tasks))
	for i, t := range w.Tasks {
		nodes[i] = dag.Node{ID: t.ID, Deps: t.Deps}
	}
	g, err := dag.Build(nodes)
	if err != nil { // not a validated workflow
		return w.Tasks
	}
	out := make([]*Task, 0, len(w.Tasks))
	for _, i := range g.Order() {
		out = append(out, w.Tasks[i])
	}
	return out
}
