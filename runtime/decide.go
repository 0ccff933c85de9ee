package runtime

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// decide is the runner's store.DecideFunc: it merges a task's input from its
// dependencies' outputs (in deps order) and applies its trigger rule. It
// parses contexts only when it must: a single dependency's output, or
// several identical ones, is passed on as it is, and the default rule needs
// no context at all. Values stored out of line are read through the
// store's transaction, and only when a merge or a rule needs them.
func (r *Runner) decide(in *store.DecideInput) (*store.Decision, error) {
	task, err := r.decisionTask(in)
	if err != nil {
		return nil, err
	}
	dec := &store.Decision{}
	var direct []*store.Doc
	states := make(map[string]TaskStatus, len(in.Deps))
	for _, d := range in.Deps {
		st, err := fromStoreTaskState(d.State)
		if err != nil {
			return nil, err
		}
		states[d.TaskID] = st
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
		dec.Input = *in.ExecutionInput
	case allSame(direct):
		dec.Input = *direct[0]
	default:
		merged = NewContext()
		for _, d := range direct {
			c, err := contextFromDoc(*d, in.LoadValues)
			if err != nil {
				return nil, fmt.Errorf("decode a dependency output of %q: %w", in.TaskID, err)
			}
			if err := merged.Merge(c); err != nil {
				return nil, fmt.Errorf("merge the input of %q: %w", in.TaskID, err)
			}
		}
		dec.Input, dec.Values = merged.doc()
	}
	ti := TriggerInput{States: states}
	if task.Trigger != nil && needsContext(task.Trigger) {
		if merged == nil {
			if merged, err = contextFromDoc(dec.Input, in.LoadValues); err != nil {
				return nil, fmt.Errorf("decode the input of %q: %w", in.TaskID, err)
			}
		}
		ti.Context = merged
	}
	dec.Run, dec.Reason = task.ShouldRun(ti)
	if !dec.Run && r.log.Enabled(context.Background(), slog.LevelDebug) {
		// Logged as decided, inside the store's transaction: a transaction
		// the database aborts and the store runs again logs it twice.
		r.log.Debug("task skipped", "execution_id", in.ExecutionID, "workflow", in.WorkflowName, "task", in.TaskID,
			"reason", dec.Reason)
	}
	return dec, nil
}

// decisionTask returns the definition of the task to decide: the
// registered workflow's or, for a workflow this runner has not registered,
// that of its recorded definition (see recordedTasks).
func (r *Runner) decisionTask(in *store.DecideInput) (*Task, error) {
	wf, err := r.reg.Lookup(in.WorkflowName)
	if err != nil {
		if t, ok := r.recorded.task(in.WorkflowName, in.WorkflowVersion, in.TaskID); ok {
			return t, nil
		}
		return nil, err
	}
	if wf.Version() != in.WorkflowVersion {
		r.warnVersion(in.WorkflowName, in.WorkflowVersion, wf.Version())
	}
	task, ok := wf.Task(in.TaskID)
	if !ok {
		return nil, fmt.Errorf("workflow %s version %s registered here has no task %q", wf.Name(), wf.Version(), in.TaskID)
	}
	return task, nil
}

// allSame reports whether every doc equals the first.
func allSame(docs []*store.Doc) bool {
	for _, d := range docs[1:] {
		if !bytes.Equal(d.Data, docs[0].Data) || !maps.Equal(d.Refs, docs[0].Refs) {
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

// firstTime reports whether key is new to the runner, and remembers it:
// a log line said once per runner (a workflow's version mismatch, its
// submission from a recorded definition) is keyed by what it is about.
func (r *Runner) firstTime(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.logged[key] {
		return false
	}
	r.logged[key] = true
	return true
}

func (r *Runner) warnVersion(name, stored, registered string) {
	if r.firstTime("version " + name + "@" + stored) {
		r.log.Warn("execution was started with another version of the workflow; running it with the registered definition",
			"workflow", name, "execution_version", stored, "registered_version", registered)
	}
}
