package runtime

import (
	"fmt"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// TaskStatus is the state of one task within one execution.
//
//	NotStarted -> Ready -> Running -> Completed | Failed | Skipped
//	Running -> Ready (a retry, with a later retry time and attempt + 1)
//	Running | Ready after an attempt -> Cancelled (the execution ended)
type TaskStatus int

// Task states.
const (
	// TaskStatusNotStarted: waiting for its dependencies.
	TaskStatusNotStarted TaskStatus = iota
	// TaskStatusReady: may be claimed by a runner (possibly after a retry time).
	TaskStatusReady
	// TaskStatusRunning: claimed by a runner and executing.
	TaskStatusRunning
	// TaskStatusCompleted: finished successfully.
	TaskStatusCompleted
	// TaskStatusFailed: failed its last allowed attempt, or was abandoned.
	TaskStatusFailed
	// TaskStatusSkipped: it never ran: its trigger rule did not hold, or its
	// execution ended before it started.
	TaskStatusSkipped
	// TaskStatusCancelled: it had started (it was running, or waiting for a
	// retry) when its execution was cancelled or timed out. Its attempts
	// and times are kept.
	TaskStatusCancelled
)

var taskStatusNames = [...]string{"NotStarted", "Ready", "Running", "Completed", "Failed", "Skipped", "Cancelled"}

// taskStates maps each TaskStatus to its stored state: the one place the
// two meet (a test checks that every stored state has its status).
var taskStates = [...]store.TaskState{
	TaskStatusNotStarted: store.TaskNotStarted,
	TaskStatusReady:      store.TaskReady,
	TaskStatusRunning:    store.TaskRunning,
	TaskStatusCompleted:  store.TaskCompleted,
	TaskStatusFailed:     store.TaskFailed,
	TaskStatusSkipped:    store.TaskSkipped,
	TaskStatusCancelled:  store.TaskCancelled,
}

func fromStoreTaskState(s store.TaskState) (TaskStatus, error) {
	for i, st := range taskStates {
		if st == s {
			return TaskStatus(i), nil
		}
	}
	return 0, fmt.Errorf("unknown stored task state %q", s)
}

// String returns the state's name, such as "Completed".
func (s TaskStatus) String() string {
	if s >= 0 && int(s) < len(taskStatusNames) {
		return taskStatusNames[s]
	}
	return fmt.Sprintf("TaskStatus(%d)", int(s))
}

// Terminal reports whether the state is final: Completed, Failed, Skipped
// or Cancelled.
func (s TaskStatus) Terminal() bool {
	return s == TaskStatusCompleted || s == TaskStatusFailed || s == TaskStatusSkipped || s == TaskStatusCancelled
}

// MarshalText encodes the state as its name.
func (s TaskStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a state name as written by MarshalText.
func (s *TaskStatus) UnmarshalText(b []byte) error {
	for i, n := range taskStatusNames {
		if n == string(b) {
			*s = TaskStatus(i)
			return nil
		}
	}
	return fmt.Errorf("unknown task status %q", b)
}

// PipelineStatus is the state of a whole execution.
type PipelineStatus int

// Execution states.
const (
	// PipelineStatusPending: created, no task has started yet.
	PipelineStatusPending PipelineStatus = iota
	// PipelineStatusRunning: at least one task has started and not all are terminal.
	PipelineStatusRunning
	// PipelineStatusCompleted: every task is terminal and none Failed.
	PipelineStatusCompleted
	// PipelineStatusFailed: every task is terminal and at least one Failed, or the
	// workflow timed out.
	PipelineStatusFailed
	// PipelineStatusCancelled: cancelled before it finished.
	PipelineStatusCancelled
	// PipelineStatusPaused: no new task is claimed until it is resumed.
	PipelineStatusPaused
)

var pipelineStatusNames = [...]string{"Pending", "Running", "Completed", "Failed", "Cancelled", "Paused"}

// executionStates maps each PipelineStatus to its stored state (see
// taskStates).
var executionStates = [...]store.ExecutionState{
	PipelineStatusPending:   store.ExecutionPending,
	PipelineStatusRunning:   store.ExecutionRunning,
	PipelineStatusCompleted: store.ExecutionCompleted,
	PipelineStatusFailed:    store.ExecutionFailed,
	PipelineStatusCancelled: store.ExecutionCancelled,
	PipelineStatusPaused:    store.ExecutionPaused,
}

func fromStoreExecState(s store.ExecutionState) (PipelineStatus, error) {
	for i, st := range executionStates {
		if st == s {
			return PipelineStatus(i), nil
		}
	}
	return 0, fmt.Errorf("unknown stored execution state %q", s)
}

func toStoreExecState(s PipelineStatus) (store.ExecutionState, error) {
	if s < 0 || int(s) >= len(executionStates) {
		return "", fmt.Errorf("unknown execution status %d", int(s))
	}
	return executionStates[s], nil
}

// String returns the state's name, such as "Completed".
func (s PipelineStatus) String() string {
	if s >= 0 && int(s) < len(pipelineStatusNames) {
		return pipelineStatusNames[s]
	}
	return fmt.Sprintf("PipelineStatus(%d)", int(s))
}

// Terminal reports whether the state is final: Completed, Failed or Cancelled.
func (s PipelineStatus) Terminal() bool {
	return s == PipelineStatusCompleted || s == PipelineStatusFailed || s == PipelineStatusCancelled
}

// MarshalText encodes the state as its name.
func (s PipelineStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a state name as written by MarshalText.
func (s *PipelineStatus) UnmarshalText(b []byte) error {
	for i, n := range pipelineStatusNames {
		if n == string(b) {
			*s = PipelineStatus(i)
			return nil
		}
	}
	return fmt.Errorf("unknown pipeline status %q", b)
}

// PipelineResult is the outcome of one execution of a workflow.
type PipelineResult struct {
	ExecutionID     string
	WorkflowName    string
	WorkflowVersion string
	Status          PipelineStatus
	// StartedAt is when its first task was claimed; for an execution that
	// never started one (ended before, or every task skipped), its
	// creation.
	StartedAt   time.Time
	CompletedAt time.Time // zero while the execution is not terminal
	// Duration is CompletedAt - StartedAt; zero while not terminal.
	Duration time.Duration
	// Context is the merge of the leaf tasks' output contexts.
	Context *Context
	// Tasks holds one result per task, in the workflow's topological order.
	Tasks []TaskResult
	// Err is non-nil when Status is Failed or Cancelled: the first failed
	// task's *TaskError, or what ended the execution.
	Err error
}

// Task returns the result of the task with the given id.
func (r *PipelineResult) Task(id string) (TaskResult, bool) {
	for _, t := range r.Tasks {
		if t.TaskID == id {
			return t, true
		}
	}
	return TaskResult{}, false
}

// TaskResult is the outcome of one task within an execution.
type TaskResult struct {
	TaskID   string
	Status   TaskStatus
	Attempts int // attempts started, recovered ones included
	// StartedAt is when the task's first attempt was claimed, in the
	// store's transaction (often the instant its dependency's outcome was
	// recorded); CompletedAt when its terminal state was stored. Duration
	// is the time between them: it includes retries and their delays and
	// the commits around the attempts. How long the task function itself
	// ran is AttemptInfo.Duration (the attempt hooks) and the
	// cloacina.attempt.duration metric of otelcloacina.
	StartedAt   time.Time
	CompletedAt time.Time
	Duration    time.Duration
	// Err is the last attempt's *TaskError when Status is Failed (or the
	// last failed attempt's when a Cancelled task had failed before).
	Err error
	// SkipReason says why a Skipped task did not run.
	SkipReason string
	// Input is the context the task was given (nil until it was decided);
	// Output what it left: its input plus its writes when it Completed,
	// its input when it did not (nil until it is terminal). Values stored
	// out of line are read when first asked for.
	Input, Output *Context
}
