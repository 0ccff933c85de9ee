package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// Execution is a handle on one execution of a workflow.
type Execution struct {
	r        *Runner
	id       string
	workflow string
	done     chan struct{}
}

// ID returns the execution id.
func (e *Execution) ID() string { return e.id }

// Workflow returns the name of the execution's workflow. A submission whose
// idempotency key was taken returns a handle on the execution stored with
// it, which may be of another workflow: Workflow tells.
func (e *Execution) Workflow() string { return e.workflow }

// Done returns a channel closed once the execution has ended, as soon as
// this runner learns of it (from its own writes, a notification from
// another process, or its fallback poll), or when the runner shuts down.
// It reads nothing from the store: use it to wait for many executions in
// a select, then Wait or Result for each outcome. For an execution retried
// in place, news of its earlier end may close it while the retry runs;
// Wait checks, and waits on.
func (e *Execution) Done() <-chan struct{} { return e.done }

// Wait blocks until the execution ends or ctx is done, and returns its
// result. A Failed or Cancelled execution returns its result together with
// the result's Err. Wait is woken by the completion itself, never by
// polling. If ctx ends first, Wait returns the result as it stands (not
// terminal) with ctx's error; the execution goes on.
func (e *Execution) Wait(ctx context.Context) (*PipelineResult, error) {
	done := e.done
	for {
		select {
		case <-done:
		case <-ctx.Done():
			return e.unfinished(ctx)
		}
		res, err := e.r.result(ctx, e.id)
		if err != nil {
			return nil, err
		}
		switch {
		case !res.Status.Terminal() && !e.r.isClosed():
			// The wake-up was about an earlier end of the execution, which
			// a retry has run again since: wait for this end.
			if done, err = e.r.addWaiter(e.id); err != nil {
				return res, fmt.Errorf("execution %s is %s: %w", e.id, res.Status, err)
			}
			if again, err := e.r.store.GetExecution(ctx, e.id); err == nil && again.State.Terminal() {
				e.r.finished(e.id) // it ended between the read and the registration
			}
			continue
		case !res.Status.Terminal():
			return res, fmt.Errorf("execution %s is %s: %w", e.id, res.Status, ErrRunnerClosed)
		case res.Status != PipelineStatusCompleted:
			return res, res.Err
		}
		return res, nil
	}
}

// unfinished is Wait's answer when ctx ended first: the result as it
// stands, read with a short deadline of its own (ctx is over), or at least
// the execution's identity.
func (e *Execution) unfinished(ctx context.Context) (*PipelineResult, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	res, err := e.r.result(rctx, e.id)
	if err != nil {
		res = &PipelineResult{ExecutionID: e.id, WorkflowName: e.workflow, Status: PipelineStatusRunning}
	}
	return res, fmt.Errorf("stopped waiting for execution %s (%s), which goes on: %w", e.id, res.Status, ctx.Err())
}

// Status returns the execution's current state.
func (e *Execution) Status(ctx context.Context) (PipelineStatus, error) {
	ex, err := e.r.store.GetExecution(ctx, e.id)
	if err != nil {
		return 0, e.r.storeErr(err)
	}
	return fromStoreExecState(ex.State)
}

// Result returns the execution's result as it stands, without waiting.
func (e *Execution) Result(ctx context.Context) (*PipelineResult, error) {
	return e.r.result(ctx, e.id)
}

// Cancel cancels the execution (see Runner.Cancel).
func (e *Execution) Cancel(ctx context.Context) error {
	_, err := e.r.Cancel(ctx, e.id)
	return err
}

// result assembles an execution's result from the store.
func (r *Runner) result(ctx context.Context, id string) (*PipelineResult, error) {
	ex, err := r.store.GetExecution(ctx, id)
	if err != nil {
		return nil, r.storeErr(err)
	}
	tasks, err := r.store.ListTasks(ctx, id)
	if err != nil {
		return nil, r.closedErr(err)
	}
	return r.assemble(ex, tasks)
}

// assemble builds a result from an execution and its tasks as stored.
func (r *Runner) assemble(ex *store.Execution, tasks []*store.Task) (*PipelineResult, error) {
	id := ex.ID
	status, err := fromStoreExecState(ex.State)
	if err != nil {
		return nil, fmt.Errorf("execution %s: %w", id, err)
	}
	res := &PipelineResult{
		ExecutionID: ex.ID, WorkflowName: ex.WorkflowName, WorkflowVersion: ex.WorkflowVersion,
		Status: status, StartedAt: ex.StartedAt, CompletedAt: ex.CompletedAt,
	}
	if res.StartedAt.IsZero() {
		res.StartedAt = ex.CreatedAt
	}
	if !ex.CompletedAt.IsZero() {
		res.Duration = ex.CompletedAt.Sub(res.StartedAt)
	}
	hasDependents := map[string]bool{}
	for _, t := range tasks {
		for _, d := range t.Deps {
			hasDependents[d] = true
		}
	}
	load := r.valueLoader(id)
	var leaves []*Context
	for _, t := range tasks {
		st, err := fromStoreTaskState(t.State)
		if err != nil {
			return nil, fmt.Errorf("execution %s: task %s: %w", id, t.TaskID, err)
		}
		tr := TaskResult{
			TaskID: t.TaskID, Status: st, Attempts: t.Attempt,
			StartedAt: t.StartedAt, CompletedAt: t.CompletedAt, SkipReason: t.SkipReason,
		}
		if !t.StartedAt.IsZero() && !t.CompletedAt.IsZero() {
			tr.Duration = t.CompletedAt.Sub(t.StartedAt)
		}
		if t.Error != "" && (t.State == store.TaskFailed || t.State == store.TaskCancelled) {
			tr.Err = &TaskError{ExecutionID: id, TaskID: t.TaskID, Attempt: t.Attempt, Err: restoreError(t.Error, t.ErrorDetail)}
			if res.Err == nil && t.State == store.TaskFailed {
				res.Err = tr.Err
			}
		}
		if t.Input != nil {
			if tr.Input, err = contextFromDoc(*t.Input, load); err != nil {
				return nil, fmt.Errorf("execution %s: task %s input: %w", id, t.TaskID, err)
			}
		}
		if t.Output != nil {
			if tr.Output, err = contextFromDoc(*t.Output, load); err != nil {
				return nil, fmt.Errorf("execution %s: task %s output: %w", id, t.TaskID, err)
			}
		}
		res.Tasks = append(res.Tasks, tr)
		if !hasDependents[t.TaskID] && t.Output != nil {
			c, err := contextFromDoc(*t.Output, load)
			if err != nil {
				return nil, fmt.Errorf("execution %s: task %s output: %w", id, t.TaskID, err)
			}
			leaves = append(leaves, c)
		}
	}
	if res.Context, err = MergeContexts(leaves...); err != nil {
		return nil, fmt.Errorf("execution %s: final context: %w", id, err)
	}
	res.Context.changed = false
	switch ex.State {
	case store.ExecutionCancelled:
		res.Err = fmt.Errorf("execution %s: %w", id, ErrExecutionCancelled)
	case store.ExecutionFailed:
		if res.Err == nil {
			res.Err = fmt.Errorf("execution %s failed: %s", id, ex.Error)
			if ex.Error == ErrWorkflowTimeout.Error() {
				res.Err = fmt.Errorf("execution %s: %w", id, ErrWorkflowTimeout)
			}
		}
	}
	return res, nil
}

// valueLoader loads an execution's out-of-line values for contexts read
// outside a task, each load bounded by storeCallTimeout.
func (r *Runner) valueLoader(executionID string) func(hashes []string) (map[string][]byte, error) {
	return func(hashes []string) (map[string][]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), storeCallTimeout)
		defer cancel()
		vals, err := r.store.LoadValues(ctx, executionID, hashes)
		if err != nil {
			return nil, r.closedErr(err)
		}
		return vals, nil
	}
}

// storeErr is the error a caller sees for a store call's err: the
// store's not-found as ErrExecutionNotFound, and any failure after
// Shutdown began as ErrRunnerClosed.
func (r *Runner) storeErr(err error) error { return r.closedErr(wrapNotFound(err)) }

// closedErr marks err with ErrRunnerClosed once Shutdown has begun.
func (r *Runner) closedErr(err error) error {
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed && !errors.Is(err, ErrRunnerClosed) {
		return fmt.Errorf("%w: %w", ErrRunnerClosed, err)
	}
	return err
}
