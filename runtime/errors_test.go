package runtime

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestTaskError(t *testing.T) {
	cause := errors.New("connection refused")
	err := fmt.Errorf("run: %w", &TaskError{ExecutionID: "e1", TaskID: "load", Attempt: 3, Err: cause})
	var te *TaskError
	if !errors.As(err, &te) || te.TaskID != "load" || !errors.Is(err, cause) {
		t.Fatalf("errors.As/Is through TaskError: %v", err)
	}
	if te.Error() != `task "load" attempt 3: connection refused` {
		t.Fatalf("message %q", te.Error())
	}
	if (&TaskError{TaskID: "x", Err: cause}).Error() != `task "x": connection refused` {
		t.Fatal("message without attempt")
	}
	timeout := &TaskError{TaskID: "slow", Attempt: 1, Err: context.DeadlineExceeded}
	if !errors.Is(timeout, context.DeadlineExceeded) || !IsTransient(timeout) {
		t.Fatal("a timed-out attempt must be recognisable and transient")
	}
	p := &PanicError{Value: "boom", Stack: "goroutine 1 [running]:"}
	if p.Error() != "panic: boom" {
		t.Fatalf("panic message %q", p.Error())
	}
}

func TestValidationErrorsHelper(t *testing.T) {
	a := &ValidationError{Kind: Cycle, Workflow: "w", Detail: "cycle: a -> a"}
	b := &ValidationError{Kind: EmptyWorkflow, Workflow: "w", Detail: "workflow has no tasks"}
	joined := fmt.Errorf("loading: %w", errors.Join(a, errors.New("other"), b))
	got := ValidationErrors(joined)
	if len(got) != 2 || got[0] != a || got[1] != b {
		t.Fatalf("ValidationErrors = %v", got)
	}
	if ValidationErrors(nil) != nil {
		t.Fatal("nil")
	}
	if Cycle.String() != "cycle" || ValidationKind(0).String() != "ValidationKind(0)" {
		t.Fatal("kind names")
	}
}
