package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// storedDefinition is the JSON document a runner records for a workflow:
// its WorkflowDefinition, and per task what a runner without the code
// needs to create and decide executions of it.
type storedDefinition struct {
	Name, Version, Description, Author, Tenant string
	Tasks                                      []storedTask
	Schedules                                  []Schedule    `json:",omitempty"`
	Triggers                                   []TriggerInfo `json:",omitempty"`
	// Inputs are the declared inputs, when InputsDeclared (see
	// WorkflowBuilder.Inputs): a runner that submits an execution from
	// the recorded definition checks its input as the code would.
	Inputs         []Input `json:",omitempty"`
	InputsDeclared bool    `json:",omitempty"`
}

// storedTask is a task of a storedDefinition.
type storedTask struct {
	TaskDefinition
	// Rule is the trigger rule, structured (Trigger holds its text);
	// RuleTasks the tasks it names that are not dependencies.
	Rule      *TriggerRule `json:",omitempty"`
	RuleTasks []string     `json:",omitempty"`
}

// defineWorkflow returns the definition a runner records for wf.
func defineWorkflow(wf *Workflow) *storedDefinition {
	d := &storedDefinition{Name: wf.Name(), Version: wf.Version(), Description: wf.Description(), Author: wf.Author(),
		Tenant: wf.Tenant(), Schedules: wf.Schedules()}
	d.Inputs, d.InputsDeclared = wf.Inputs()
	specs := taskSpecs(wf)
	for i, t := range wf.Tasks() {
		st := storedTask{TaskDefinition: TaskDefinition{ID: t.ID, Dependencies: append([]string{}, t.Dependencies...),
			Retry: t.RetryPolicyOrDefault(), Timeout: t.Timeout}, Rule: t.Trigger, RuleTasks: specs[i].RuleTasks}
		if t.Trigger != nil {
			st.Trigger = t.Trigger.String()
		}
		d.Tasks = append(d.Tasks, st)
	}
	for _, tr := range wf.Triggers() {
		d.Triggers = append(d.Triggers, TriggerInfo{Name: tr.Name, Workflow: wf.Name(), Poll: tr.Poll, Timeout: tr.Timeout,
			Concurrency: tr.Concurrency, Origin: store.OriginCode})
	}
	return d
}

// public returns the definition as the API shows it.
func (d *storedDefinition) public(rec *store.WorkflowRecord) WorkflowDefinition {
	w := WorkflowDefinition{Name: d.Name, Version: d.Version, Description: d.Description, Author: d.Author, Tenant: d.Tenant,
		Schedules: d.Schedules, Triggers: d.Triggers, Inputs: d.Inputs, InputsDeclared: d.InputsDeclared,
		RecordedBy: rec.RecordedBy, RecordedAt: rec.RecordedAt}
	for _, t := range d.Tasks {
		w.Tasks = append(w.Tasks, t.TaskDefinition)
	}
	return w
}

func decodeDefinition(rec *store.WorkflowRecord) (*storedDefinition, error) {
	var d storedDefinition
	if err := json.Unmarshal(rec.Definition, &d); err != nil {
		return nil, fmt.Errorf("recorded definition of workflow %s version %s: %w", rec.Name, rec.Version, err)
	}
	return &d, nil
}

// recordDefinitions records the definitions of the workflows this runner
// serves, so that other runners and tools can show and start them.
func (r *Runner) recordDefinitions(ctx context.Context) error {
	var recs []*store.WorkflowRecord
	for _, wf := range r.reg.Workflows() {
		if _, ok := r.serves(wf.Name()); !ok {
			continue
		}
		data, err := json.Marshal(defineWorkflow(wf))
		if err != nil {
			return fmt.Errorf("record the definition of workflow %s: %w", wf.Name(), err)
		}
		recs = append(recs, &store.WorkflowRecord{Name: wf.Name(), Version: wf.Version(), Definition: data})
	}
	return r.store.SaveWorkflows(ctx, &store.SaveWorkflowsParams{RunnerID: r.id, Workflows: recs})
}

// definitions returns the recorded definitions of the named workflow (""
// for all), by name, newest recorded first.
func (r *Runner) definitions(ctx context.Context, name string) ([]WorkflowDefinition, error) {
	recs, err := r.store.ListWorkflows(ctx, name)
	if err != nil {
		return nil, r.closedErr(err)
	}
	out := make([]WorkflowDefinition, 0, len(recs))
	for _, rec := range recs {
		d, err := decodeDefinition(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, d.public(rec))
	}
	return out, nil
}

// notRecorded is the error for a workflow no runner recorded: the
// registry's, which lists what is registered here.
func (r *Runner) notRecorded(ctx context.Context, name string) error {
	_, err := r.reg.Lookup(name)
	if err == nil {
		err = fmt.Errorf("%w: %q is registered here but no runner recorded it", ErrWorkflowNotFound, name)
	}
	return err
}

// recordedExecution prepares a submission of a workflow this runner has
// not registered from its latest recorded definition; notFound is the
// registry's error, returned when none is recorded.
func (r *Runner) recordedExecution(ctx context.Context, sub Submission, notFound error) (*store.NewExecution, error) {
	if sub.Workflow == "" {
		return nil, notFound // ListWorkflows reads "" as every workflow
	}
	recs, err := r.store.ListWorkflows(ctx, sub.Workflow)
	if err != nil {
		return nil, fmt.Errorf("%w (and reading the recorded definitions failed: %v)", notFound, err)
	}
	if len(recs) == 0 {
		return nil, notFound
	}
	d, err := decodeDefinition(recs[0])
	if err != nil {
		return nil, err
	}
	if r.firstTime("recorded " + d.Name) {
		// Said once: without it, a program that forgot to import the
		// workflow's package waits in Execute for a runner that may never
		// come, with nothing in its log.
		r.log.Info("this runner does not register the workflow: its executions are created from its recorded definition "+
			"and run by a runner that registers it; import the package holding its cloacina_gen.go to run them here",
			"workflow", d.Name, "version", d.Version, "recorded_by", recs[0].RecordedBy)
	}
	return r.executionOf(sub, d)
}

// executionOf prepares a submission of a recorded definition.
func (r *Runner) executionOf(sub Submission, d *storedDefinition) (*store.NewExecution, error) {
	if d.Tenant != "" && d.Tenant != r.tenant {
		return nil, fmt.Errorf("execute %s: the workflow belongs to tenant %q, and this runner serves tenant %q (Config.Schema)", d.Name, d.Tenant, r.tenant)
	}
	r.recorded.add(d)
	specs := make([]store.TaskSpec, len(d.Tasks))
	for i, t := range d.Tasks {
		specs[i] = store.TaskSpec{TaskID: t.ID, Deps: t.Dependencies, RuleTasks: t.RuleTasks,
			MaxAttempts: max(t.Retry.MaxAttempts, 1)}
	}
	return r.prepare(sub, d.Name, d.Version, specs, d.Inputs, d.InputsDeclared)
}

// loadRecorded makes the recorded definition of a workflow version known
// to decisions, for a workflow this runner has not registered. It
// reports whether one is recorded.
func (r *Runner) loadRecorded(ctx context.Context, name, version string) (bool, error) {
	if r.recorded.has(name, version) {
		return true, nil
	}
	recs, err := r.store.ListWorkflows(ctx, name)
	if err != nil {
		return false, err
	}
	for _, rec := range recs {
		if rec.Version == version {
			d, err := decodeDefinition(rec)
			if err != nil {
				return false, err
			}
			r.recorded.add(d)
			return true, nil
		}
	}
	return false, nil
}

// recordedTasks holds the tasks of recorded definitions this runner
// created or retried executions of, so that it can decide their tasks
// (at creation, its roots; at a retry, those that run again) without
// their code. Decisions read it inside store transactions.
type recordedTasks struct {
	mu    sync.RWMutex
	tasks map[string]map[string]*Task // name@version -> task id -> task
}

func (rt *recordedTasks) add(d *storedDefinition) {
	m := make(map[string]*Task, len(d.Tasks))
	for _, t := range d.Tasks {
		m[t.ID] = &Task{ID: t.ID, Dependencies: t.Dependencies, Trigger: t.Rule}
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.tasks == nil {
		rt.tasks = map[string]map[string]*Task{}
	}
	rt.tasks[d.Name+"@"+d.Version] = m
}

func (rt *recordedTasks) has(name, version string) bool {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	_, ok := rt.tasks[name+"@"+version]
	return ok
}

func (rt *recordedTasks) task(name, version, id string) (*Task, bool) {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	t, ok := rt.tasks[name+"@"+version][id]
	return t, ok
}
