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
// A Key[T] constant gives a key its type once, for every task that uses it:
//
//	const Totals runtime.Key[map[string]int] = "totals"
//	totals, err := Totals.Get(c)
//
// cloacina-gen checks, for string keys and Key constants alike, that every
// key a task reads is written upstream (or is a declared input of the
// workflow) with a type that can decode it.
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
// # Schedules and triggers
//
// A Schedule starts a workflow on the ticks of a cron expression (see
// Schedule.Cron for the forms), a Trigger when a polled TriggerFunc returns
// an input. Both are declared with their workflow (//cloacina:schedule and
// //cloacina:trigger, or WorkflowBuilder.Schedule and .Trigger), and
// schedules can also be made at run time (Runner.CreateSchedule).
//
// Schedules are stored. NewRunner reconciles the schedules and triggers of
// the workflows it serves: it inserts new ones, updates changed ones by
// name (ticks owed under the old definition are dropped only when the
// expression, zone or bounds changed), and disables those the code no
// longer declares, keeping their history; schedules made through the API
// are left alone. It then handles the ticks missed while no runner was up
// before it returns. A schedule changed or deleted through the API is
// reconciled again from its declaration when a runner serving it next
// starts.
//
// Every runner serving a schedule's workflow may fire it; the database
// decides which does. A fire records the tick and creates its execution in
// one transaction, applied only if the schedule is still in the state the
// runner read, and the fire table's primary key on (schedule, scheduled
// time) admits one fire per tick: across any number of processes, each
// tick starts at most one execution, and a runner that dies mid-fire
// leaves either both records or neither. A runner sleeps until the
// earliest fire (a timer on Config.Clock) and is woken when a schedule
// changes (by its own API calls, and on PostgreSQL by a notification from
// any process).
//
// Ticks are wall-clock times in the schedule's zone. A time that does not
// exist on a day (the gap when clocks go forward) fires once, at the end
// of the gap; a time that occurs twice (clocks go back) fires once, at its
// first occurrence. @every ticks count from Start, or the Unix epoch.
//
// A tick is missed when it came due before the runner started or more than
// a minute before the runner handled it; the catch-up policy decides:
// CatchupSkip fires none, CatchupLatest (the default) the most recent one,
// CatchupAll each in order, at most MaxCatchup (the most recent ones).
// Then the overlap policy decides, for each tick to fire, what happens
// while the schedule's previous execution is unfinished: OverlapSkip (the
// default) records it as skipped, OverlapBuffer holds one tick and starts it
// when the previous execution ends (further ticks meanwhile are skipped),
// OverlapAllow starts it regardless. The ticks CatchupAll catches up are
// one unit: the policy decides about the first against the execution
// before them, and the others follow it, so they all start (in the order
// of their ticks) unless the first is skipped or held. Jitter delays each fire by a fixed
// amount per tick, the same on every runner. DescribeSchedule counts the
// ticks each policy skipped.
//
// The input of a scheduled execution is the schedule's Input plus
// InputScheduledTime, InputSchedule and InputFireKind ("scheduled",
// "catchup", "backfill", "manual" or "trigger"). TriggerSchedule starts one
// now whatever the policies; BackfillSchedule starts one per tick of a time
// range, skipping ticks already fired, so it can be repeated.
//
// A trigger is polled by one runner at a time: the runner holding its
// lease, which it renews on every poll and another runner takes over once
// it has run out (two poll intervals plus the timeout after the holder's
// last poll). A poll is bounded by Trigger.Timeout; an error or panic is
// logged and the trigger is polled again at the next interval. With
// ConcurrencyForbid, a poll whose input (compared as canonical JSON) is the
// input of an unfinished execution the trigger started starts nothing;
// once that execution ends, the input may start a new one. Leases are
// timed by the runners' clocks, so runners sharing a database should keep
// their clocks within a fraction of the poll interval.
//
// ExecutionSummary.Origin and OriginName tell which schedule or trigger
// started an execution.
//
// # Logging
//
// The runner logs through Config.Logger. Each attempt's start and success
// are Debug records; a failed attempt that will be retried is a Warn record
// with its error and retry_in delay; a task that fails for good is an
// Error record, and a panic an Error record with its stack. Attempt records
// carry execution_id, workflow, task and attempt, and outcomes their
// duration and error. An attempt stopped because its execution was
// cancelled or timed out is logged at Debug only. A skipped task is a
// Debug record with its reason; an execution's end is a record with its
// workflow, status and duration (Debug when it Completed, Info otherwise),
// logged by the runner whose transaction ended it; a cancellation, pause
// or resume is an Info record, a timed-out execution a Warn record, a task
// taken back from a runner that stopped heartbeating a Warn record, and a
// task abandoned after too many recoveries an Error record. Records at a
// disabled level cost nothing.
//
// # Watching executions
//
// Every step of every execution is appended to the event log (see Event
// for the kinds). Events reads one execution's log as it stands;
// Subscribe follows the log as it grows, for one execution, one workflow
// or all, whichever process appends to it:
//
//	sub, err := runner.Subscribe(ctx, runtime.EventFilter{Workflow: "etl", FromNow: true})
//	if err != nil { ... }
//	defer sub.Close()
//	for ev, err := range sub.All(ctx) {
//		if err != nil { ... }
//		fmt.Println(ev.At, ev.ExecutionID, ev.Kind, ev.TaskID, ev.Message)
//		saveCursor(ev.Cursor.String()) // to resume with EventFilter.From after a restart
//	}
//
// Execution.Follow is the same for one execution, from its creation to its
// end. A subscription is woken by this runner's writes at once, and on
// PostgreSQL by the notifications of every other runner; the commits of
// other processes sharing a SQLite file are seen within a tenth of a
// second (the store watches the file's data version). Its cursor is
// durable and exact: started from an event's Cursor, in any process,
// after a restart or a lost connection, a subscription returns each later
// event once and misses none. On PostgreSQL, where ids are not assigned in
// commit order, the log is ordered by transaction, and events of a
// transaction are returned once every older transaction has ended (see
// store.Cursor); a long write transaction elsewhere on the server delays
// them, and loses nothing.
//
// Hooks let code watch without touching tasks. Config.AttemptHooks wrap
// every attempt (see AttemptHook), so that tracing, metrics or alerting can
// surround tasks. Config.EventHooks are called for each event the runner
// appends, once it is committed (see EventHook): across the runners of a
// database, each event reaches the hooks of one runner. Config.SubmitHooks
// see each execution before it is stored, may add headers to it, and are
// told of its end (see SubmitHook). Headers (Submission.Headers,
// WithHeaders) are stored with the execution and reach every attempt
// through TaskMeta.Headers, in any process: the module otelcloacina uses
// them to carry the trace context, so an execution is one trace wherever
// its tasks run.
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
// merge) and may claim the next tasks: first the dependents it readied, as
// far as the runner has free slots, so these go on where their last step
// ran without a second write; then from the ready queue. The queue serves
// executions in the order they were created: a task readied by its
// dependencies takes its execution's place, so under a backlog an
// execution in progress goes before the roots of executions created after
// it, and a retry takes its place when its delay ends. The runner learns
// of new work from its own writes and, from other processes, on
// PostgreSQL by NOTIFY and on SQLite within a tenth of a second of their
// commits (the store watches the file's data version). Execute and Wait
// are woken by the completion itself. A slow fallback poll
// (Config.FallbackPollInterval) only covers lost notifications.
//
// Each attempt runs with a context that carries the task's timeout (or
// Config.DefaultTaskTimeout) and the execution's deadline; MetaFrom gives
// the attempt's identity. An attempt that returns after its deadline counts
// as timed out even if it returned nil, as if it had been cut off. An
// attempt ended by the execution's deadline ends the execution (Failed,
// with ErrWorkflowTimeout) rather than being retried, in whichever runner
// runs it, and a task claimed past that deadline does not run: an
// execution times out even when the runner that started it is gone. A panic
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
// start and outcome, skips, recoveries and the end of each execution (see
// Watching executions).
//
// Shutdown stops claiming, lets running tasks finish until its context
// ends, then cancels them (their attempts are recorded as interrupted and
// retried later), records every outcome and returns once every goroutine
// the runner started has exited.
//
// # History
//
// Every runner records, when it starts, the definitions of the workflows
// it serves: name, version, description, author, tenant, tasks with their
// dependencies, trigger rules (as text, and structured), retry policies
// and timeouts, schedules and triggers. ListWorkflows and DescribeWorkflow
// read them, so a tool sharing the database can show any workflow some
// runner knows without its code. ExecuteAsync (and ExecuteMany) of a
// workflow this runner has not registered creates the execution from its
// latest recorded definition, deciding its roots' trigger rules from the
// recorded ones; a runner that has the workflow claims and runs it. The
// runner logs this at Info, once per workflow: a program that forgot to
// import the workflow's package would otherwise wait in Execute for a
// runner that registers it with nothing in its log. With no recorded
// definition either, it fails with ErrWorkflowNotFound.
//
// Retry runs a finished execution again. RetryModeFailed works in place on
// a Failed or Cancelled execution: its failed and cancelled tasks, the
// tasks skipped when it was ended, and everything downstream of them go
// back to not started with their attempts, errors and outputs cleared;
// tasks whose dependencies are all done are decided at once, completed
// tasks keep their outputs, the execution is Running again with its
// counters recomputed (and a deadline as far away as it first was), and an
// execution_retried event lists the tasks that run again. RetryModeAll
// starts a new execution with the same input and headers, with Origin
// OriginRetry and OriginName the original's id, and appends an
// execution_retried event naming it to the original. An execution that is
// not finished is refused with ErrNotRetryable, as is a Completed one in
// place.
//
// ListExecutionsPage lists executions newest first, a page at a time,
// filtered by workflow, status, creation time, origin ("direct" for a
// direct call, OriginSchedule, OriginTrigger, OriginRetry) and origin
// name. Its cursor is the (creation time, id) of a page's last execution
// and the next page reads from there through an index, so a page costs the
// same with a million executions as with ten, and executions created while
// paging never shift the pages.
//
// PipelineResult's TaskResults carry each task's Input (what it was given)
// and Output (its input plus its writes when it completed; its input when
// it did not).
//
// Config.Retention deletes finished executions, with their tasks,
// contexts, values, events and schedule fires (the execution of a
// schedule's latest tick keeps its fire; manual and backfill fires go with
// their executions), once they are older than the duration given
// for their status. A pruner goroutine owned by the runner runs at start
// and then every Retention.Interval on Config.Clock; runners sharing a
// database take a lease, so one prunes at a time, and each transaction
// deletes at most Retention.BatchSize executions, chosen through an index
// of finished executions only. Running executions are never deleted.
// Purge does the same once, on demand, and returns how many it deleted.
package runtime
