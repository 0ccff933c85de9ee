package gen

import (
	"fmt"
	"go/types"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/cloacina-go/cloacina/annotations"
	"github.com/cloacina-go/cloacina/internal/dag"
	"github.com/cloacina-go/cloacina/internal/spec"
	"github.com/cloacina-go/cloacina/internal/suggest"
)

// This file checks the data flow of a workflow whose graph is valid: every
// key a task reads is written upstream or is an input, with a type that
// can decode what is written (see the package doc, "Data flow").

// bitset is a set of task indices.
type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}

// keyWrite is a write of a key by task index task.
type keyWrite struct {
	task int
	a    *access
}

// flowCheck is the data-flow check of one workflow.
type flowCheck struct {
	s      *pkgState
	w      *wfTasks
	tasks  []*annotations.Task
	index  map[string]int
	deps   [][]int
	anc    []bitset // anc[i]: the ancestors of task i
	flows  []*taskFlow
	writes map[string][]keyWrite // by key, in task order
	inputs map[string]annotations.ContextKey
	dyn    bitset // tasks that may write keys the generator cannot see
	// partial holds the tasks with a dependency the workflow lacks
	// (reported already): what reaches them is unknown, so the keys they
	// and their dependents read are not reported missing on top of it.
	partial bitset
}

// checkFlow runs the data-flow check on a workflow and records the keys
// that flow along each edge for the graph. It runs on graphs with problems
// too, so that all errors are reported at once, but not on a package that
// does not type-check, whose types it cannot trust.
func (s *pkgState) checkFlow(w *wfTasks, nodes []dag.Node) {
	if s.p.TypesInfo == nil || s.broken {
		return
	}
	n := len(w.tasks)
	c := &flowCheck{s: s, w: w, tasks: w.tasks, index: make(map[string]int, n), deps: make([][]int, n),
		anc: make([]bitset, n), flows: make([]*taskFlow, n), writes: map[string][]keyWrite{},
		inputs: map[string]annotations.ContextKey{}, dyn: newBitset(n), partial: newBitset(n)}
	for i, t := range w.tasks {
		if _, dup := c.index[t.ID]; !dup {
			c.index[t.ID] = i
		}
	}
	for i, t := range w.tasks {
		for _, d := range t.Deps {
			if j, ok := c.index[d]; ok {
				c.deps[i] = append(c.deps[i], j)
			} else {
				c.partial.set(i)
			}
		}
	}
	if g, err := dag.Build(nodes); err == nil {
		for _, i := range g.Order() {
			a := newBitset(n)
			for _, d := range c.deps[i] {
				a.or(c.anc[d])
				a.set(d)
			}
			c.anc[i] = a
		}
	} else {
		// The graph has problems, reported already; check what can be
		// checked, with the ancestors dag.Reach finds despite them (on a
		// cycle, the members are upstream of each other).
		reach := dag.NewReach(nodes)
		for i := range w.tasks {
			a := newBitset(n)
			for j := range reach.Ancestors(i) {
				a.set(j)
			}
			c.anc[i] = a
		}
	}
	for _, k := range w.dir.Inputs {
		c.inputs[k.Name] = k
	}
	if len(w.schedules) > 0 || len(w.triggers) > 0 {
		// What a schedule or trigger adds to every input it starts.
		for _, name := range []string{spec.InputScheduledTime, spec.InputSchedule, spec.InputFireKind} {
			c.inputs[name] = annotations.ContextKey{Name: name, Type: annotations.TypeString, Pos: w.dir.Pos}
		}
	}
	for i, t := range w.tasks {
		f := s.taskFlow(t)
		c.flows[i] = f
		if f.dynamic(t) {
			c.dyn.set(i)
		}
		for _, a := range f.accesses {
			if a.op.writes() {
				c.writes[a.key] = append(c.writes[a.key], keyWrite{task: i, a: a})
			}
		}
	}
	for i := range w.tasks {
		c.checkTask(i)
	}
	c.checkMerges()
	if s.edgeKeys == nil {
		s.edgeKeys = map[string]map[Edge][]string{}
	}
	s.edgeKeys[w.dir.Name] = c.edgeKeys()
}

// upstream returns the writes of key by ancestors of task i.
func (c *flowCheck) upstream(i int, key string) []keyWrite {
	var out []keyWrite
	for _, w := range c.writes[key] {
		if c.anc[i].has(w.task) {
			out = append(out, w)
		}
	}
	return out
}

// latest keeps the writes that no other write of the list follows in the
// graph: the values task i can see.
func (c *flowCheck) latest(ws []keyWrite) []keyWrite {
	var out []keyWrite
	for _, w := range ws {
		shadowed := false
		for _, o := range ws {
			if o.task != w.task && c.anc[o.task].has(w.task) {
				shadowed = true
				break
			}
		}
		if !shadowed {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return ws // writers on a cycle shadow each other
	}
	return out
}

// dynamicUpstream reports whether task i or an ancestor may write keys the
// generator cannot see, or what reaches task i is unknown (see partial).
func (c *flowCheck) dynamicUpstream(i int, self bool) bool {
	if (self && c.dyn.has(i)) || c.partial.has(i) {
		return true
	}
	for j, wd := range c.dyn {
		if (wd|c.partial[j])&c.anc[i][j] != 0 {
			return true
		}
	}
	return false
}

// available returns the keys task i can read: written upstream (or by i
// itself when self), or inputs.
func (c *flowCheck) available(i int, self bool) []string {
	var keys []string
	for k, ws := range c.writes {
		for _, w := range ws {
			if c.anc[i].has(w.task) || (self && w.task == i) {
				keys = append(keys, k)
				break
			}
		}
	}
	for k := range c.inputs {
		if !contains(keys, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// path returns the tasks from ancestor a to task i along dependencies:
// "a -> b -> i".
func (c *flowCheck) path(a, i int) string {
	prev := map[int]int{i: -1}
	queue := []int{i}
	for len(queue) > 0 && func() bool { _, ok := prev[a]; return !ok }() {
		u := queue[0]
		queue = queue[1:]
		for _, d := range c.deps[u] {
			if _, seen := prev[d]; !seen && (d == a || c.anc[d].has(a)) {
				prev[d] = u
				queue = append(queue, d)
			}
		}
	}
	var ids []string
	for u := a; u != -1; u = prev[u] {
		ids = append(ids, c.tasks[u].ID)
		if len(ids) > len(c.tasks) {
			break
		}
	}
	return strings.Join(ids, " -> ")
}

// where describes the position of an access for a message: "at x.go:3:9",
// with the helper it is in.
func (c *flowCheck) where(a *access) string {
	s := "at " + c.s.l.at(a.pos)
	if len(a.via) > 0 {
		s += " in " + strings.Join(a.via, " -> ")
	}
	return s
}

func inHelper(a *access) string {
	if len(a.via) == 0 {
		return ""
	}
	return " (in " + strings.Join(a.via, " -> ") + ")"
}

func (c *flowCheck) checkTask(i int) {
	t, f := c.tasks[i], c.flows[i]
	name := c.w.dir.Name
	if len(f.unchecked) > 0 && t.Reads == nil && t.Writes == nil {
		more := ""
		if n := len(f.unchecked); n > 1 {
			more = fmt.Sprintf(" (and in %d more places)", n-1)
		}
		c.s.errs.note(SeverityNote, f.unchecked[0], UncheckedKey,
			"task %q %s%s; what it reads and writes there is not checked; declare it with reads= and writes= on its //cloacina:task",
			t.ID, f.uncheckedWhat, more)
	}
	reported := map[string]bool{}
	for _, a := range f.accesses {
		switch a.op {
		case opInsert:
			c.checkInsert(i, a)
			continue
		case opSet, opRemove, opHas:
			continue
		}
		// A read (Get, Raw, reads=) or an Update, which needs the key.
		if f.creates[a.key] || (f.writes[a.key] && a.op != opUpdate) {
			continue // the task reads (or updates) what it writes itself
		}
		ws := c.upstream(i, a.key)
		in, isInput := c.inputs[a.key]
		if len(ws) == 0 && !isInput {
			if a.op == opRaw || f.has[a.key] || c.dynamicUpstream(i, a.op != opUpdate) || reported[a.key+"@"+a.pos.String()] {
				continue
			}
			reported[a.key+"@"+a.pos.String()] = true
			c.missing(i, a)
			continue
		}
		if a.op == opUpdate || a.typ == nil {
			continue
		}
		for _, w := range c.latest(ws) {
			c.checkType(i, a, w)
		}
		if isInput && len(ws) == 0 {
			if m, bad := compatible(declaredType(in.Type), a.typ); bad {
				sev := SeverityError
				if m.warning {
					sev = SeverityWarning
				}
				c.s.errs.note(sev, a.pos, KeyType, "task %q reads input %q as %s%s, but workflow %q declares it %s (at %s): %s",
					t.ID, a.key, a.typeName, inHelper(a), name, in, c.s.l.at(in.Pos), m)
			}
		}
	}
	if t.Trigger != nil {
		walkRule(t.Trigger, func(r *annotations.Rule) {
			if r.Kind == annotations.RuleContextValue && len(r.Path) > 0 {
				c.checkRule(i, r)
			}
		})
	}
}

// missing reports a read of a key nothing upstream writes.
func (c *flowCheck) missing(i int, a *access) {
	t := c.tasks[i]
	avail := slices.DeleteFunc(c.available(i, true), func(k string) bool { return k == a.key })
	verb, consequence := "reads", "Get fails with ErrKeyNotFound"
	if a.op == opUpdate {
		verb, consequence = "updates", "Update fails with ErrKeyNotFound; use Set to create the key"
	}
	hint := suggest.DidYouMean(a.key, avail)
	// The list names what reaches the task (written upstream, or inputs);
	// the did-you-mean also considers the keys the task writes itself.
	reach := slices.DeleteFunc(c.available(i, false), func(k string) bool { return k == a.key })
	what := "keys available: none"
	if len(reach) > 0 {
		what = listIDs("keys available", reach)
	}
	ups := listIDs("upstream", ancestorIDs(c, i))
	msg := fmt.Sprintf("task %q %s key %q%s, which no task upstream writes and which is not an input of workflow %q (%s; %s)",
		t.ID, verb, a.key, inHelper(a), c.w.dir.Name, ups, what)
	if a.declared {
		msg = fmt.Sprintf("task %q declares reads=%s, but no task upstream writes %q and it is not an input of workflow %q (%s; %s)",
			t.ID, a.key, a.key, c.w.dir.Name, ups, what)
	} else {
		msg += "; " + consequence
	}
	if hint == "" && !c.w.dir.HasInputs && len(c.deps[i]) == 0 {
		hint = "; if the execution's input provides it, declare it with inputs=" + a.key + " on the //cloacina:workflow"
	}
	e := c.s.errs.note(SeverityError, a.pos, MissingKey, "%s%s", msg, hint)
	e.Fix = keyFix(c.s, a, avail)
}

// keyFix is the suggested fix of a misspelt key written as a literal.
func keyFix(s *pkgState, a *access, avail []string) *Fix {
	cands := suggest.Closest(a.key, avail)
	if a.lit == nil || len(cands) == 0 {
		return nil
	}
	return &Fix{
		Message: fmt.Sprintf("replace %q with %q", a.key, cands[0]),
		Pos:     s.l.fset.Position(a.lit.Pos()),
		End:     s.l.fset.Position(a.lit.End()),
		NewText: strconv.Quote(cands[0]),
	}
}

func ancestorIDs(c *flowCheck, i int) []string {
	var ids []string
	for j := range c.tasks {
		if c.anc[i].has(j) {
			ids = append(ids, c.tasks[j].ID)
		}
	}
	return ids
}

// checkType reports a read whose type cannot decode what w writes.
func (c *flowCheck) checkType(i int, a *access, w keyWrite) {
	if w.a.typ == nil {
		return
	}
	m, bad := compatible(w.a.typ, a.typ)
	if !bad {
		return
	}
	sev := SeverityError
	if m.warning {
		sev = SeverityWarning
	}
	c.s.errs.note(sev, a.pos, KeyType, "task %q reads key %q as %s%s, but task %q writes it as %s (%s; path %s): %s",
		c.tasks[i].ID, a.key, a.typeName, inHelper(a), c.tasks[w.task].ID, w.a.typeName, c.where(w.a), c.path(w.task, i), m)
}

// checkInsert reports an Insert of a key an ancestor already wrote.
func (c *flowCheck) checkInsert(i int, a *access) {
	ws := c.upstream(i, a.key)
	if len(ws) == 0 {
		return
	}
	for j, f := range c.flows {
		if c.anc[i].has(j) {
			for _, o := range f.accesses {
				if o.op == opRemove && o.key == a.key {
					return // removed on the way: not certain
				}
			}
		}
	}
	w := c.latest(ws)[0]
	c.s.errs.note(SeverityError, a.pos, KeyExists,
		"task %q inserts key %q%s, which task %q upstream already writes (%s; path %s): Insert fails with ErrKeyExists; use Set, or Update to replace the value",
		c.tasks[i].ID, a.key, inHelper(a), c.tasks[w.task].ID, c.where(w.a), c.path(w.task, i))
}

// maxMergePairs bounds the pairs of writes of one key compared for merges.
const maxMergePairs = 64

// checkMerges reports keys that parallel branches write with incompatible
// types, at each task that merges the branches.
func (c *flowCheck) checkMerges() {
	keys := make([]string, 0, len(c.writes))
	for k := range c.writes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ws := c.writes[k]
		groups := map[string][]keyWrite{}
		var names []string
		for _, w := range ws {
			if w.a.typ == nil {
				continue
			}
			n := types.TypeString(w.a.typ, nil)
			if _, ok := groups[n]; !ok {
				names = append(names, n)
			}
			groups[n] = append(groups[n], w)
		}
		if len(names) < 2 {
			continue
		}
		pairs := 0
		done := map[int]bool{}
		for x := 0; x < len(names); x++ {
			for y := x + 1; y < len(names); y++ {
				for _, a := range groups[names[x]] {
					for _, b := range groups[names[y]] {
						if pairs++; pairs > maxMergePairs {
							return
						}
						c.checkMergePair(k, a, b, done)
					}
				}
			}
		}
	}
}

func (c *flowCheck) checkMergePair(key string, a, b keyWrite, done map[int]bool) {
	if a.task == b.task || c.anc[a.task].has(b.task) || c.anc[b.task].has(a.task) {
		return
	}
	m, bad := compatible(a.a.typ, b.a.typ)
	if !bad || m.warning {
		m, bad = compatible(b.a.typ, a.a.typ)
		if !bad || m.warning {
			return
		}
	}
	holds := func(d, x int) bool { return d == x || c.anc[d].has(x) }
	for j, t := range c.tasks {
		if done[j] || !c.anc[j].has(a.task) || !c.anc[j].has(b.task) {
			continue
		}
		first := true
		for _, d := range c.deps[j] {
			if holds(d, a.task) && holds(d, b.task) {
				first = false
				break
			}
		}
		if !first {
			continue
		}
		done[j] = true
		pos := t.Pos
		if k, ok := t.Keys["deps"]; ok {
			pos = k.ValuePos
		}
		c.s.errs.note(SeverityError, pos, MergeConflict,
			"task %q merges key %q from parallel tasks %q and %q, which write incompatible types: %q writes %s (%s; path %s), %q writes %s (%s; path %s): %s",
			t.ID, key, c.tasks[a.task].ID, c.tasks[b.task].ID,
			c.tasks[a.task].ID, a.a.typeName, c.where(a.a), c.path(a.task, j),
			c.tasks[b.task].ID, b.a.typeName, c.where(b.a), c.path(b.task, j), m)
	}
}

// literalKind is the JSON shape of a trigger rule's literal.
func literalKind(l *annotations.Literal) jsonKind {
	switch l.Kind {
	case annotations.LiteralString:
		return kindString
	case annotations.LiteralNumber:
		return kindNumber
	case annotations.LiteralBool:
		return kindBool
	}
	return kindAny
}

// checkRule checks a context_value rule of task i: its key must be written
// upstream or be an input, and its literal must be comparable with what is
// written there.
func (c *flowCheck) checkRule(i int, r *annotations.Rule) {
	t := c.tasks[i]
	key := r.Path[0]
	ws := c.upstream(i, key)
	in, isInput := c.inputs[key]
	if len(ws) == 0 && !isInput {
		if c.dynamicUpstream(i, false) {
			return
		}
		avail := c.available(i, false)
		what := "keys available: none"
		if len(avail) > 0 {
			what = listIDs("keys available", avail)
		}
		hint := suggest.DidYouMean(key, avail)
		if hint == "" && !c.w.dir.HasInputs {
			hint = "; if the execution's input provides it, declare it with inputs=" + key + " on the //cloacina:workflow"
		}
		c.s.errs.note(SeverityError, r.Pos, TriggerKey,
			"trigger_rules: %s tests key %q, which no task upstream of %q writes and which is not an input of workflow %q (%s; %s)%s",
			r, key, t.ID, c.w.dir.Name, listIDs("upstream", ancestorIDs(c, i)), what, hint)
		return
	}
	type source struct {
		typ  types.Type
		what string
	}
	var srcs []source
	for _, w := range c.latest(ws) {
		srcs = append(srcs, source{w.a.typ, fmt.Sprintf("task %q writes %s as %s (%s; path %s)",
			c.tasks[w.task].ID, key, w.a.typeName, c.where(w.a), c.path(w.task, i))})
	}
	if isInput && len(ws) == 0 {
		srcs = append(srcs, source{declaredType(in.Type), fmt.Sprintf("workflow %q declares input %s (at %s)", c.w.dir.Name, in, c.s.l.at(in.Pos))})
	}
	for _, src := range srcs {
		if src.typ == nil {
			continue
		}
		at, ok := pathType(src.typ, r.Path[1:])
		if !ok {
			c.s.errs.note(SeverityError, r.Pos, TriggerKey, "trigger_rules: %s tests %s, which the value never has: %s",
				r, r.Key, src.what)
			continue
		}
		if r.Value == nil || at == nil {
			continue
		}
		lk, vk := literalKind(r.Value), kindOf(at, false)
		if lk == kindAny || vk == kindAny {
			continue
		}
		var problem string
		switch r.Op {
		case annotations.OpEquals, annotations.OpNotEquals:
			if lk != vk {
				problem = fmt.Sprintf("it compares a JSON %s with %s, a JSON %s, so it is always %v", vk, r.Value.Text, lk, r.Op == annotations.OpNotEquals)
			}
		case annotations.OpGreaterThan, annotations.OpLessThan:
			if vk != kindNumber || lk != kindNumber {
				problem = fmt.Sprintf("%s compares numbers, but the value is a JSON %s and the literal a JSON %s, so it is always false", r.Op, vk, lk)
			}
		case annotations.OpContains, annotations.OpNotContains:
			switch vk {
			case kindString, kindObject:
				if lk != kindString {
					problem = fmt.Sprintf("%s on a JSON %s needs a string literal, not %s", r.Op, vk, r.Value.Text)
				}
			case kindArray:
				if ek := kindOf(elem(deref(at)), false); ek != kindAny && ek != lk {
					problem = fmt.Sprintf("the array holds JSON %ss, never %s, a JSON %s", ek, r.Value.Text, lk)
				}
			default:
				problem = fmt.Sprintf("%s needs a string, array or object, but the value is a JSON %s", r.Op, vk)
			}
		}
		if problem != "" {
			c.s.errs.note(SeverityError, r.Pos, TriggerKey, "trigger_rules: %s: %s; %s", r, problem, src.what)
		}
	}
}

// edgeKeys returns, for each edge d -> t, the keys t reads that d's output
// holds because d or a task upstream of d wrote them.
func (c *flowCheck) edgeKeys() map[Edge][]string {
	out := map[Edge][]string{}
	for i, t := range c.tasks {
		reads := map[string]bool{}
		for _, a := range c.flows[i].accesses {
			if !a.op.writes() && a.op != opRemove {
				reads[a.key] = true
			}
		}
		walkRule(t.Trigger, func(r *annotations.Rule) {
			if r.Kind == annotations.RuleContextValue && len(r.Path) > 0 {
				reads[r.Path[0]] = true
			}
		})
		for _, d := range c.deps[i] {
			var keys []string
			for k := range reads {
				for _, w := range c.writes[k] {
					if w.task == d || c.anc[d].has(w.task) {
						keys = append(keys, k)
						break
					}
				}
			}
			if len(keys) > 0 {
				sort.Strings(keys)
				out[Edge{From: c.tasks[d].ID, To: t.ID}] = keys
			}
		}
	}
	return out
}
