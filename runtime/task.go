package runtime

import (
	"context"
	"time"
)

// TaskFunc is the signature of a task: ctx carries cancellation and the
// attempt's deadline, c is the data flowing between tasks. Returning an error
// fails the attempt; the task's retry policy decides whether another follows.
type TaskFunc func(ctx context.Context, c *Context) error

// Callback is called after each attempt of a task: OnSuccess after an
// attempt that returned nil, OnFailure after one that failed (whether or not
// a retry follows). Callbacks run on the runner's goroutine for the task;
// a panic in a callback is recovered and logged.
type Callback func(ctx context.Context, info *AttemptInfo)

// AttemptInfo describes one finished attempt, for callbacks.
type AttemptInfo struct {
	ExecutionID  string
	WorkflowName string
	TaskID       string
	Attempt      int // 1 for the first run
	MaxAttempts  int
	// Context is the task's context after the attempt. Callbacks must not
	// keep it after returning.
	Context  *Context
	Err      error // nil on success
	Duration time.Duration
	// WillRetry reports whether another attempt is scheduled.
	WillRetry bool
}

// Task defines one unit of work in a workflow. Generated code fills every
// field; hand-written workflows may leave the optional ones zero.
type Task struct {
	// ID names the task within its workflow.
	ID string
	// Dependencies are the ids of the tasks that must finish first. Their
	// output contexts are merged in this order (later wins) to form this
	// task's input.
	Dependencies []string
	// Func is the work.
	Func TaskFunc
	// Retry is the retry policy; nil means DefaultRetryPolicy().
	Retry *RetryPolicy
	// Trigger decides whether the task runs once its dependencies are
	// terminal; nil means every dependency Completed.
	Trigger *TriggerRule
	// Timeout bounds each attempt; 0 means the runner's default.
	Timeout time.Duration
	// Fingerprint identifies the task's code; it feeds the workflow version.
	// cloacina-gen sets it to a hash of the function and its directive.
	Fingerprint string
	// OnSuccess and OnFailure, when set, are called after each attempt.
	OnSuccess Callback
	OnFailure Callback
}

// RetryPolicyOrDefault returns the task's retry policy, or the default one.
func (t *Task) RetryPolicyOrDefault() RetryPolicy {
	if t.Retry != nil {
		return *t.Retry
	}
	return DefaultRetryPolicy()
}

// Tasker is the interface form of a task, for hand-written task types that
// carry their own behaviour. TaskOf turns a Tasker into a *Task.
type Tasker interface {
	// ID names the task within its workflow.
	ID() string
	// Dependencies are the ids of the tasks that must finish first.
	Dependencies() []string
	// Execute does the work of one attempt.
	Execute(ctx context.Context, c *Context) error
	// RetryPolicy governs retries.
	RetryPolicy() RetryPolicy
	// TriggerRules decides whether the task runs; nil means every
	// dependency Completed.
	TriggerRules() *TriggerRule
	// CodeFingerprint identifies the task's code, for the workflow version.
	CodeFingerprint() string
}

// TaskOf returns the task definition of a Tasker.
func TaskOf(t Tasker) *Task {
	policy := t.RetryPolicy()
	return &Task{
		ID:           t.ID(),
		Dependencies: append([]string(nil), t.Dependencies()...),
		Func:         t.Execute,
		Retry:        &policy,
		Trigger:      t.TriggerRules(),
		Fingerprint:  t.CodeFingerprint(),
	}
}
