package runtime

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cloacina-go/cloacina/internal/dag"
	"github.com/cloacina-go/cloacina/internal/spec"
	"github.com/cloacina-go/cloacina/internal/suggest"
)

// DefaultTenant is the tenant of a workflow that names none: "", which
// means any tenant.
const DefaultTenant = spec.AnyTenant

// Workflow is a validated, immutable set of tasks and their dependencies,
// with its topological order computed once. Build one with NewWorkflow, or
// let cloacina-gen generate it. A Workflow is safe for concurrent use.
type Workflow struct {
	name        string
	description string
	author      string
	tenant      string
	version     string
	tasks       []*Task // input order; graph indices refer to it
	graph       *dag.Graph
	order       []*Task // topological order
	schedules   []Schedule
	triggers    []Trigger
	// inputs are the declared inputs; inputsDeclared is false when the
	// workflow accepts any input.
	inputs         []Input
	inputsDeclared bool
}

// WorkflowBuilder assembles a workflow by hand. Each method returns the
// builder so calls chain; Build validates everything at once.
type WorkflowBuilder struct {
	w         Workflow
	tasks     []*Task
	schedules []Schedule
	triggers  []Trigger
}

// NewWorkflow starts a workflow named name, which must match
// [A-Za-z][A-Za-z0-9_-]*; task ids must match [A-Za-z_][A-Za-z0-9_-]*.
func NewWorkflow(name string) *WorkflowBuilder {
	return &WorkflowBuilder{w: Workflow{name: name}}
}

// Description sets the free-text description.
func (b *WorkflowBuilder) Description(s string) *WorkflowBuilder { b.w.description = s; return b }

// Author sets the free-text author.
func (b *WorkflowBuilder) Author(s string) *WorkflowBuilder { b.w.author = s; return b }

// Tenant restricts the workflow to one tenant: the PostgreSQL schema a
// runner's Config.Schema selects. The name must match [A-Za-z0-9_]+ and be
// at most 40 characters long. By default (or with "") the workflow runs in
// every tenant.
func (b *WorkflowBuilder) Tenant(s string) *WorkflowBuilder { b.w.tenant = s; return b }

// Input is a key a workflow declares that its executions' input may hold
// (see WorkflowBuilder.Inputs), with the JSON type of its value: "any" (or
// ""), "string", "number", "int" (a number written without a fraction or
// an exponent), "bool", "array" or "object", spelt as inputs= on
// //cloacina:workflow writes them.
type Input struct {
	Name string
	Type string
}

// String returns the name, or name:type when the type is not "any".
func (in Input) String() string { return spec.Input(in).String() }

// Inputs declares the keys an execution's input may hold and their types;
// cloacina-gen calls it for inputs= on //cloacina:workflow. A submission
// (Execute, ExecuteAsync, ExecuteMany, a schedule's or a trigger's fire, a
// retry of a whole execution) whose input holds another key, or a value of
// another type, is refused with an *InputError, before anything is stored.
// Declared keys may be left out, and the keys a schedule or a trigger adds
// (InputScheduledTime, InputSchedule, InputFireKind) are always accepted.
// Without a call the workflow accepts any input; a call without arguments
// makes it accept none.
func (b *WorkflowBuilder) Inputs(inputs ...Input) *WorkflowBuilder {
	b.w.inputs, b.w.inputsDeclared = append([]Input{}, inputs...), true
	return b
}

// Add appends tasks. The order does not matter to execution or to the
// version, only to the order in which problems are reported.
func (b *WorkflowBuilder) Add(tasks ...*Task) *WorkflowBuilder {
	b.tasks = append(b.tasks, tasks...)
	return b
}

// AddTasker appends hand-written tasks given as Tasker values.
func (b *WorkflowBuilder) AddTasker(tasks ...Tasker) *WorkflowBuilder {
	for _, t := range tasks {
		b.tasks = append(b.tasks, TaskOf(t))
	}
	return b
}

// Build validates the workflow and computes its order and version. It
// reports every problem found, each a *ValidationError, joined with
// errors.Join (see ValidationErrors).
func (b *WorkflowBuilder) Build() (*Workflow, error) {
	w := b.w
	w.tasks = append([]*Task(nil), b.tasks...)
	var errs []error
	fail := func(kind ValidationKind, task, detail string) *ValidationError {
		e := &ValidationError{Kind: kind, Workflow: w.name, Task: task, Detail: detail}
		errs = append(errs, e)
		return e
	}
	if !spec.ValidWorkflowName(w.name) {
		fail(InvalidName, "", fmt.Sprintf("invalid workflow name %q: must match %s", w.name, spec.WorkflowNameSyntax))
	}
	if w.tenant != spec.AnyTenant {
		if err := spec.CheckTenant(w.tenant); err != nil {
			fail(InvalidName, "", fmt.Sprintf("invalid tenant %v", err))
		}
	}
	w.inputs = append([]Input(nil), w.inputs...)
	checkInputs(w.inputs, fail)
	nodes := make([]dag.Node, 0, len(w.tasks))
	valid := make([]*Task, 0, len(w.tasks))
	for i, t := range w.tasks {
		if t == nil {
			fail(InvalidTask, "", fmt.Sprintf("task %d is nil", i+1))
			continue
		}
		if !spec.ValidTaskID(t.ID) {
			fail(InvalidName, t.ID, fmt.Sprintf("invalid task id %q: must match %s", t.ID, spec.TaskIDSyntax))
		}
		if t.Func == nil {
			fail(InvalidTask, t.ID, fmt.Sprintf("task %q has no Func", t.ID))
		}
		if t.Retry != nil {
			if err := t.Retry.Validate(); err != nil {
				fail(InvalidTask, t.ID, fmt.Sprintf("task %q retry policy: %v", t.ID, err))
			}
		}
		if t.Timeout < 0 {
			fail(InvalidTask, t.ID, fmt.Sprintf("task %q: Timeout must not be negative, got %s", t.ID, t.Timeout))
		}
		if t.Trigger != nil {
			if err := t.Trigger.Validate(); err != nil {
				fail(InvalidTriggerRule, t.ID, fmt.Sprintf("task %q trigger rule: %v", t.ID, err))
			}
		}
		nodes = append(nodes, dag.Node{ID: t.ID, Deps: t.Dependencies})
		valid = append(valid, t)
	}
	w.tasks = valid
	probs := dag.Check(nodes)
	for _, p := range probs {
		e := fail(dagKind(p.Kind), p.Node, p.Message())
		e.Dependency = p.Dep
		e.Suggestions = p.Suggestions
		e.Path = p.Path
	}
	if len(probs) == 0 {
		g, err := dag.Build(nodes)
		if err != nil { // unreachable: Check found nothing
			return nil, err
		}
		w.graph = g
		w.order = make([]*Task, len(w.tasks))
		for k, i := range g.Order() {
			w.order[k] = w.tasks[i]
		}
		for i, t := range w.tasks {
			if t.Trigger == nil {
				continue
			}
			for _, id := range t.Trigger.Tasks() {
				if w.graph.Relation(i, id) != dag.Upstream {
					e := fail(InvalidTriggerRule, t.ID, fmt.Sprintf("task %q trigger rule names %q, which is not upstream of it%s",
						t.ID, id, upstreamHint(w.graph.AncestorIDs(i))))
					e.Dependency = id
				}
			}
		}
	}
	b.buildSchedules(&w, fail)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	w.version = computeVersion(w.name, w.tasks)
	return &w, nil
}

// MustBuild is Build for workflows known to be valid, such as generated
// ones: it panics on a validation error.
func (b *WorkflowBuilder) MustBuild() *Workflow {
	w, err := b.Build()
	if err != nil {
		panic(err)
	}
	return w
}

// checkInputs reports declared inputs without a name, declared twice or
// of an unknown type.
func checkInputs(inputs []Input, fail func(ValidationKind, string, string) *ValidationError) {
	types := spec.KeyTypes()
	seen := map[string]bool{}
	for i, in := range inputs {
		switch {
		case in.Name == "":
			fail(InvalidInput, "", fmt.Sprintf("input %d has no name", i+1))
		case seen[in.Name]:
			fail(InvalidInput, "", fmt.Sprintf("input %q is declared twice", in.Name))
		}
		seen[in.Name] = true
		if in.Type != "" && !slices.Contains(types, in.Type) {
			fail(InvalidInput, "", fmt.Sprintf("input %q has unknown type %q%s; use %s", in.Name, in.Type,
				suggest.DidYouMean(in.Type, types), strings.Join(types, ", ")))
		}
	}
}

func upstreamHint(ids []string) string {
	if len(ids) == 0 {
		return " (it has no upstream tasks)"
	}
	return " (upstream: " + strings.Join(ids, ", ") + ")"
}

func dagKind(k dag.Kind) ValidationKind {
	switch k {
	case dag.Empty:
		return EmptyWorkflow
	case dag.Duplicate:
		return DuplicateTask
	case dag.MissingDependency:
		return MissingDependency
	case dag.DuplicateDependency:
		return DuplicateDependency
	case dag.Cycle:
		return Cycle
	}
	return InvalidTask
}

// Name returns the workflow's name.
func (w *Workflow) Name() string { return w.name }

// Description returns the free-text description.
func (w *Workflow) Description() string { return w.description }

// Author returns the free-text author.
func (w *Workflow) Author() string { return w.author }

// Tenant returns the one tenant the workflow is restricted to, or "" when
// it runs in every tenant (the default). A tenant is a PostgreSQL schema,
// selected by a runner's Config.Schema.
func (w *Workflow) Tenant() string { return w.tenant }

// Version returns a stable hash of the workflow's name, task ids,
// fingerprints and dependencies. It changes when any task's code, directive
// or edges change, and not when tasks are listed in another order.
func (w *Workflow) Version() string { return w.version }

// Inputs returns the inputs the workflow declares (see
// WorkflowBuilder.Inputs) and whether it declares them at all: when
// declared is false, the workflow accepts any input. The slice must not be
// modified.
func (w *Workflow) Inputs() (inputs []Input, declared bool) { return w.inputs, w.inputsDeclared }

// Len returns the number of tasks.
func (w *Workflow) Len() int { return len(w.tasks) }

// Tasks returns the tasks in topological order: every task after its
// dependencies, ties broken by the order they were added. The slice must
// not be modified.
func (w *Workflow) Tasks() []*Task { return w.order }

// Task returns the task with the given id.
func (w *Workflow) Task(id string) (*Task, bool) {
	i, ok := w.graph.Index(id)
	if !ok {
		return nil, false
	}
	return w.tasks[i], true
}

// Dependents returns the ids of the tasks that depend directly on id.
func (w *Workflow) Dependents(id string) []string {
	i, ok := w.graph.Index(id)
	if !ok {
		return nil
	}
	return w.ids(w.graph.Dependents(i))
}

// Upstream returns the ids of every task id depends on, directly or not, in
// topological order.
func (w *Workflow) Upstream(id string) []string {
	i, ok := w.graph.Index(id)
	if !ok {
		return nil
	}
	up := w.graph.Ancestors(i)
	var out []string
	for _, j := range w.graph.Order() {
		if up[j] {
			out = append(out, w.tasks[j].ID)
		}
	}
	return out
}

// Roots returns the ids of the tasks without dependencies.
func (w *Workflow) Roots() []string { return w.ids(w.graph.Roots()) }

// Leaves returns the ids of the tasks nothing depends on; the final context
// of an execution is the merge of their outputs.
func (w *Workflow) Leaves() []string { return w.ids(w.graph.Leaves()) }

// Levels groups task ids by depth: level 0 holds the roots, level k the
// tasks whose longest chain of dependencies has k links.
func (w *Workflow) Levels() [][]string {
	out := make([][]string, len(w.graph.Levels()))
	for i, l := range w.graph.Levels() {
		out[i] = w.ids(l)
	}
	return out
}

func (w *Workflow) ids(idx []int) []string {
	out := make([]string, len(idx))
	for i, x := range idx {
		out[i] = w.tasks[x].ID
	}
	return out
}

// TaskVersion is the part of a task that feeds its workflow's version.
type TaskVersion = spec.TaskVersion

// WorkflowVersion computes the version of a workflow from its name and its
// tasks' ids, fingerprints and dependencies. The order of tasks does not
// matter; the order of each task's dependencies does, because it decides
// how their contexts merge. cloacina-gen uses the same function to emit the
// version constant; Workflow.Version returns the same value.
func WorkflowVersion(name string, tasks []TaskVersion) string {
	return spec.WorkflowVersion(name, tasks)
}

func computeVersion(name string, tasks []*Task) string {
	tv := make([]TaskVersion, len(tasks))
	for i, t := range tasks {
		tv[i] = TaskVersion{ID: t.ID, Fingerprint: t.Fingerprint, Dependencies: t.Dependencies}
	}
	return WorkflowVersion(name, tv)
}
