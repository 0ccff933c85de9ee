package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// SubmitHook is called, in the submitter's goroutine and with its
// context, for each new execution about to be stored by Execute,
// ExecuteAsync or ExecuteMany, the first hook first. It may add headers
// to sub.Headers: they are stored with the execution and reach every
// attempt of its tasks, in any process (TaskMeta.Headers), which is how a
// trace context travels with an execution.
//
// The function it returns, when not nil, is called once: with the
// execution as it ended, as soon as this runner learns of the end (from
// its own writes, a notification from another process, or its fallback
// poll); or with nil and the reason no end will be reported: the
// submission failed, or its idempotency key was taken by another
// execution, whose handle the submitter gets instead. If the runner shuts
// down first, it is called during Shutdown with the execution as it
// stands and ErrRunnerClosed. It is called from a goroutine of the
// runner, and must not block for long.
type SubmitHook func(ctx context.Context, sub *SubmitInfo) (ended func(ex *ExecutionSummary, err error))

// SubmitInfo describes an execution about to be stored, for SubmitHooks.
type SubmitInfo struct {
	ExecutionID     string
	WorkflowName    string
	WorkflowVersion string
	// Headers are the submission's headers (Submission.Headers); a hook
	// may add to them. Never nil.
	Headers map[string]string
}

// WithHeaders adds headers to a submission made with Execute or
// ExecuteAsync: see Submission.Headers.
func WithHeaders(h map[string]string) ExecuteOption {
	return func(s *Submission) {
		if s.Headers == nil {
			s.Headers = map[string]string{}
		}
		maps.Copy(s.Headers, h)
	}
}

// execMeta is the stored form of what an execution carries for its
// runners (the store's Meta, opaque to it).
type execMeta struct {
	Headers map[string]string `json:"headers,omitempty"`
}

func encodeMeta(headers map[string]string) []byte {
	if len(headers) == 0 {
		return nil
	}
	b, err := json.Marshal(execMeta{Headers: headers})
	if err != nil { // unreachable: strings only
		return nil
	}
	return b
}

// headersFromMeta reads the headers of a stored Meta; a Meta it cannot
// read (written by a newer version, say) has none.
func headersFromMeta(meta []byte) map[string]string {
	if len(meta) == 0 {
		return nil
	}
	var m execMeta
	if json.Unmarshal(meta, &m) != nil {
		return nil
	}
	return m.Headers
}

// submitHooks runs the SubmitHooks for news (prepared from subs) and
// stores the headers they set. It returns each execution's end callbacks.
func (r *Runner) submitHooks(ctx context.Context, subs []Submission, news []*store.NewExecution) [][]func(*ExecutionSummary, error) {
	if len(r.cfg.SubmitHooks) == 0 {
		return nil
	}
	ends := make([][]func(*ExecutionSummary, error), len(news))
	for i, ne := range news {
		info := &SubmitInfo{ExecutionID: ne.ID, WorkflowName: ne.WorkflowName, WorkflowVersion: ne.WorkflowVersion,
			Headers: maps.Clone(subs[i].Headers)}
		if info.Headers == nil {
			info.Headers = map[string]string{}
		}
		for _, h := range r.cfg.SubmitHooks {
			if f := h(ctx, info); f != nil {
				ends[i] = append(ends[i], f)
			}
		}
		ne.Meta = encodeMeta(info.Headers)
	}
	return ends
}

// takeEnders removes and returns the end callbacks of an execution.
func (r *Runner) takeEnders(id string) []func(*ExecutionSummary, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ends := r.enders[id]
	delete(r.enders, id)
	return ends
}

// callEnders calls end callbacks with their executions as stored: ended,
// or not yet (the runner is shutting down: ErrRunnerClosed).
func (r *Runner) callEnders(ctx context.Context, enders map[string][]func(*ExecutionSummary, error)) {
	if len(enders) == 0 {
		return
	}
	ids := make([]string, 0, len(enders))
	for id := range enders {
		ids = append(ids, id)
	}
	byID := map[string]*ExecutionSummary{}
	es, readErr := r.store.ListExecutions(ctx, &store.ListExecutionsParams{IDs: ids, Limit: len(ids)})
	for _, e := range es {
		if sum, err := summarize(e); err == nil {
			byID[e.ID] = &sum
		}
	}
	for id, ends := range enders {
		sum, err := byID[id], error(nil)
		switch {
		case sum == nil && readErr != nil:
			err = fmt.Errorf("read execution %s: %w", id, readErr)
		case sum == nil:
			err = fmt.Errorf("execution %s: %w", id, ErrExecutionNotFound)
		case !sum.Status.Terminal():
			err = ErrRunnerClosed
		}
		for _, f := range ends {
			r.callEnder(f, sum, err)
		}
	}
}

func (r *Runner) callEnder(f func(*ExecutionSummary, error), sum *ExecutionSummary, err error) {
	defer func() {
		if v := recover(); v != nil {
			r.log.Error("submit hook's end callback panicked", "panic", v)
		}
	}()
	f(sum, err)
}

// summarize describes a stored execution.
func summarize(e *store.Execution) (ExecutionSummary, error) {
	status, err := fromStoreExecState(e.State)
	if err != nil {
		return ExecutionSummary{}, fmt.Errorf("execution %s: %w", e.ID, err)
	}
	return ExecutionSummary{
		ID: e.ID, WorkflowName: e.WorkflowName, WorkflowVersion: e.WorkflowVersion, Status: status,
		CreatedAt: e.CreatedAt, StartedAt: e.StartedAt, CompletedAt: e.CompletedAt, Error: e.Error,
		Headers: headersFromMeta(e.Meta), Origin: e.Origin, OriginName: e.OriginName,
	}, nil
}
