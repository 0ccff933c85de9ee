// Package cloacinatest runs workflows in tests: the real runner, engine,
// trigger rules and context merge, on an in-memory SQLite store and a fake
// clock that jumps over every wait, so a task retried after an hour, or
// one that hangs until its 30-minute timeout, finishes at once, with the
// same result on every run.
//
//	func TestETL(t *testing.T) {
//		t.Parallel()
//		h := cloacinatest.New(t, etl.EtlWorkflow) // shut down by t.Cleanup
//		h.FailTimes("transform", 2, nil)          // the first two attempts fail
//		res := h.Run("etl", cloacinatest.Input(t, "mode", "incremental"))
//		cloacinatest.RequireCompleted(t, res)
//		cloacinatest.RequireSkipped(t, res, "archive")
//		cloacinatest.RequireAttempts(t, res, "transform", 3)
//		cloacinatest.RequireValue(t, res, "rejected", 1)
//	}
//
// # Running
//
// New (or NewWith, for options) starts a Harness for one test with the
// workflows given, generated or built with runtime.NewWorkflow. Run
// executes one and returns its *runtime.PipelineResult; Start and Wait do
// the same in two steps, for several executions at once. RunTask runs one
// task alone on a given input context. Each harness has its own store,
// registry and clock, so tests using it can run in parallel.
//
// # Changing what tasks do
//
// Replace makes a task run another function for the rest of the test;
// FailTimes makes the first n attempts of a task fail in each execution,
// then run its function; Hang stands in for a task that never finishes on
// its own. The harness runs copies of the workflows whose tasks call
// through a table it holds, so the workflows given, and the process-wide
// registry, are untouched.
//
// # Assertions
//
// RequireCompleted, RequireFailed, RequireCancelled, RequireSkipped,
// RequireTaskStatus, RequireAttempts, RequireError and RequireValue fail
// the test with a message showing the execution's task table (Table):
//
//	task "archive" is Completed, want Skipped
//	workflow etl, execution 01a2…: Completed
//	  TASK       STATUS     ATTEMPTS  ERROR OR SKIP REASON
//	  extract    Completed  1
//	  transform  Completed  3
//	  archive    Completed  1
//
// Value decodes a value of the final context. They take a TB, the part of
// testing.TB they use.
//
// # The fake clock
//
// A FakeClock is a runtime.Clock; a harness makes one, and a test may use
// one alone with its own runner (runtime.Config.Clock). Its time moves
// only by Advance, or, while AutoAdvance is on (Harness.Wait turns it on),
// by itself: whenever every runner on the clock is idle, it jumps to its
// next timer (a retry coming due, an attempt's timeout, a workflow's
// deadline, a sleep ending, a fallback poll) and fires it.
//
// Idle has a precise meaning, reported by the runner itself rather than
// guessed from sleeps: no attempt is running, no wake-up is on its way to
// or being handled by one of the runner's loops, and no store call is in
// flight. The runner counts each of these as work in progress, starting
// the count before the work can be seen and ending it only after counting
// what the work led to, so the count is never zero while something is on
// its way (see the runner's alarm.go). Timer callbacks count until they
// return. An attempt stops counting while it waits in Block, Hang or
// FakeClock.Sleep, and whoever wakes it (its timeout, a cancel, the end
// of the sleep) counts it again before waking it. So the clock moves only
// when nothing but the clock can make anything happen, and one timer at a
// time: outcomes and stored times are the same on every run. (Retry
// jitter still varies the delays from run to run; turn it off for exact
// times.)
//
// A task that waits on anything else (a real timer, a channel of the test)
// is running, not idle, and the clock waits for it. A task that waits for
// its context must use Block (or return Hang) for the clock to jump to
// its timeout. On the fake clock a task's context has the deadline and
// error of a deadline context, and context.Cause gives the
// *runtime.TimeoutError or runtime.ErrWorkflowTimeout; contexts derived
// from it end with context.Canceled, with the same cause.
//
// If the clock runs Options.Horizon (30 days by default) ahead while Wait
// waits, nothing can end the execution (a task that hangs with no
// timeout, a paused execution): Wait fails the test with the task table
// instead of hanging.
package cloacinatest
