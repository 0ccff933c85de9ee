package gen

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/cloacina-go/cloacina/internal/dag"
)

// GraphFormat names a text format for a workflow's graph.
type GraphFormat string

// The graph formats of WriteGraph.
const (
	Mermaid GraphFormat = "mermaid"
	DOT     GraphFormat = "dot"
)

// ParseGraphFormat returns the format with the given name.
func ParseGraphFormat(s string) (GraphFormat, error) {
	switch f := GraphFormat(s); f {
	case Mermaid, DOT:
		return f, nil
	}
	return "", fmt.Errorf("unknown graph format %q; use mermaid or dot", s)
}

// WriteGraph prints the workflow's static graph (the same edges as the
// generated Graph variable) in the given format. Edges point from a task
// to the tasks that depend on it, the direction in which work flows.
// Tasks, and the edges into each, come in topological order, ties broken
// by id. An edge is labelled with the context keys that flow along it
// (Workflow.EdgeKeys), as Mermaid's -->|keys| and DOT's label.
func (w *Workflow) WriteGraph(out io.Writer, format GraphFormat) error {
	var b strings.Builder
	tasks := w.topological()
	var edges []Edge
	for _, t := range tasks {
		for _, d := range t.Deps {
			edges = append(edges, Edge{From: d, To: t.ID})
		}
	}
	switch format {
	case Mermaid:
		fmt.Fprintf(&b, "%%%% workflow %s, version %s\n", w.Name, w.Version)
		b.WriteString("flowchart TD\n")
		ids := mermaidIDs(w)
		for _, t := range tasks {
			if ids[t.ID] == t.ID {
				fmt.Fprintf(&b, "    %s\n", t.ID)
			} else {
				fmt.Fprintf(&b, "    %s[%s]\n", ids[t.ID], strconv.Quote(t.ID))
			}
		}
		for _, e := range edges {
			if keys := w.EdgeKeys[e]; len(keys) > 0 {
				fmt.Fprintf(&b, "    %s -->|%s| %s\n", ids[e.From], mermaidLabel(keys), ids[e.To])
			} else {
				fmt.Fprintf(&b, "    %s --> %s\n", ids[e.From], ids[e.To])
			}
		}
	case DOT:
		fmt.Fprintf(&b, "// workflow %s, version %s\n", w.Name, w.Version)
		fmt.Fprintf(&b, "digraph %s {\n", strconv.Quote(w.Name))
		for _, t := range tasks {
			fmt.Fprintf(&b, "\t%s;\n", strconv.Quote(t.ID))
		}
		for _, e := range edges {
			if keys := w.EdgeKeys[e]; len(keys) > 0 {
				fmt.Fprintf(&b, "\t%s -> %s [label=%s];\n", strconv.Quote(e.From), strconv.Quote(e.To), strconv.Quote(strings.Join(keys, ", ")))
			} else {
				fmt.Fprintf(&b, "\t%s -> %s;\n", strconv.Quote(e.From), strconv.Quote(e.To))
			}
		}
		b.WriteString("}\n")
	default:
		return fmt.Errorf("unknown graph format %q; use mermaid or dot", format)
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// mermaidLabel renders keys as an edge label: quoted, since a key may
// hold characters Mermaid reads as syntax, with quotes as entities.
func mermaidLabel(keys []string) string {
	return `"` + strings.ReplaceAll(strings.Join(keys, ", "), `"`, "#quot;") + `"`
}

var mermaidPlain = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// mermaidReserved are words Mermaid reads as syntax in a flowchart.
var mermaidReserved = map[string]bool{
	"end": true, "graph": true, "flowchart": true, "subgraph": true, "style": true,
	"classdef": true, "class": true, "click": true, "linkstyle": true, "direction": true,
	"default": true, "call": true, "href": true,
}

// mermaidIDs maps task ids to Mermaid node ids: the task id itself when
// Mermaid reads it as a plain name, otherwise t<n> with the id as label.
func mermaidIDs(w *Workflow) map[string]string {
	ids := make(map[string]string, len(w.Tasks))
	for i, t := range w.Tasks {
		if mermaidPlain.MatchString(t.ID) && !mermaidReserved[strings.ToLower(t.ID)] {
			ids[t.ID] = t.ID
		} else {
			ids[t.ID] = fmt.Sprintf("task%d", i)
		}
	}
	// A generated name could equal a plain task id; fall back to numbering
	// everything when it does.
	seen := map[string]bool{}
	for _, v := range ids {
		if seen[v] {
			for i, t := range w.Tasks {
				ids[t.ID] = fmt.Sprintf("task%d", i)
			}
			break
		}
		seen[v] = true
	}
	return ids
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
