// Package graphtext prints a workflow's task graph as Mermaid or DOT, the
// one way the generator's -graph and the cloacina command draw it.
package graphtext

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Format names a text format for a graph.
type Format string

// The formats of Write.
const (
	Mermaid Format = "mermaid"
	DOT     Format = "dot"
)

// ParseFormat returns the format with the given name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Mermaid, DOT:
		return f, nil
	}
	return "", fmt.Errorf("unknown graph format %q; use mermaid or dot", s)
}

// Node is a task of a graph with the ids of its dependencies, in declared
// order.
type Node struct {
	ID   string
	Deps []string
}

// Graph is what Write prints.
type Graph struct {
	Name, Version string
	// Nodes in the order to print them: every node after its dependencies.
	Nodes []Node
	// Labels, when set, returns the label of the edge from a task to one
	// that depends on it (the context keys flowing along it); nil or empty
	// for none.
	Labels func(from, to string) []string
}

// Write prints g in the given format. Edges point from a task to the
// tasks that depend on it, the direction in which work flows; the edges
// into each task come in its order, after every node.
func Write(out io.Writer, format Format, g Graph) error {
	var b strings.Builder
	label := func(from, to string) []string {
		if g.Labels == nil {
			return nil
		}
		return g.Labels(from, to)
	}
	switch format {
	case Mermaid:
		fmt.Fprintf(&b, "%%%% workflow %s, version %s\n", g.Name, g.Version)
		b.WriteString("flowchart TD\n")
		ids := mermaidIDs(g.Nodes)
		for i, n := range g.Nodes {
			if ids[i] == n.ID {
				fmt.Fprintf(&b, "    %s\n", n.ID)
			} else {
				fmt.Fprintf(&b, "    %s[%s]\n", ids[i], strconv.Quote(n.ID))
			}
		}
		byID := make(map[string]string, len(g.Nodes))
		for i, n := range g.Nodes {
			byID[n.ID] = ids[i]
		}
		for i, n := range g.Nodes {
			for _, d := range n.Deps {
				if keys := label(d, n.ID); len(keys) > 0 {
					fmt.Fprintf(&b, "    %s -->|%s| %s\n", byID[d], mermaidLabel(keys), ids[i])
				} else {
					fmt.Fprintf(&b, "    %s --> %s\n", byID[d], ids[i])
				}
			}
		}
	case DOT:
		fmt.Fprintf(&b, "// workflow %s, version %s\n", g.Name, g.Version)
		fmt.Fprintf(&b, "digraph %s {\n", strconv.Quote(g.Name))
		for _, n := range g.Nodes {
			fmt.Fprintf(&b, "\t%s;\n", strconv.Quote(n.ID))
		}
		for _, n := range g.Nodes {
			for _, d := range n.Deps {
				if keys := label(d, n.ID); len(keys) > 0 {
					fmt.Fprintf(&b, "\t%s -> %s [label=%s];\n", strconv.Quote(d), strconv.Quote(n.ID), strconv.Quote(strings.Join(keys, ", ")))
				} else {
					fmt.Fprintf(&b, "\t%s -> %s;\n", strconv.Quote(d), strconv.Quote(n.ID))
				}
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

// mermaidIDs names each node for Mermaid: its id when Mermaid reads it as
// a plain name, otherwise task<n> (labelled with the id), never equal to
// another node's name.
func mermaidIDs(nodes []Node) []string {
	ids := make([]string, len(nodes))
	used := map[string]bool{}
	for i, n := range nodes {
		if mermaidPlain.MatchString(n.ID) && !mermaidReserved[strings.ToLower(n.ID)] {
			ids[i] = n.ID
			used[n.ID] = true
		}
	}
	for i := range nodes {
		if ids[i] != "" {
			continue
		}
		k := i
		for used[fmt.Sprintf("task%d", k)] {
			k += len(nodes)
		}
		ids[i] = fmt.Sprintf("task%d", k)
		used[ids[i]] = true
	}
	return ids
}
