// Package runtime is the public API of Cloacina for Go: the data that flows
// between tasks, the definitions of tasks and workflows, retry policies,
// trigger rules, results and errors.
//
// Most programs never build these values by hand. They annotate plain
// functions with //cloacina:task and //cloacina:workflow comments, run
// go generate, and get a cloacina_gen.go that defines every workflow with
// this package and registers it in the default Registry. Everything the
// generator emits can also be written by hand, which is how tests and
// dynamic programs use the package.
//
// # Tasks
//
// A task is a function with the signature of TaskFunc:
//
//	func Transform(ctx context.Context, c *runtime.Context) error
//
// ctx carries cancellation and the attempt's deadline; c is the task's view
// of the execution's data. A Task value adds what the engine needs to know:
// its id, the ids it depends on, a RetryPolicy, a TriggerRule, a per-attempt
// timeout, a code fingerprint and callbacks. Hand-written task types can
// implement Tasker instead and be turned into a Task with TaskOf.
//
// # Context
//
// A Context holds JSON values under string keys. Insert adds a key and fails
// with ErrKeyExists if it is present, Update changes a key and fails with
// ErrKeyNotFound if it is absent, Set does either, Get and the generic Get
// decode a value. Values are encoded when stored, so a value that cannot be
// represented in JSON is refused at once with a *ContextError naming the key.
//
// A root task receives the execution's input. Any other task receives the
// merge of its dependencies' output contexts, in the order of its
// Dependencies (later wins): objects merge recursively, arrays are
// concatenated keeping the earlier elements and appending the later ones
// not already present, and any other value is replaced. A task's output is
// its input plus its writes; the final context of an execution is the merge
// of the outputs of the tasks nothing depends on.
//
// # Workflows
//
// NewWorkflow assembles tasks into a Workflow and Build validates it: an
// empty workflow, a duplicate id, an unknown dependency (with suggestions),
// a cycle (with its full path) or a trigger rule naming a task that is not
// upstream are all reported at once as *ValidationError values. A valid
// workflow knows its topological order and levels, and its Version: a hash
// of its name and its tasks' ids, fingerprints and dependencies. Because
// generated fingerprints hash each task's code and directive, editing a task
// gives the workflow a new version, and every execution records the version
// it ran.
//
// # Trigger rules
//
// Once every dependency of a task is terminal, its trigger rule decides
// whether it runs or is Skipped. Without a rule the task runs when every
// dependency Completed, and is otherwise skipped with a reason naming the
// dependency. Rules combine:
//
//	runtime.All(
//		runtime.TaskSuccess("transform"),
//		runtime.Any(
//			runtime.ContextValue("mode", runtime.OpEquals, "full"),
//			runtime.ContextValue("rows", runtime.OpGreaterThan, 1000),
//		),
//	)
//
// All and None with no rules hold; Any with none does not. task_success,
// task_failed and task_skipped test an upstream task's state; context_value
// compares the merged input context's value at a key: equals and not_equals
// compare JSON values (numbers by value), greater_than and less_than are
// false unless both sides are numbers, contains and not_contains look into
// strings, arrays and objects, and exists and not_exists test presence. A
// missing key makes every comparison false except not_exists. A rule's
// String method prints the annotation syntax; its JSON form is
// {"kind":"all","rules":[...]}, {"kind":"task_success","task":"x"} or
// {"kind":"context_value","key":"k","op":"equals","value":1}.
//
// # Retries
//
// A RetryPolicy counts attempts in total, the first run included. The delay
// before the next attempt is fixed, linear or exponential from InitialDelay,
// capped at MaxDelay; with Jitter each delay is spread by ±25% but never
// above the cap. The condition decides which errors are retried: all of
// them, none, transient ones (see IsTransient: timeouts, errors wrapped with
// Transient, refused or reset connections and temporary DNS failures,
// recognised by type), or those whose message contains one of a list of
// substrings. An error wrapped with Permanent is never retried. DefaultRetryPolicy gives three
// attempts, exponential backoff from one second up to thirty, with jitter.
//
// # States and results
//
// A task moves NotStarted → Ready → Running → Completed, Failed or Skipped,
// and from Running back to Ready for a retry. When its execution is
// cancelled or times out, a task that had started (running, or waiting for
// a retry) ends Cancelled, keeping its attempts and times, and one that had
// not is Skipped. An execution is Pending, Running, Paused, or ends
// Completed (no task Failed), Failed or Cancelled. A PipelineResult reports
// an execution with a TaskResult per task.
//
// # Errors
//
// Errors are typed for errors.Is and errors.As: *ContextError wraps
// ErrKeyExists, ErrKeyNotFound or an encoding error; *TaskError reports a
// failed attempt (a panic becomes a *PanicError with its stack, a timeout a
// *TimeoutError); *ValidationError carries a ValidationKind and, for a
// cycle, its Path; Lookup wraps ErrWorkflowNotFound.
//
// Results are read from the store, so the error of a task in a result is a
// *RecordedError inside its *TaskError: what the store kept of the original.
// It answers errors.Is and errors.As for the kinds above (panics,
// timeouts, cancellations, context errors) and IsTransient and IsPermanent
// as the original did, in this process or any other reading the same
// store, and gives the Go type name of the innermost error. A user's own
// sentinel values and types cannot survive the store; compare
// RecordedError.Type or the message, or mark errors with Transient or
// Permanent.
//
// # Registries
//
// Generated init functions call MustRegister, which adds to the process-wide
// default Registry. Registering the same name twice fails unless the
// version is identical. Tests and multi-tenant programs can keep their own
// registries with NewRegistry.
//
// # Running workflows
//
// A Runner executes the workflows of its registry and records every step
// in a store, so a crash loses nothing:
//
//	runner, err := runtime.NewRunner(ctx, &runtime.Config{DatabaseURL: "sqlite://cloacina.db"})
//	if err != nil { ... }
//	defer runner.Shutdown(ctx)
//	res, err := runner.Execute(ctx, "etl", input)        // blocks until the execution ends
//	exec, err := runner.ExecuteAsync(ctx, "etl", input)  // returns at once
//	res, err = exec.Wait(ctx)
//
// A nil Config means the embedded SQLite file cloacina.db; a postgres://
// URL (or Config.Pool) selects PostgreSQL, where any number of runners in
// any number of processes share the work. Execute returns the result and,
// unless the execution Completed, an error: the first failed task's
// *TaskError, ErrExecutionCancelled or ErrWorkflowTimeout. If Execute's
// context ends first, the execution goes on and Execute returns the result
// as it stands (its ExecutionID finds it again with Runner.Execution) with
// the context's error. ExecuteMany creates many executions in one
// transaction, and concurrent submissions share commits.
//
// A submission with an idempotency key (WithIdempotencyKey, or
// Submission.IdempotencyKey) happens at most once: when an execution with
// the key is stored already, by any process sharing the database, the
// handle returned is on that execution and nothing new is created. The
// database's unique index on the key makes this hold under races; keys are
// kept as long as their executions.
//
// # Logging
//
// The runner logs through Config.Logger. Each attempt's start and success,
// and an execution's end, are Debug records; a failed attempt that will be
// retried is a Warn record with its error and retry_in delay; a task that
// fails for good is an Error record, and a panic an Error record with its
// stack. Attempt records carry execution_id, workflow, task and attempt,
// and outcomes their duration. An attempt stopped because its execution
// was cancelled or timed out is logged at Debug only. Records at a
// disabled level cost nothing.
//
// Config.AttemptHooks wrap every attempt (see AttemptHook), so that tracing,
// metrics or alerting can surround tasks without changing them.
//
// # Time
//
// Config.Clock is the runner's source of time (see Clock): every delay,
// timeout, deadline and periodic task of the runner runs on it, and on a
// clock other than the system's every stored time is its. Package
// cloacinatest has a fake clock that jumps to its next timer whenever the
// runner is idle, and a harness that runs workflows on it, so that tests
// of workflows with long retry delays and timeouts finish at once.
//
// # Tenants
//
// A tenant is a PostgreSQL schema: Config.Schema names the runner's (the
// default is "public"), and every execution, task and event of a tenant
// lives in its schema, created and migrated on first use. A runner sees and
// claims only its own tenant's executions. A workflow declared with a
// tenant (the tenant= key, or WorkflowBuilder.Tenant) runs only in that
// tenant: a runner of another tenant refuses to start it and never claims
// its tasks. A workflow without one runs in every tenant. A SQLite file
// holds one tenant, "public".
//
// Scheduling is pushed, not polled. When a task ends, the transaction that
// records its outcome also decides its dependents (trigger rule and input
// merge) and may claim the next tasks; the runner learns of new work from
// its own writes and, on PostgreSQL, from NOTIFY sent by other processes.
// Execute and Wait are woken by the completion itself. A slow fallback poll
// (Config.FallbackPollInterval) only covers lost notifications and work
// from other processes sharing a SQLite file.
//
// Each attempt runs with a context that carries the task's timeout (or
// Config.DefaultTaskTimeout) and the execution's deadline; MetaFrom gives
// the attempt's identity. An attempt that returns after its deadline counts
// as timed out even if it returned nil, as if it had been cut off. A panic
// fails the attempt with a *PanicError holding the stack, and the runner
// goes on. Callbacks run after each attempt. A failed attempt is retried
// after the policy's delay, recorded as the task's retry time, so a retry
// survives a restart.
//
// What a task that does not complete passes on: a failed or skipped task's
// output is its input, so a dependent that runs anyway (under a rule such
// as task_failed) sees the data that reached the failed task.
//
// Execution is at least once, completion records exactly once. A running
// task's runner heartbeats its claim; a runner whose heartbeat is older than
// Config.StaleClaimThreshold is presumed dead, and a sweeper in any runner
// returns its tasks to Ready (the interrupted attempt counts) and fails a
// task as abandoned after Config.MaxRecoveries recoveries. Every write after
// a claim is guarded by the claim: a runner that lost one records nothing
// for it, and is told at its next heartbeat, which cancels the task's
// context.
//
// Pause stops new tasks of an execution from being claimed, Resume lets
// them go again, Cancel skips what is left and cancels the running tasks'
// contexts with ErrExecutionCancelled as the cause. ListExecutions and
// Events read the history; the event log records creation, every attempt's
// start and outcome, skips, recoveries and the end of each execution.
//
// Shutdown stops claiming, lets running tasks finish until its context
// ends, then cancels them (their attempts are recorded as interrupted and
// retried later), records every outcome and returns once every goroutine
// the runner started has exited.
package runtime
