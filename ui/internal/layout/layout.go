// Package layout places the tasks of a workflow for drawing: a layered
// (Sugiyama-style) layout computed in Go, left to right.
//
// Each task goes in the layer after its deepest dependency (longest-path
// layering), so every edge points right. Edges spanning several layers are
// routed through invisible points, one per layer crossed. The order within
// each layer is improved by alternating sweeps that sort nodes by the
// barycentre of their neighbours in the layer before (or after), keeping the
// order with the fewest crossings, counted exactly. The work is
// O(sweeps × E log E) for E edge segments, so a workflow of thousands of
// tasks is laid out in milliseconds.
//
// The package knows nothing of tasks beyond their ids and dependencies.
package layout

import (
	"cmp"
	"slices"
)

// Node is one task to place: its id and the ids it depends on. A
// dependency that names no node is ignored.
type Node struct {
	ID   string
	Deps []string
}

// Point is a position in the drawing's coordinates (pixels, y down).
type Point struct{ X, Y float64 }

// Placed is a node with its box: X, Y is its top-left corner.
type Placed struct {
	ID           string
	Layer, Order int
	X, Y, W, H   float64
}

// Edge runs from a dependency to its dependent through Points: the right
// middle of the first, any bend points, and the left middle of the second.
type Edge struct {
	From, To string
	Points   []Point
}

// Options sizes the drawing; zero fields take the defaults shown.
type Options struct {
	NodeWidth, NodeHeight float64 // 160 × 36
	LayerGap, RowGap      float64 // 60 between layers, 14 between rows
	Sweeps                int     // 8 ordering sweeps
}

// Layout is a placed graph.
type Layout struct {
	Width, Height float64
	// Nodes are in the order given to Compute.
	Nodes []Placed
	Edges []Edge
	// Layers is the number of layers; Crossings the edge crossings left.
	Layers, Crossings int
}

// slot is a node or a bend point in one layer.
type slot struct {
	node  int // index into the input, or -1 for a bend point
	layer int
	order int
	bary  float64
	up    []int // slots in the previous layer linked to this one
	down  []int // slots in the next layer
}

// Compute lays out nodes. A cycle cannot occur in a validated workflow;
// if one does, the nodes on it are put after the others rather than
// rejected, so a drawing is always produced.
func Compute(nodes []Node, o Options) *Layout {
	o.NodeWidth = cmp.Or(o.NodeWidth, 160)
	o.NodeHeight = cmp.Or(o.NodeHeight, 36)
	o.LayerGap = cmp.Or(o.LayerGap, 60)
	o.RowGap = cmp.Or(o.RowGap, 14)
	o.Sweeps = cmp.Or(o.Sweeps, 8)

	index := make(map[string]int, len(nodes))
	for i, n := range nodes {
		if _, dup := index[n.ID]; !dup {
			index[n.ID] = i
		}
	}
	deps := make([][]int, len(nodes))
	for i, n := range nodes {
		for _, d := range n.Deps {
			if j, ok := index[d]; ok && j != i && !slices.Contains(deps[i], j) {
				deps[i] = append(deps[i], j)
			}
		}
	}
	layer := layers(deps)

	// Slots: the nodes, then one bend point per layer crossed by a long edge.
	slots := make([]*slot, len(nodes))
	nLayers := 0
	for i := range nodes {
		slots[i] = &slot{node: i, layer: layer[i]}
		nLayers = max(nLayers, layer[i]+1)
	}
	type route struct {
		from, to int
		path     []int
	}
	var routes []route
	for i := range nodes {
		for _, d := range deps[i] {
			path := []int{d}
			prev := d
			for l := layer[d] + 1; l < layer[i]; l++ {
				s := &slot{node: -1, layer: l}
				slots = append(slots, s)
				k := len(slots) - 1
				slots[prev].down = append(slots[prev].down, k)
				s.up = append(s.up, prev)
				path = append(path, k)
				prev = k
			}
			slots[prev].down = append(slots[prev].down, i)
			slots[i].up = append(slots[i].up, prev)
			routes = append(routes, route{from: d, to: i, path: append(path, i)})
		}
	}
	byLayer := make([][]int, nLayers)
	for k, s := range slots {
		byLayer[s.layer] = append(byLayer[s.layer], k)
	}
	for _, ks := range byLayer {
		for o, k := range ks {
			slots[k].order = o
		}
	}

	best := crossings(slots, byLayer)
	bestOrder := snapshot(byLayer)
	for sweep := 0; sweep < o.Sweeps && best > 0; sweep++ {
		if sweep%2 == 0 {
			for l := 1; l < nLayers; l++ {
				reorder(slots, byLayer[l], func(s *slot) []int { return s.up })
			}
		} else {
			for l := nLayers - 2; l >= 0; l-- {
				reorder(slots, byLayer[l], func(s *slot) []int { return s.down })
			}
		}
		if c := crossings(slots, byLayer); c < best {
			best, bestOrder = c, snapshot(byLayer)
		}
	}
	byLayer = bestOrder
	for _, ks := range byLayer {
		for o, k := range ks {
			slots[k].order = o
		}
	}

	// Coordinates: layers left to right, each layer centred vertically.
	rows := 0
	for _, ks := range byLayer {
		rows = max(rows, len(ks))
	}
	rowH := o.NodeHeight + o.RowGap
	out := &Layout{Layers: nLayers, Crossings: best}
	out.Width = float64(nLayers)*(o.NodeWidth+o.LayerGap) - o.LayerGap
	out.Height = float64(rows)*rowH - o.RowGap
	out.Width, out.Height = max(out.Width, 0), max(out.Height, 0)
	pos := func(k int) (x, y float64) {
		s := slots[k]
		offset := float64(rows-len(byLayer[s.layer])) * rowH / 2
		return float64(s.layer) * (o.NodeWidth + o.LayerGap), offset + float64(s.order)*rowH
	}
	out.Nodes = make([]Placed, len(nodes))
	for i, n := range nodes {
		x, y := pos(i)
		out.Nodes[i] = Placed{ID: n.ID, Layer: layer[i], Order: slots[i].order, X: x, Y: y, W: o.NodeWidth, H: o.NodeHeight}
	}
	for _, r := range routes {
		e := Edge{From: nodes[r.from].ID, To: nodes[r.to].ID}
		for j, k := range r.path {
			x, y := pos(k)
			y += o.NodeHeight / 2
			switch {
			case j == 0:
				e.Points = append(e.Points, Point{x + o.NodeWidth, y})
			case j == len(r.path)-1:
				e.Points = append(e.Points, Point{x, y})
			default: // a bend point crosses its layer's width
				e.Points = append(e.Points, Point{x, y}, Point{x + o.NodeWidth, y})
			}
		}
		out.Edges = append(out.Edges, e)
	}
	return out
}

// layers returns each node's longest-path layer: 0 for roots, otherwise one
// more than its deepest dependency. Nodes on a cycle go after the rest.
func layers(deps [][]int) []int {
	n := len(deps)
	layer := make([]int, n)
	pending := make([]int, n)
	dependents := make([][]int, n)
	for i, ds := range deps {
		pending[i] = len(ds)
		for _, d := range ds {
			dependents[d] = append(dependents[d], i)
		}
	}
	queue := make([]int, 0, n)
	for i := range n {
		if pending[i] == 0 {
			queue = append(queue, i)
		}
	}
	done := make([]bool, n)
	deepest := 0
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		done[i] = true
		deepest = max(deepest, layer[i])
		for _, j := range dependents[i] {
			layer[j] = max(layer[j], layer[i]+1)
			if pending[j]--; pending[j] == 0 {
				queue = append(queue, j)
			}
		}
	}
	for i := range n {
		if !done[i] {
			layer[i] = deepest + 1
		}
	}
	return layer
}

// reorder sorts one layer by the barycentre of each slot's neighbours
// (their order in the adjacent layer); a slot without neighbours keeps
// its place.
func reorder(slots []*slot, ks []int, neighbours func(*slot) []int) {
	for _, k := range ks {
		s := slots[k]
		nb := neighbours(s)
		if len(nb) == 0 {
			s.bary = float64(s.order)
			continue
		}
		sum := 0
		for _, j := range nb {
			sum += slots[j].order
		}
		s.bary = float64(sum) / float64(len(nb))
	}
	slices.SortStableFunc(ks, func(a, b int) int { return cmp.Compare(slots[a].bary, slots[b].bary) })
	for o, k := range ks {
		slots[k].order = o
	}
}

// crossings counts the crossings between every pair of adjacent layers:
// with the segments sorted by their left end, the inversions among their
// right ends, counted by merge sort.
func crossings(slots []*slot, byLayer [][]int) int {
	total := 0
	var ends []int
	for l := 0; l+1 < len(byLayer); l++ {
		ends = ends[:0]
		ks := slices.Clone(byLayer[l])
		slices.SortFunc(ks, func(a, b int) int { return cmp.Compare(slots[a].order, slots[b].order) })
		for _, k := range ks {
			first := len(ends)
			for _, j := range slots[k].down {
				ends = append(ends, slots[j].order)
			}
			slices.Sort(ends[first:])
		}
		total += inversions(ends, make([]int, len(ends)))
	}
	return total
}

func inversions(a, buf []int) int {
	if len(a) < 2 {
		return 0
	}
	m := len(a) / 2
	n := inversions(a[:m], buf[:m]) + inversions(a[m:], buf[m:])
	i, j, k := 0, m, 0
	for i < m && j < len(a) {
		if a[j] < a[i] {
			n += m - i
			buf[k] = a[j]
			j++
		} else {
			buf[k] = a[i]
			i++
		}
		k++
	}
	k += copy(buf[k:], a[i:m])
	copy(buf[k:], a[j:])
	copy(a, buf[:len(a)])
	return n
}

func snapshot(byLayer [][]int) [][]int {
	out := make([][]int, len(byLayer))
	for i, ks := range byLayer {
		out[i] = slices.Clone(ks)
	}
	return out
}
