package runtime

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
)

// Sentinel errors. Compare with errors.Is; the errors returned by this
// package wrap them with the key or name concerned.
var (
	// ErrKeyNotFound is returned by Context.Get and Context.Update when the
	// key is absent.
	ErrKeyNotFound = errors.New("key not found")
	// ErrKeyExists is returned by Context.Insert when the key is present.
	ErrKeyExists = errors.New("key already exists")
	// ErrWorkflowNotFound is returned when no registered workflow has the
	// requested name.
	ErrWorkflowNotFound = errors.New("workflow not found")
	// ErrWorkflowExists is returned by Registry.Register when a different
	// version of the workflow is already registered under the same name.
	ErrWorkflowExists = errors.New("workflow already registered")
	// ErrInvalidConfig is wrapped by NewRunner's error for a Config field
	// that is out of range or malformed; the message names each field.
	ErrInvalidConfig = errors.New("invalid runner config")
	// ErrInvalidInput is what an *InputError wraps: a submission's input
	// does not match the inputs its workflow declares.
	ErrInvalidInput = errors.New("input does not match the workflow's declared inputs")
)

// AmbiguousIDError is ExecutionByPrefix's answer for a prefix that starts
// the ids of several executions.
type AmbiguousIDError struct {
	Prefix string
	// IDs are the first ids the prefix starts, in byte order; More is set
	// when there are others.
	IDs  []string
	More bool
}

// Error returns a message such as `execution id prefix "01a2" is
// ambiguous: it starts 01a2...-1, 01a2...-2; give more of the id`.
func (e *AmbiguousIDError) Error() string {
	more := ""
	if e.More {
		more = " and more"
	}
	return fmt.Sprintf("execution id prefix %q is ambiguous: it starts %s%s; give more of the id", e.Prefix, strings.Join(e.IDs, ", "), more)
}

// InputError refuses a submission whose input does not match the inputs
// its workflow declares (WorkflowBuilder.Inputs, inputs= on
// //cloacina:workflow): a key that is not declared, or a value of another
// type. Nothing was stored. errors.Is(err, ErrInvalidInput) reports it.
type InputError struct {
	Workflow string
	// Problems say what is wrong, one per key, in key order.
	Problems []string
}

// Error returns the problems, such as `input key "txt" is not an input of
// workflow "wordstats" (inputs: text); did you mean "text"?`.
func (e *InputError) Error() string { return strings.Join(e.Problems, "; ") }

// Unwrap returns ErrInvalidInput.
func (e *InputError) Unwrap() error { return ErrInvalidInput }

// ContextError reports a failed Context operation and the key it was about.
// Err is ErrKeyNotFound, ErrKeyExists, or the JSON error that made a value
// impossible to encode or decode.
type ContextError struct {
	Op  string // "insert", "update", "set", "get"
	Key string
	Err error
}

// Error returns a message such as `context insert "rows": key already exists`.
func (e *ContextError) Error() string {
	return fmt.Sprintf("context %s %q: %v", e.Op, e.Key, e.Err)
}

// Unwrap returns the underlying error.
func (e *ContextError) Unwrap() error { return e.Err }

// TaskError reports the failure of one attempt of a task. In a result, Err
// is a *RecordedError: what the store kept of the error the task returned
// (see RecordedError for what errors.Is and errors.As find in it: a
// *PanicError for a panic, a *TimeoutError for a timeout, and so on).
type TaskError struct {
	ExecutionID string
	TaskID      string
	Attempt     int
	Err         error
}

// Error returns a message such as `task "load" attempt 3: connection refused`.
func (e *TaskError) Error() string {
	if e.Attempt > 0 {
		return fmt.Sprintf("task %q attempt %d: %v", e.TaskID, e.Attempt, e.Err)
	}
	return fmt.Sprintf("task %q: %v", e.TaskID, e.Err)
}

// Unwrap returns the underlying error.
func (e *TaskError) Unwrap() error { return e.Err }

// PanicError is the error of a task attempt that panicked. The runner
// recovers the panic, fails the attempt with this error and keeps going.
type PanicError struct {
	Value any    // the value passed to panic
	Stack string // the goroutine's stack at the panic
}

// Error returns the panic value on one line; the stack is in Stack, and the
// runner logs it with the failed attempt.
func (e *PanicError) Error() string {
	return fmt.Sprintf("panic: %v", e.Value)
}

// ValidationKind classifies a ValidationError.
type ValidationKind int

const (
	// EmptyWorkflow: the workflow has no tasks.
	EmptyWorkflow ValidationKind = iota + 1
	// DuplicateTask: two tasks share an id.
	DuplicateTask
	// MissingDependency: a task depends on an id that is not in the workflow.
	MissingDependency
	// DuplicateDependency: a task lists the same dependency twice.
	DuplicateDependency
	// Cycle: the dependencies loop; Path holds the loop.
	Cycle
	// InvalidTriggerRule: a trigger rule is malformed or names a task that
	// is not upstream of the task it guards.
	InvalidTriggerRule
	// InvalidName: a workflow name or task id is not of the allowed form.
	InvalidName
	// InvalidTask: a task definition is incomplete or inconsistent (no
	// function, a bad retry policy, a negative timeout).
	InvalidTask
	// InvalidSchedule: a schedule or trigger of the workflow is malformed
	// or repeats a name.
	InvalidSchedule
	// InvalidInput: a declared input (WorkflowBuilder.Inputs) has no
	// name, is declared twice or has an unknown type.
	InvalidInput
)

// String returns the kind in snake_case, such as "missing_dependency".
func (k ValidationKind) String() string {
	switch k {
	case EmptyWorkflow:
		return "empty_workflow"
	case DuplicateTask:
		return "duplicate_task"
	case MissingDependency:
		return "missing_dependency"
	case DuplicateDependency:
		return "duplicate_dependency"
	case Cycle:
		return "cycle"
	case InvalidTriggerRule:
		return "invalid_trigger_rule"
	case InvalidName:
		return "invalid_name"
	case InvalidTask:
		return "invalid_task"
	case InvalidSchedule:
		return "invalid_schedule"
	case InvalidInput:
		return "invalid_input"
	}
	return fmt.Sprintf("ValidationKind(%d)", int(k))
}

// ValidationError reports why a workflow definition is invalid. Building a
// workflow reports every problem at once, joined with errors.Join; use
// errors.As to reach the first, or range over the joined errors.
type ValidationError struct {
	Kind     ValidationKind
	Workflow string
	// Task is the task the problem is about, when there is one.
	Task string
	// Dependency is the unknown or repeated dependency (MissingDependency,
	// DuplicateDependency) or the task a trigger rule wrongly names.
	Dependency string
	// Suggestions are known task ids close to Dependency.
	Suggestions []string
	// Path is the loop of a Cycle, first id repeated at the end.
	Path []string
	// Detail is the problem in words, without the workflow prefix.
	Detail string
}

// Error returns a message such as `workflow "etl": cycle: a -> b -> a`.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("workflow %q: %s", e.Workflow, e.Detail)
}

// ValidationErrors returns the *ValidationError values in err, which may be a
// single *ValidationError or several joined by errors.Join.
func ValidationErrors(err error) []*ValidationError {
	var out []*ValidationError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if v, ok := err.(*ValidationError); ok {
			out = append(out, v)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// transientError marks an error as worth retrying under RetryTransient.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// permanentError marks an error as never worth retrying.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Transient marks err as transient: a task returning it is retried under the
// `transient` retry condition (and under `all`). Transient(nil) is nil.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &transientError{err}
}

// Permanent marks err as permanent: a task returning it is never retried,
// whatever its retry policy says. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsTransient reports whether err is worth retrying under the transient
// retry condition. Anywhere in its chain it is:
//
//   - marked with Transient;
//   - a timeout: context.DeadlineExceeded (an attempt's timeout), or an
//     error with a Timeout() bool method that returns true, such as a
//     net.Error that timed out;
//   - a connection refused, reset or aborted, a broken pipe, or a host or
//     network that is unreachable (the syscall errors ECONNREFUSED,
//     ECONNRESET, ECONNABORTED, EPIPE, EHOSTUNREACH, ENETUNREACH), as the
//     net package reports them;
//   - a DNS lookup that failed temporarily or timed out (*net.DNSError
//     with IsTemporary or IsTimeout);
//   - a *RecordedError whose original was transient.
//
// Errors are recognised by type, never by their message. An error marked
// with Permanent is not transient, whatever else it is.
func IsTransient(err error) bool {
	if err == nil || IsPermanent(err) {
		return false
	}
	var t *transientError
	if errors.As(err, &t) {
		return true
	}
	var re *RecordedError
	if errors.As(err, &re) && re.Transient {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var to interface{ Timeout() bool }
	if errors.As(err, &to) && to.Timeout() {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && (dns.IsTemporary || dns.IsTimeout) {
		return true
	}
	for _, errno := range transientErrnos {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// transientErrnos are the system errors of a connection that may work on
// another try.
var transientErrnos = []error{
	syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED,
	syscall.EPIPE, syscall.EHOSTUNREACH, syscall.ENETUNREACH,
}

// IsPermanent reports whether err was marked with Permanent anywhere in its
// chain (or is a *RecordedError whose original was).
func IsPermanent(err error) bool {
	var p *permanentError
	if errors.As(err, &p) {
		return true
	}
	var re *RecordedError
	return errors.As(err, &re) && re.Permanent
}
