package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/cloacinatest"
	"github.com/cloacina-go/cloacina/runtime"
)

// The day's batch of tasks.go: four valid orders from two customers and
// a refund that validate rejects.
var wantSummary = Summary{Customers: 2, Orders: 4, Rejected: 1, RevenueCents: 39_749}

func TestIncrementalRunSkipsTheArchive(t *testing.T) {
	t.Parallel()
	h := cloacinatest.New(t, EtlWorkflow)
	res := h.Run("etl", cloacinatest.Input(t, "mode", "incremental"))
	cloacinatest.RequireCompleted(t, res)
	cloacinatest.RequireSkipped(t, res, "archive")
	// transform fails once on purpose and succeeds after its 100ms retry
	// delay, which passes at once on the harness's clock.
	cloacinatest.RequireAttempts(t, res, "transform", 2)
	if res.Duration != 100*time.Millisecond {
		t.Errorf("the execution took %s on the fake clock, want the 100ms retry delay", res.Duration)
	}
	cloacinatest.RequireValue(t, res, "summary", wantSummary)
	cloacinatest.RequireValue(t, res, "notification", "etl done: 4 orders from 2 customers, 397.49 in revenue, 1 rejected")
}

func TestFullRunArchives(t *testing.T) {
	t.Parallel()
	h := cloacinatest.New(t, EtlWorkflow)
	res := h.Run("etl", cloacinatest.Input(t, "mode", "full"))
	cloacinatest.RequireCompleted(t, res)
	cloacinatest.RequireValue(t, res, "archived", []string{"acme", "globex"})
	cloacinatest.RequireValue(t, res, "notification",
		"etl done: 4 orders from 2 customers, 397.49 in revenue, 1 rejected; totals archived")
}

func TestFailedLoadIsStillNotified(t *testing.T) {
	t.Parallel()
	h := cloacinatest.New(t, EtlWorkflow)
	h.Replace("load", func(context.Context, *runtime.Context) error {
		return runtime.Permanent(errors.New("warehouse is read-only"))
	})
	res := h.Run("etl", nil)
	cloacinatest.RequireFailed(t, res, "load")
	cloacinatest.RequireAttempts(t, res, "load", 1) // a permanent error is not retried
	cloacinatest.RequireTaskStatus(t, res, "notify", runtime.TaskStatusCompleted)
	cloacinatest.RequireValue(t, res, "notification", "etl failed: no summary was loaded")
}

func TestTransformGivesUpAfterThreeAttempts(t *testing.T) {
	t.Parallel()
	h := cloacinatest.New(t, EtlWorkflow)
	h.FailTimes("transform", 3, runtime.Transient(errors.New("warehouse connection reset")))
	res := h.Run("etl", cloacinatest.Input(t, "mode", "full"))
	cloacinatest.RequireFailed(t, res, "transform")
	cloacinatest.RequireAttempts(t, res, "transform", 3)
	cloacinatest.RequireError(t, res, "transform", "warehouse connection reset")
	// Neither load nor archive ran, so notify's rule (load succeeded or
	// failed) does not hold either.
	cloacinatest.RequireSkipped(t, res, "load", "archive", "notify")
}

func TestValidateRejectsABatchWithNoValidOrder(t *testing.T) {
	t.Parallel()
	h := cloacinatest.New(t, EtlWorkflow)
	in := cloacinatest.Input(t, "orders", []Order{{ID: 1, Customer: "acme", AmountCents: -5}, {ID: 2, AmountCents: 10}})
	res := h.RunTask("etl", "validate", in)
	cloacinatest.RequireFailed(t, res, "validate")
	cloacinatest.RequireAttempts(t, res, "validate", 1)
	cloacinatest.RequireError(t, res, "validate", "no valid orders to process")

	res = h.RunTask("etl", "validate", cloacinatest.Input(t, "orders", []Order{{ID: 7, Customer: "acme", AmountCents: 1}}))
	cloacinatest.RequireCompleted(t, res)
	cloacinatest.RequireValue(t, res, "rejected", 0)
}
