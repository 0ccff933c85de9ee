package runtime

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// Execution is a handle on one execution of a workflow.
type Execution struct {
	r    *Runner
	id   string
	done chan struct{}
}

// ID returns the execution id.
func (e *Execution) ID() string { return e.id }

// Wait blocks until the execution ends or ctx is done, and returns its
// result. A Failed or Cancelled execution returns its result together with
// the result's Err. Wait is woken by the completion itself, never by
// polling.
func (e *Execution) Wait(ctx context.Context) (*PipelineResult, error) {
	select {
	case <-e.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	res, err := e.r.result(ctx, e.id)
	if err != nil {
		return nil, err
	}
	switch {
	case !res.Status.Terminal():
		return res, fmt.Errorf("execution %s is %s: %w", e.id, res.Status, ErrRunnerClosed)
	case res.Status != PipelineStatusCompleted:
		return res, res.Err
	}
	return res, nil
}

// Status returns the execution's current state.
func (e *Execution) Status(ctx context.Context) (PipelineStatus, error) {
	ex, err := e.r.store.GetExecution(ctx, e.id)
	if err != nil {
		return 0, wrapNotFound(err)
	}
	return fromStoreExecState(ex.State), nil
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
		return nil, r.closedErr(wrapNotFound(err))
	}
	tasks, err := r.store.ListTasks(ctx, id)
	if err != nil {
		return nil, r.closedErr(err)
	}
	res := &PipelineResult{
		ExecutionID: ex.ID, WorkflowName: ex.WorkflowName, WorkflowVersion: ex.WorkflowVersion,
		Status: fromStoreExecState(ex.State), StartedAt: ex.StartedAt, CompletedAt: ex.CompletedAt,
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
	var leaves []*Context
	for _, t := range tasks {
		tr := TaskResult{
			TaskID: t.TaskID, Status: fromStoreTaskState(t.State), Attempts: t.Attempt,
			StartedAt: t.StartedAt, CompletedAt: t.CompletedAt, SkipReason: t.SkipReason,
		}
		if !t.StartedAt.IsZero() && !t.CompletedAt.IsZero() {
			tr.Duration = t.CompletedAt.Sub(t.StartedAt)
		}
		if t.State == store.TaskFailed {
			tr.Err = &TaskError{ExecutionID: id, TaskID: t.TaskID, Attempt: t.Attempt, Err: errors.New(t.Error)}
			if res.Err == nil {
				res.Err = tr.Err
			}
		}
		res.Tasks = append(res.Tasks, tr)
		if !hasDependents[t.TaskID] && t.Output != nil {
			c := NewContext()
			if err := c.UnmarshalJSON(t.Output); err != nil {
				return nil, fmt.Errorf("execution %s: task %s output: %w", id, t.TaskID, err)
			}
			leaves = append(leaves, c)
		}
	}
	res.Context = MergeContexts(leaves...)
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

func (r *Runner) closedErr(err error) error {
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return fmt.Errorf("%w: %w", ErrRunnerClosed, err)
	}
	return err
}

func fromStoreExecState(s store.ExecutionState) PipelineStatus {
	switch s {
	case store.ExecutionRunning:
		return PipelineStatusRunning
	case store.ExecutionCompleted:
		return PipelineStatusCompleted
	case store.ExecutionFailed:
		return PipelineStatusFailed
	case store.ExecutionCancelled:
		return PipelineStatusCancelled
	case store.ExecutionPaused:
		return PipelineStatusPaused
	}
	return PipelineStatusPending
}

func toStoreExecState(s PipelineStatus) store.ExecutionState {
	switch s {
	case PipelineStatusRunning:
		return store.ExecutionRunning
	case PipelineStatusCompleted:
		return store.ExecutionCompleted
	case PipelineStatusFailed:
		return store.ExecutionFailed
	case PipelineStatusCancelled:
		return store.ExecutionCancelled
	case PipelineStatusPaused:
		return store.ExecutionPaused
	}
	return store.ExecutionPending
}

func fromStoreTaskState(s store.TaskState) TaskStatus {
	switch s {
	case store.TaskReady:
		return TaskStatusReady
	case store.TaskRunning:
		return TaskStatusRunning
	case store.TaskCompleted:
		return TaskStatusCompleted
	case store.TaskFailed:
		return TaskStatusFailed
	case store.TaskSkipped:
		return TaskStatusSkipped
	}
	return TaskStatusNotStarted
}
