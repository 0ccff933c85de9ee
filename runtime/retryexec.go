package runtime

import (
	"context"
	"fmt"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// retryFailed retries an execution in place (RetryModeFailed).
func (r *Runner) retryFailed(ctx context.Context, id string) (*Execution, error) {
	ex, err := r.store.GetExecution(ctx, id)
	if err != nil {
		return nil, r.storeErr(err)
	}
	if _, err := r.reg.Lookup(ex.WorkflowName); err != nil {
		// The tasks that run again are decided here: without the code,
		// from the recorded definition of the execution's version.
		found, err := r.loadRecorded(ctx, ex.WorkflowName, ex.WorkflowVersion)
		if err != nil {
			return nil, fmt.Errorf("retry execution %s: %w", id, r.closedErr(err))
		}
		if !found {
			return nil, fmt.Errorf("retry execution %s: workflow %s version %s is neither registered here nor recorded by any runner: %w",
				id, ex.WorkflowName, ex.WorkflowVersion, ErrWorkflowNotFound)
		}
	}
	res, err := r.store.RetryExecution(ctx, &store.RetryExecutionParams{ExecutionID: id, RunnerID: r.id, Decide: r.decide})
	if err != nil {
		return nil, r.storeErr(err)
	}
	// Waiting starts after the retry (a waiter added before would be
	// dropped with a refused one, and others may be waiting on the id), so
	// an execution that ended again meanwhile is looked for once.
	done, err := r.addWaiter(id)
	if err != nil {
		return nil, err
	}
	if again, err := r.store.GetExecution(ctx, id); err == nil {
		if again.State.Terminal() {
			r.finished(id)
		} else if !again.Deadline.IsZero() {
			r.deadlines.add(id, again.Deadline)
		}
	}
	r.log.Info("execution retried", "execution_id", id, "workflow", ex.WorkflowName, "mode", string(RetryModeFailed),
		"tasks", res.Reset)
	r.feed.fire()
	for _, f := range res.Finished {
		r.logEnded(f)
		r.finished(f.ID)
	}
	r.signal()
	return &Execution{r: r, id: id, workflow: ex.WorkflowName, done: done}, nil
}

// retryAll starts a new execution with a finished one's input and
// headers (RetryModeAll).
func (r *Runner) retryAll(ctx context.Context, id string) (*Execution, error) {
	ex, err := r.store.GetExecution(ctx, id)
	if err != nil {
		return nil, r.storeErr(err)
	}
	if !ex.State.Terminal() {
		return nil, fmt.Errorf("execution %s is %s; only a finished one can be retried (cancel it first, or wait for it to end): %w",
			id, ex.State, ErrNotRetryable)
	}
	input, err := contextFromDoc(ex.Input, r.valueLoader(id))
	if err != nil {
		return nil, fmt.Errorf("retry execution %s: input: %w", id, err)
	}
	sub := Submission{Workflow: ex.WorkflowName, Input: input, Headers: headersFromMeta(ex.Meta)}
	ne, err := r.newSubmission(ctx, sub)
	if err != nil {
		return nil, fmt.Errorf("retry execution %s: %w", id, err)
	}
	ne.Origin, ne.OriginName, ne.RetryOf = OriginRetry, id, id
	execs, err := r.submit(ctx, []Submission{sub}, []*store.NewExecution{ne})
	if err != nil {
		return nil, err
	}
	r.log.Info("execution retried", "execution_id", id, "workflow", ex.WorkflowName, "mode", string(RetryModeAll),
		"new_execution_id", execs[0].ID())
	return execs[0], nil
}
