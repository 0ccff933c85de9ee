package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// TimeoutError is the cause of an attempt that ran past its timeout (the
// task's Timeout or the runner's DefaultTaskTimeout). It is a
// context.DeadlineExceeded, and transient.
type TimeoutError struct {
	// After is the timeout that fired.
	After time.Duration
}

// Error returns a message such as "task timed out after 30s".
func (e *TimeoutError) Error() string { return fmt.Sprintf("task timed out after %s", e.After) }

// Is reports true for context.DeadlineExceeded.
func (e *TimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// Timeout reports true, as a net.Error's Timeout does.
func (e *TimeoutError) Timeout() bool { return true }

// RecordedError is a failed attempt's error as the store recorded it, read
// back in this process or in another: every error a result carries is one
// (inside its *TaskError). It keeps what can survive the store — the
// message, the Go type of the innermost error, and what kind of failure it
// was — and answers errors.Is, errors.As, IsTransient and IsPermanent as
// the original did for those kinds:
//
//   - a panic: errors.As(err, &panicErr) gives a *PanicError with the
//     panic value (as text) and the stack;
//   - a timeout: errors.Is(err, context.DeadlineExceeded), and errors.As
//     gives the *TimeoutError with the timeout that fired;
//   - a cancellation: errors.Is(err, context.Canceled),
//     ErrExecutionCancelled or ErrWorkflowTimeout as the original was;
//   - a context error: errors.As gives a *ContextError with its operation
//     and key, which errors.Is matches against ErrKeyNotFound or
//     ErrKeyExists;
//   - marked with Transient, or transient by kind (see IsTransient), or
//     with Permanent: IsTransient and IsPermanent report it.
//
// A user's own sentinel values and error types cannot survive: errors.Is
// against them is false on a result. Test Type (the innermost error's type
// as fmt's %T prints it, such as "*fs.PathError") or the message instead,
// or mark the error with Transient or Permanent where the distinction
// matters to retries.
type RecordedError struct {
	// Message is the error's message, as Error returned it.
	Message string
	// Type is the Go type of the innermost error of the chain, such as
	// "*errors.errorString" or "*net.OpError".
	Type string
	// Transient and Permanent say how the error was marked or classified
	// (see IsTransient and IsPermanent).
	Transient, Permanent bool

	causes []error // what errors.Is and errors.As find
}

// Error returns the original message.
func (e *RecordedError) Error() string { return e.Message }

// Unwrap returns what the original error was, for errors.Is and errors.As.
func (e *RecordedError) Unwrap() []error { return e.causes }

// errorDetail is the stored form of a RecordedError (the store's
// ErrorDetail, opaque to it).
type errorDetail struct {
	Type      string        `json:"type,omitempty"`
	Transient bool          `json:"transient,omitempty"`
	Permanent bool          `json:"permanent,omitempty"`
	Panic     *panicDetail  `json:"panic,omitempty"`
	Timeout   time.Duration `json:"timeout,omitempty"` // a TimeoutError's
	Deadline  bool          `json:"deadline,omitempty"`
	Canceled  bool          `json:"canceled,omitempty"`
	Cancelled bool          `json:"execution_cancelled,omitempty"`
	Expired   bool          `json:"workflow_timeout,omitempty"`
	Context   *ctxDetail    `json:"context,omitempty"`
}

type panicDetail struct {
	Value string `json:"value"`
	Stack string `json:"stack"`
}

type ctxDetail struct {
	Op  string `json:"op"`
	Key string `json:"key"`
	Err string `json:"err,omitempty"` // "key_not_found", "key_exists", or the message
}

// recordError returns what the store keeps of err: its message and detail.
func recordError(err error) (string, []byte) {
	d := errorDetail{Type: innermostType(err), Transient: IsTransient(err), Permanent: IsPermanent(err)}
	var pe *PanicError
	if errors.As(err, &pe) {
		d.Panic = &panicDetail{Value: fmt.Sprint(pe.Value), Stack: pe.Stack}
	}
	var te *TimeoutError
	if errors.As(err, &te) {
		d.Timeout = te.After
	}
	d.Deadline = errors.Is(err, context.DeadlineExceeded)
	d.Canceled = errors.Is(err, context.Canceled)
	d.Cancelled = errors.Is(err, ErrExecutionCancelled)
	d.Expired = errors.Is(err, ErrWorkflowTimeout)
	var ce *ContextError
	if errors.As(err, &ce) {
		cd := &ctxDetail{Op: ce.Op, Key: ce.Key}
		switch {
		case errors.Is(ce.Err, ErrKeyNotFound):
			cd.Err = "key_not_found"
		case errors.Is(ce.Err, ErrKeyExists):
			cd.Err = "key_exists"
		case ce.Err != nil:
			cd.Err = ce.Err.Error()
		}
		d.Context = cd
	}
	b, jerr := json.Marshal(d)
	if jerr != nil { // unreachable: strings, bools and numbers only
		b = nil
	}
	return err.Error(), b
}

// restoreError rebuilds a recorded error from the store's message and
// detail. A detail that cannot be read (written by a newer version, say)
// leaves the message alone.
func restoreError(msg string, detail []byte) *RecordedError {
	re := &RecordedError{Message: msg}
	var d errorDetail
	if len(detail) == 0 || json.Unmarshal(detail, &d) != nil {
		return re
	}
	re.Type, re.Transient, re.Permanent = d.Type, d.Transient, d.Permanent
	if d.Panic != nil {
		re.causes = append(re.causes, &PanicError{Value: d.Panic.Value, Stack: d.Panic.Stack})
	}
	switch {
	case d.Timeout > 0:
		re.causes = append(re.causes, &TimeoutError{After: d.Timeout})
	case d.Deadline:
		re.causes = append(re.causes, context.DeadlineExceeded)
	}
	if d.Canceled {
		re.causes = append(re.causes, context.Canceled)
	}
	if d.Cancelled {
		re.causes = append(re.causes, ErrExecutionCancelled)
	}
	if d.Expired {
		re.causes = append(re.causes, ErrWorkflowTimeout)
	}
	if d.Context != nil {
		ce := &ContextError{Op: d.Context.Op, Key: d.Context.Key}
		switch d.Context.Err {
		case "key_not_found":
			ce.Err = ErrKeyNotFound
		case "key_exists":
			ce.Err = ErrKeyExists
		default:
			ce.Err = errors.New(d.Context.Err)
		}
		re.causes = append(re.causes, ce)
	}
	return re
}

// innermostType names the type of the last error of err's chain (the first
// branch of a joined error).
func innermostType(err error) string {
	for {
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			next := u.Unwrap()
			if next == nil {
				return fmt.Sprintf("%T", err)
			}
			err = next
		case interface{ Unwrap() []error }:
			errs := u.Unwrap()
			if len(errs) == 0 || errs[0] == nil {
				return fmt.Sprintf("%T", err)
			}
			err = errs[0]
		default:
			return fmt.Sprintf("%T", err)
		}
	}
}
