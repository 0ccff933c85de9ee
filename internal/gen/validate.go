package gen

import (
	"fmt"
	"go/token"
	"sort"
	"strings"

	"github.com/cloacina-go/cloacina/annotations"
	"github.com/cloacina-go/cloacina/internal/dag"
	"github.com/cloacina-go/cloacina/internal/suggest"
)

// maxListed is how many ids a message lists before it says "and N more".
const maxListed = 10

// wfTasks is a workflow directive with the tasks assigned to it.
type wfTasks struct {
	dir       *annotations.Workflow
	tasks     []*annotations.Task // sorted by id, then position
	schedules []*annotations.Schedule
	triggers  []*annotations.Trigger
}

// assign decides which tasks belong to which workflow (DESIGN §2):
//
//   - a task with workflow=W belongs to W, which must exist; if W has a
//     tasks= list, the list must name the task;
//   - a workflow with a tasks= list holds the tasks it names, which must
//     exist and must not name another workflow;
//   - any other task belongs to the package's one workflow without a
//     tasks= list; none, or several, is an error.
//
// It returns the workflows with unique names, sorted by name.
func (s *pkgState) assign() []*wfTasks {
	byName := map[string]*wfTasks{}
	var wfs []*wfTasks
	for _, w := range s.workflows {
		if first, ok := byName[w.Name]; ok && w.Name != "" {
			s.errs.add(w.Pos, DuplicateWorkflow, "duplicate workflow name %q; first declared at %s", w.Name, s.l.at(first.dir.Pos))
			continue
		}
		wt := &wfTasks{dir: w}
		byName[w.Name] = wt
		wfs = append(wfs, wt)
	}
	names := make([]string, len(wfs))
	for i, w := range wfs {
		names[i] = w.dir.Name
	}
	sort.Strings(names)

	byID := map[string][]*annotations.Task{}
	var ids []string
	for _, t := range s.tasks {
		if _, ok := byID[t.ID]; !ok {
			ids = append(ids, t.ID)
		}
		byID[t.ID] = append(byID[t.ID], t)
	}
	sort.Strings(ids)

	claimed := map[*annotations.Task]bool{}
	for _, w := range wfs {
		if !w.dir.HasTasks {
			continue
		}
		k := w.dir.Keys["tasks"]
		for i, id := range w.dir.Tasks {
			ts := byID[id]
			if len(ts) == 0 {
				s.errs.add(elementPos(k, i), AssignmentError, "workflow %q: tasks= names unknown task %q (%s)%s",
					w.dir.Name, id, listIDs("tasks of the package", ids), suggest.DidYouMean(id, ids))
				continue
			}
			for _, t := range ts {
				claimed[t] = true
				if t.Workflow != "" && t.Workflow != w.dir.Name {
					// Reported; the task still joins the workflow, so that
					// its dependents are not reported as well.
					s.errs.add(elementPos(k, i), AssignmentError, "workflow %q: tasks= names task %q, which names workflow %q (at %s)",
						w.dir.Name, id, t.Workflow, s.l.at(t.Keys["workflow"].ValuePos))
				}
				w.tasks = append(w.tasks, t)
			}
		}
	}

	var implicit []*wfTasks
	for _, w := range wfs {
		if !w.dir.HasTasks {
			implicit = append(implicit, w)
		}
	}
	var orphans []*annotations.Task
	for _, t := range s.tasks {
		if t.Workflow != "" {
			w := byName[t.Workflow]
			pos := t.Keys["workflow"].ValuePos
			switch {
			case w == nil && len(wfs) == 0:
				s.errs.add(pos, AssignmentError, "task %q names workflow %q, but the package declares no //cloacina:workflow; add //cloacina:workflow name=%s",
					t.ID, t.Workflow, t.Workflow)
			case w == nil:
				s.errs.add(pos, AssignmentError, "task %q names unknown workflow %q (the package declares %s)%s",
					t.ID, t.Workflow, quoteList(names), suggest.DidYouMean(t.Workflow, names))
			case w.dir.HasTasks && !contains(w.dir.Tasks, t.ID):
				s.errs.add(pos, AssignmentError, "task %q names workflow %q, whose tasks= list (at %s) does not include it; add %q to the list",
					t.ID, t.Workflow, s.l.at(w.dir.Keys["tasks"].ValuePos), t.ID)
			case !w.dir.HasTasks:
				w.tasks = append(w.tasks, t)
			}
			continue
		}
		if claimed[t] {
			continue
		}
		switch len(implicit) {
		case 1:
			implicit[0].tasks = append(implicit[0].tasks, t)
		case 0:
			if len(wfs) == 0 {
				orphans = append(orphans, t)
			} else {
				s.errs.add(t.Pos, AssignmentError, "task %q is in no workflow: every workflow of the package has a tasks= list; add it to one, or set workflow=",
					t.ID)
			}
		default:
			var amb []string
			for _, w := range implicit {
				amb = append(amb, w.dir.Name)
			}
			sort.Strings(amb)
			s.errs.add(t.Pos, AssignmentError, "task %q: workflow is ambiguous, the package declares %s; set workflow= to one of them",
				t.ID, quoteList(amb))
		}
	}
	if len(orphans) > 0 {
		more := ""
		if len(orphans) > 1 {
			more = fmt.Sprintf(" (and %d more tasks)", len(orphans)-1)
		}
		s.errs.add(orphans[0].Pos, AssignmentError, "task %q%s: the package declares no //cloacina:workflow; add one, such as //cloacina:workflow name=%s",
			orphans[0].ID, more, s.p.Name)
	}

	for _, w := range wfs {
		sortTasks(w.tasks)
	}
	sort.Slice(wfs, func(i, j int) bool { return wfs[i].dir.Name < wfs[j].dir.Name })
	return wfs
}

// sortTasks orders tasks by id, then by position, so that generated code
// and reports do not depend on the order of files or declarations.
func sortTasks(ts []*annotations.Task) {
	sort.SliceStable(ts, func(i, j int) bool {
		if ts[i].ID != ts[j].ID {
			return ts[i].ID < ts[j].ID
		}
		return posLess(ts[i].Pos, ts[j].Pos)
	})
}

func posLess(a, b token.Position) bool {
	if a.Filename != b.Filename {
		return a.Filename < b.Filename
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Column < b.Column
}

// validate checks each workflow's graph, trigger rules and generated names.
func (s *pkgState) validate(wfs []*wfTasks) {
	byID := map[string][]string{} // task id -> workflows holding it
	for _, w := range wfs {
		for _, t := range w.tasks {
			byID[t.ID] = append(byID[t.ID], w.dir.Name)
		}
	}
	for _, w := range wfs {
		if len(w.tasks) == 0 {
			s.checkEmpty(w)
			continue
		}
		nodes := make([]dag.Node, len(w.tasks))
		ids := make([]string, 0, len(w.tasks))
		for i, t := range w.tasks {
			nodes[i] = dag.Node{ID: t.ID, Deps: t.Deps}
			if i == 0 || w.tasks[i-1].ID != t.ID {
				ids = append(ids, t.ID)
			}
		}
		s.checkGraph(w, nodes, ids, byID)
		s.checkTriggers(w, nodes, ids)
		s.checkFlow(w, nodes)
	}
	s.checkNames(wfs)
}

// checkEmpty reports a workflow without tasks.
func (s *pkgState) checkEmpty(w *wfTasks) {
	if w.dir.HasTasks && w.dir.Tasks == nil {
		return // the tasks= value is invalid, which is reported
	}
	hint := "annotate functions with //cloacina:task"
	if w.dir.HasTasks {
		hint = "list existing task ids in tasks="
	}
	s.errs.add(w.dir.Pos, EmptyWorkflow, "workflow %q has no tasks; %s", w.dir.Name, hint)
}

// checkGraph reports the problems dag.Check finds in the workflow's nodes
// (w.tasks, sorted by id; ids holds each id once), at the positions of the
// tasks concerned.
func (s *pkgState) checkGraph(w *wfTasks, nodes []dag.Node, ids []string, inOther map[string][]string) {
	name := w.dir.Name
	for _, p := range dag.Check(nodes) {
		switch p.Kind {
		case dag.Duplicate:
			t, first := w.tasks[p.Index], w.tasks[p.FirstIndex]
			s.errs.add(t.Pos, DuplicateTask, "duplicate task id %q in workflow %q (func %s); also declared at %s (func %s)",
				t.ID, name, t.FuncName, s.l.at(first.Pos), first.FuncName)
		case dag.MissingDependency:
			t := w.tasks[p.Index]
			hint := ""
			if len(p.Suggestions) > 0 {
				hint = fmt.Sprintf("; did you mean %q?", p.Suggestions[0])
			} else if other := inOther[p.Dep]; len(other) > 0 {
				hint = fmt.Sprintf("; %q is a task of workflow %q", p.Dep, other[0])
			}
			pos := depPos(t, p.Dep, 1)
			s.errs.add(pos, MissingDependency, "task %q depends on unknown task %q (%s)%s",
				t.ID, p.Dep, listIDs("tasks of workflow "+quote(name), ids), hint)
			if len(p.Suggestions) > 0 && pos != t.Pos {
				end := pos
				end.Column += len(p.Dep)
				end.Offset += len(p.Dep)
				s.errs[len(s.errs)-1].Fix = &Fix{Message: fmt.Sprintf("replace %q with %q", p.Dep, p.Suggestions[0]),
					Pos: pos, End: end, NewText: p.Suggestions[0]}
			}
		case dag.DuplicateDependency:
			t := w.tasks[p.Index]
			s.errs.add(depPos(t, p.Dep, 2), DuplicateDependency, "task %q lists dependency %q twice", t.ID, p.Dep)
		case dag.Cycle:
			t := w.tasks[p.Index]
			seen := map[string]bool{t.ID: true}
			var others []string
			for _, id := range p.Path {
				if seen[id] {
					continue
				}
				seen[id] = true
				o := taskByID(w.tasks, id)
				others = append(others, fmt.Sprintf("%s at %s", id, s.l.at(o.Pos)))
			}
			where := ""
			if len(others) > 0 {
				where = "; " + strings.Join(others, ", ")
			}
			s.errs.add(t.Pos, Cycle, "dependency cycle in workflow %q: %s (each task depends on the next)%s",
				name, strings.Join(p.Path, " -> "), where)
		case dag.Empty: // handled above
		}
	}
}

// checkTriggers reports trigger rules naming a task that is not upstream of
// their task (a transitive dependency in the same workflow). It runs on
// graphs with problems too, which dag.Reach tolerates.
func (s *pkgState) checkTriggers(w *wfTasks, nodes []dag.Node, ids []string) {
	var reach *dag.Reach
	for i, t := range w.tasks {
		if t.Trigger == nil {
			continue
		}
		if reach == nil {
			reach = dag.NewReach(nodes)
		}
		walkRule(t.Trigger, func(r *annotations.Rule) {
			if r.Task == "" {
				return
			}
			switch reach.Relation(i, r.Task) {
			case dag.Self:
				s.errs.add(r.Pos, TriggerError, "trigger_rules: %s names task %q itself; a rule can only test tasks upstream of it",
					r, t.ID)
			case dag.Unknown:
				s.errs.add(r.Pos, TriggerError, "trigger_rules: %s names unknown task %q (%s)%s",
					r, r.Task, listIDs("tasks of workflow "+quote(w.dir.Name), ids), suggest.DidYouMean(r.Task, ids))
			case dag.NotUpstream:
				s.errs.add(r.Pos, TriggerError, "trigger_rules: %s names task %q, which is not upstream of %q (%s); a rule can only test tasks %q depends on, directly or not",
					r, r.Task, t.ID, listIDs("upstream of "+quote(t.ID), reach.AncestorIDs(i)), t.ID)
			}
		})
	}
}

// checkNames reports generated identifiers that collide with each other or
// with declarations of the package.
func (s *pkgState) checkNames(wfs []*wfTasks) {
	taken := map[string]string{} // identifier -> workflow that generates it
	for _, w := range wfs {
		if w.dir.Name == "" {
			continue // invalid or missing, which is reported
		}
		for _, id := range generatedNames(goName(w.dir.Name)) {
			if other, ok := taken[id]; ok {
				s.errs.add(w.dir.Pos, NameConflict, "workflows %q and %q would both generate %s; rename one", other, w.dir.Name, id)
				break
			}
			taken[id] = w.dir.Name
			if s.p.Types == nil {
				continue
			}
			if obj := s.p.Types.Scope().Lookup(id); obj != nil && !s.l.stubbed[s.l.fset.Position(obj.Pos()).Filename] {
				s.errs.add(w.dir.Pos, NameConflict, "workflow %q: the generated %s would conflict with the %s declared at %s; rename one",
					w.dir.Name, id, objectKind(obj), s.l.at(s.l.fset.Position(obj.Pos())))
			}
		}
	}
}

// generatedNames returns the package-level identifiers the generated file
// declares for a workflow whose GoName is g: its value, version, graph and
// (unexported) task list.
func generatedNames(g string) []string {
	return []string{g + "Workflow", g + "Version", g + "Graph", "cloacina" + g + "Tasks"}
}

// goName turns a workflow name into an exported Go identifier prefix:
// etl -> Etl, nightly-etl -> NightlyEtl, load_v2 -> LoadV2.
func goName(name string) string {
	var b strings.Builder
	up := true
	for _, r := range name {
		if r == '-' || r == '_' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

func walkRule(r *annotations.Rule, f func(*annotations.Rule)) {
	if r == nil {
		return
	}
	f(r)
	for _, sub := range r.Rules {
		walkRule(sub, f)
	}
}

func taskByID(ts []*annotations.Task, id string) *annotations.Task {
	for _, t := range ts {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// elementPos returns the position of the i-th element of the comma list
// value of k.
func elementPos(k annotations.Key, i int) token.Position {
	off := 0
	for n, e := range strings.Split(k.Raw, ",") {
		if n == i {
			break
		}
		off += len(e) + 1
	}
	pos := k.ValuePos
	pos.Column += off
	pos.Offset += off
	return pos
}

// depPos returns the position of the nth occurrence of dep in t's deps
// value, or of the directive when it cannot be found.
func depPos(t *annotations.Task, dep string, nth int) token.Position {
	k, ok := t.Keys["deps"]
	if !ok {
		return t.Pos
	}
	for i, e := range strings.Split(k.Raw, ",") {
		if e == dep {
			if nth--; nth == 0 {
				return elementPos(k, i)
			}
		}
	}
	return k.ValuePos
}

// listIDs formats ids for a message: `what: a, b, c`, shortened after
// maxListed ids.
func listIDs(what string, ids []string) string {
	if len(ids) == 0 {
		return what + " none"
	}
	shown := ids
	more := ""
	if len(ids) > maxListed {
		shown = ids[:maxListed]
		more = fmt.Sprintf(" and %d more", len(ids)-maxListed)
	}
	return what + ": " + strings.Join(shown, ", ") + more
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quote(n)
	}
	return strings.Join(q, ", ")
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
