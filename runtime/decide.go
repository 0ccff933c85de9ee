package runtime

import (
	"fmt"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// decide is the runner's store.DecideFunc: it merges a task's input from its
// dependencies' outputs (in deps order) and applies its trigger rule. It
// parses contexts only when it must: a single dependency's output, or
// several identical ones, is passed on by reference, and the default rule
// needs no context at all.
func (r *Runner) decide(in *store.DecideInput) (*store.Decision, error) {
	wf, err := r.reg.Lookup(in.WorkflowName)
	if err != nil {
		return nil, err
	}
	if wf.Version() != in.WorkflowVersion {
		r.warnVersion(in.WorkflowName, in.WorkflowVersion, wf.Version())
	}
	task, ok := wf.Task(in.TaskID)
	if !ok {
		return nil, fmt.Errorf("workflow %s version %s registered here has no task %q", wf.Name(), wf.Version(), in.TaskID)
	}
	dec := &store.Decision{}
	var direct []*store.ContextRef
	states := make(map[string]TaskStatus, len(in.Deps))
	for _, d := range in.Deps {
		states[d.TaskID] = fromStoreTaskState(d.State)
		if d.Direct {
			if d.Output == nil {
				return nil, fmt.Errorf("dependency %q of %q has no output context", d.TaskID, in.TaskID)
			}
			direct = append(direct, d.Output)
		}
	}
	var merged *Context // parsed lazily
	switch {
	case len(direct) == 0:
		if in.ExecutionInput == nil {
			return nil, fmt.Errorf("task %q has no dependencies and no execution input", in.TaskID)
		}
		dec.ReuseContextID = in.ExecutionInput.ID
	case allSame(direct):
		dec.ReuseContextID = direct[0].ID
	default:
		merged = NewContext()
		for _, ref := range direct {
			c := NewContext()
			if err := c.UnmarshalJSON(ref.Data); err != nil {
				return nil, fmt.Errorf("decode a dependency output of %q: %w", in.TaskID, err)
			}
			merged.Merge(c)
		}
		if dec.Input, err = merged.MarshalJSON(); err != nil {
			return nil, err
		}
	}
	ti := TriggerInput{States: states}
	if task.Trigger != nil && needsContext(task.Trigger) {
		if merged == nil {
			data := in.ExecutionInput
			if len(direct) > 0 {
				data = direct[0]
			}
			merged = NewContext()
			if err := merged.UnmarshalJSON(data.Data); err != nil {
				return nil, fmt.Errorf("decode the input of %q: %w", in.TaskID, err)
			}
		}
		ti.Context = merged
	}
	dec.Run, dec.Reason = task.ShouldRun(ti)
	return dec, nil
}

func allSame(refs []*store.ContextRef) bool {
	for _, r := range refs[1:] {
		if r.ID != refs[0].ID {
			return false
		}
	}
	return true
}

// needsContext reports whether a rule looks at context values.
func needsContext(r *TriggerRule) bool {
	if r.Kind == RuleContextValue {
		return true
	}
	for _, sub := range r.Rules {
		if needsContext(sub) {
			return true
		}
	}
	return false
}

func (r *Runner) warnVersion(name, stored, registered string) {
	key := name + "@" + stored
	r.mu.Lock()
	seen := r.warnedOn[key]
	r.warnedOn[key] = true
	r.mu.Unlock()
	if !seen {
		r.log.Warn("execution was started with another version of the workflow; running it with the registered definition",
			"workflow", name, "execution_version", stored, "registered_version", registered)
	}
}
