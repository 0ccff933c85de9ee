// Package dag holds the graph algorithms shared by the generator and the
// runtime: validation of a task graph (duplicates, missing dependencies,
// cycles), topological order and levels, and ancestor queries, including
// the rule that a trigger rule may only name tasks upstream of its own
// (Reach.Relation).
//
// It is a leaf package: it knows nothing of tasks beyond their ids and the
// ids they depend on, and reports problems as typed values so each caller can
// phrase them (the generator with source positions, the runtime with
// *runtime.ValidationError).
package dag

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cloacina-go/cloacina/internal/suggest"
)

// Node is one vertex: an id and the ids it depends on, in declared order.
type Node struct {
	ID   string
	Deps []string
}

// Kind classifies a Problem.
type Kind int

const (
	// Empty means the graph has no nodes.
	Empty Kind = iota + 1
	// Duplicate means two nodes share an id.
	Duplicate
	// MissingDependency means a node depends on an id that is not in the graph.
	MissingDependency
	// DuplicateDependency means a node lists the same dependency twice.
	DuplicateDependency
	// Cycle means the dependencies loop back on themselves.
	Cycle
)

// String returns the kind's name in snake_case, as used in messages and tests.
func (k Kind) String() string {
	switch k {
	case Empty:
		return "empty"
	case Duplicate:
		return "duplicate"
	case MissingDependency:
		return "missing_dependency"
	case DuplicateDependency:
		return "duplicate_dependency"
	case Cycle:
		return "cycle"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Problem is one thing wrong with a graph.
type Problem struct {
	Kind Kind
	// Node is the id the problem is about: the duplicated id, the node with
	// the missing or repeated dependency, or the first member of a cycle.
	Node string
	// Index is the position in the input of the node the problem is reported
	// at (for Duplicate, the second occurrence); -1 for Empty.
	Index int
	// FirstIndex is, for Duplicate, the position of the first occurrence.
	FirstIndex int
	// Dep is the missing or repeated dependency id.
	Dep string
	// Suggestions are the known ids close to a missing dependency.
	Suggestions []string
	// Path is, for Cycle, the ids around the loop starting and ending with
	// Node: [a b c a].
	Path []string
}

// Message describes the problem in the project's error style, without
// position or workflow prefix: `cycle: a -> b -> c -> a`.
func (p Problem) Message() string {
	switch p.Kind {
	case Empty:
		return "workflow has no tasks"
	case Duplicate:
		return fmt.Sprintf("duplicate task id %q", p.Node)
	case MissingDependency:
		msg := fmt.Sprintf("task %q depends on unknown task %q", p.Node, p.Dep)
		if len(p.Suggestions) > 0 {
			msg += fmt.Sprintf("; did you mean %q?", p.Suggestions[0])
		}
		return msg
	case DuplicateDependency:
		return fmt.Sprintf("task %q lists dependency %q more than once", p.Node, p.Dep)
	case Cycle:
		return "cycle: " + strings.Join(p.Path, " -> ")
	}
	return p.Kind.String()
}

// Graph is a validated, acyclic graph with its topological order and levels
// computed once. It is immutable and safe for concurrent use. Its ancestor
// queries are those of the embedded Reach.
type Graph struct {
	Reach
	dependents [][]int // input index -> dependent indices, input order
	order      []int   // topological order (stable: input order among ready nodes)
	levels     [][]int // level k holds nodes whose longest path from a root has k edges
	level      []int   // input index -> level
}

// Check returns every problem with nodes, in a deterministic order:
// emptiness, duplicates and dependency problems in input order, then one
// cycle per strongly connected component, ordered by the input position of
// its first member. A nil result means Build will succeed.
func Check(nodes []Node) []Problem {
	if len(nodes) == 0 {
		return []Problem{{Kind: Empty, Index: -1, FirstIndex: -1}}
	}
	var probs []Problem
	index := make(map[string]int, len(nodes))
	ids := make([]string, 0, len(nodes))
	for i, n := range nodes {
		if first, ok := index[n.ID]; ok {
			probs = append(probs, Problem{Kind: Duplicate, Node: n.ID, Index: i, FirstIndex: first})
			continue
		}
		index[n.ID] = i
		ids = append(ids, n.ID)
	}
	for i, n := range nodes {
		seen := make(map[string]bool, len(n.Deps))
		for _, d := range n.Deps {
			if seen[d] {
				probs = append(probs, Problem{Kind: DuplicateDependency, Node: n.ID, Index: i, FirstIndex: -1, Dep: d})
				continue
			}
			seen[d] = true
			if _, ok := index[d]; !ok {
				probs = append(probs, Problem{
					Kind: MissingDependency, Node: n.ID, Index: i, FirstIndex: -1, Dep: d,
					Suggestions: suggest.Closest(d, ids),
				})
			}
		}
	}
	probs = append(probs, cycles(nodes, index)...)
	return probs
}

// cycles finds the strongly connected components that contain a loop and
// returns one cycle path for each. Edges to unknown or duplicate ids are
// ignored (they are reported separately).
func cycles(nodes []Node, index map[string]int) []Problem {
	n := len(nodes)
	adj := make([][]int, n)
	for i, nd := range nodes {
		if index[nd.ID] != i {
			continue // a duplicate: only the first occurrence takes part
		}
		for _, d := range nd.Deps {
			if j, ok := index[d]; ok {
				adj[i] = append(adj[i], j)
			}
		}
	}
	comp := tarjan(adj)
	// Group members per component, keeping input order.
	members := map[int][]int{}
	var compOrder []int
	for i := 0; i < n; i++ {
		if comp[i] < 0 {
			continue
		}
		c := comp[i]
		if _, ok := members[c]; !ok {
			compOrder = append(compOrder, c)
		}
		members[c] = append(members[c], i)
	}
	var probs []Problem
	for _, c := range compOrder {
		m := members[c]
		start := m[0]
		selfLoop := false
		for _, j := range adj[start] {
			if j == start {
				selfLoop = true
			}
		}
		if len(m) == 1 && !selfLoop {
			continue
		}
		path := cyclePath(start, adj, comp)
		names := make([]string, len(path))
		for k, p := range path {
			names[k] = nodes[p].ID
		}
		probs = append(probs, Problem{Kind: Cycle, Node: nodes[start].ID, Index: start, FirstIndex: -1, Path: names})
	}
	return probs
}

// cyclePath returns a shortest loop from start back to start inside start's
// component, found by breadth-first search over dependency edges in declared
// order, so the path is deterministic: [start, ..., start].
func cyclePath(start int, adj [][]int, comp []int) []int {
	prev := map[int]int{}
	queue := []int{start}
	visited := map[int]bool{}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, v := range adj[u] {
			if comp[v] != comp[start] {
				continue
			}
			if v == start {
				path := []int{start}
				for w := u; w != start; w = prev[w] {
					path = append(path, w)
				}
				// path is start, u, prev(u), ... ; the loop in dependency
				// direction is start -> ... -> u -> start, so reverse the tail.
				tail := path[1:]
				for i, j := 0, len(tail)-1; i < j; i, j = i+1, j-1 {
					tail[i], tail[j] = tail[j], tail[i]
				}
				return append(path, start)
			}
			if !visited[v] {
				visited[v] = true
				prev[v] = u
				queue = append(queue, v)
			}
		}
	}
	return []int{start, start}
}

// tarjan labels each node with its strongly connected component id. It is
// iterative so deep graphs cannot overflow the goroutine stack.
func tarjan(adj [][]int) []int {
	n := len(adj)
	idx := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	comp := make([]int, n)
	for i := range idx {
		idx[i] = -1
		comp[i] = -1
	}
	var stack []int
	next, compID := 0, 0
	type frame struct{ v, e int }
	for root := 0; root < n; root++ {
		if idx[root] >= 0 {
			continue
		}
		call := []frame{{root, 0}}
		idx[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.e < len(adj[f.v]) {
				w := adj[f.v][f.e]
				f.e++
				if idx[w] < 0 {
					idx[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] {
					low[f.v] = min(low[f.v], idx[w])
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] == idx[v] {
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = compID
					if w == v {
						break
					}
				}
				compID++
			}
		}
	}
	return comp
}

// Build validates nodes and returns the graph, or an *Error holding every
// problem Check finds.
func Build(nodes []Node) (*Graph, error) {
	if probs := Check(nodes); len(probs) > 0 {
		return nil, &Error{Problems: probs}
	}
	g := &Graph{
		Reach:      *NewReach(nodes),
		dependents: make([][]int, len(nodes)),
		level:      make([]int, len(nodes)),
	}
	for i := range nodes {
		for _, j := range g.deps[i] {
			g.dependents[j] = append(g.dependents[j], i)
		}
	}
	// Kahn's algorithm; among ready nodes, lower input index first.
	indeg := make([]int, len(nodes))
	for i := range nodes {
		indeg[i] = len(g.deps[i])
	}
	ready := &intHeap{}
	for i, d := range indeg {
		if d == 0 {
			ready.push(i)
		}
	}
	for ready.len() > 0 {
		u := ready.pop()
		g.order = append(g.order, u)
		for _, v := range g.dependents[u] {
			g.level[v] = max(g.level[v], g.level[u]+1)
			indeg[v]--
			if indeg[v] == 0 {
				ready.push(v)
			}
		}
	}
	for _, u := range g.order {
		for len(g.levels) <= g.level[u] {
			g.levels = append(g.levels, nil)
		}
		g.levels[g.level[u]] = append(g.levels[g.level[u]], u)
	}
	for _, l := range g.levels {
		sort.Ints(l)
	}
	return g, nil
}

// Error is returned by Build when the graph is invalid.
type Error struct {
	Problems []Problem
}

// Error joins the problems' messages, one per line.
func (e *Error) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message()
	}
	return strings.Join(msgs, "\n")
}

// Dependents returns the input indices of the nodes that depend on node i, in
// input order. The slice must not be modified.
func (g *Graph) Dependents(i int) []int { return g.dependents[i] }

// Order returns the input indices in topological order: every node after its
// dependencies, ties broken by input order. The slice must not be modified.
func (g *Graph) Order() []int { return g.order }

// Levels groups input indices by depth: level 0 holds the roots, level k the
// nodes whose longest dependency chain from a root has k edges. The slices
// must not be modified.
func (g *Graph) Levels() [][]int { return g.levels }

// Level returns node i's depth (see Levels).
func (g *Graph) Level(i int) int { return g.level[i] }

// Roots returns the nodes without dependencies, in input order.
func (g *Graph) Roots() []int { return g.levels[0] }

// Leaves returns the nodes no other node depends on, in input order.
func (g *Graph) Leaves() []int {
	var out []int
	for i := range g.ids {
		if len(g.dependents[i]) == 0 {
			out = append(out, i)
		}
	}
	return out
}

// Reach answers ancestor queries. It is part of every Graph, and NewReach
// builds one over nodes that need not form a valid graph, so that the
// generator can check trigger rules while it reports the graph's other
// problems: dependencies on unknown ids are not followed, a duplicated id
// stands for its first node, and on a cycle each member is upstream of the
// others but never of itself.
type Reach struct {
	ids   []string       // input order
	index map[string]int // id -> input index of its first node
	deps  [][]int        // input index -> indices of its known dependencies, declared order
}

// NewReach indexes nodes for ancestor queries.
func NewReach(nodes []Node) *Reach {
	r := &Reach{
		ids:   make([]string, len(nodes)),
		index: make(map[string]int, len(nodes)),
		deps:  make([][]int, len(nodes)),
	}
	for i, n := range nodes {
		r.ids[i] = n.ID
		if _, dup := r.index[n.ID]; !dup {
			r.index[n.ID] = i
		}
	}
	for i, n := range nodes {
		for _, d := range n.Deps {
			if j, ok := r.index[d]; ok {
				r.deps[i] = append(r.deps[i], j)
			}
		}
	}
	return r
}

// Len returns the number of nodes.
func (r *Reach) Len() int { return len(r.ids) }

// ID returns the id of the node at input index i.
func (r *Reach) ID(i int) string { return r.ids[i] }

// Index returns the input index of id (of its first node, if duplicated).
func (r *Reach) Index(id string) (int, bool) {
	i, ok := r.index[id]
	return i, ok
}

// Deps returns the input indices of node i's dependencies in declared order.
// The slice must not be modified.
func (r *Reach) Deps(i int) []int { return r.deps[i] }

// Ancestors reports, for node i, every node it depends on directly or
// transitively, as a set of input indices. Node i itself is never in it.
func (r *Reach) Ancestors(i int) map[int]bool {
	out := map[int]bool{}
	stack := append([]int(nil), r.deps[i]...)
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if out[u] || u == i {
			continue
		}
		out[u] = true
		stack = append(stack, r.deps[u]...)
	}
	return out
}

// AncestorIDs returns the ids of node i's ancestors, sorted, each once.
func (r *Reach) AncestorIDs(i int) []string {
	seen := map[string]bool{}
	var ids []string
	for j := range r.Ancestors(i) {
		if id := r.ids[j]; !seen[id] && id != r.ids[i] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Relation is how the node an id names stands to a node that refers to it,
// as a trigger rule of a task refers to other tasks.
type Relation int

const (
	// Upstream: the id names an ancestor, which is what a trigger rule may
	// name.
	Upstream Relation = iota + 1
	// Self: the id is the referring node's own.
	Self
	// Unknown: no node has the id.
	Unknown
	// NotUpstream: the id names a node the referring node does not depend
	// on, directly or not.
	NotUpstream
)

// String returns the relation's name in snake_case.
func (rel Relation) String() string {
	switch rel {
	case Upstream:
		return "upstream"
	case Self:
		return "self"
	case Unknown:
		return "unknown"
	case NotUpstream:
		return "not_upstream"
	}
	return fmt.Sprintf("Relation(%d)", int(rel))
}

// Relation tells how the node named id stands to node i. A trigger rule of
// task i may only name ids for which it returns Upstream.
func (r *Reach) Relation(i int, id string) Relation {
	j, ok := r.index[id]
	switch {
	case id == r.ids[i]:
		return Self
	case !ok:
		return Unknown
	case r.Ancestors(i)[j]:
		return Upstream
	}
	return NotUpstream
}

// intHeap is a min-heap of ints, used to keep topological order stable.
type intHeap struct{ a []int }

func (h *intHeap) len() int { return len(h.a) }

func (h *intHeap) push(x int) {
	h.a = append(h.a, x)
	i := len(h.a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h.a[p] <= h.a[i] {
			break
		}
		h.a[p], h.a[i] = h.a[i], h.a[p]
		i = p
	}
}

func (h *intHeap) pop() int {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h.a) && h.a[l] < h.a[m] {
			m = l
		}
		if r < len(h.a) && h.a[r] < h.a[m] {
			m = r
		}
		if m == i {
			return top
		}
		h.a[i], h.a[m] = h.a[m], h.a[i]
		i = m
	}
}
