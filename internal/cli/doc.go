// Package cli is the cloacina operations command: it lists, inspects,
// follows, cancels, pauses, resumes, retries and purges executions, draws
// and starts workflows, and operates schedules, against the database a
// Cloacina runner uses. cmd/cloacina is a thin main around Run, so the
// whole command can be run and tested in-process.
//
// # Database and tenant
//
// The database comes from --db or, when that is not given, the
// CLOACINA_DATABASE_URL environment variable (sqlite://path.db,
// sqlite:///abs/path.db or postgres://...). A SQLite file must exist: the
// command never creates an empty database because of a mistyped path.
// --schema names the tenant (a PostgreSQL schema, public by default),
// which a runner must have set up: for a schema with no Cloacina tables
// the command exits 2 naming the schemas that have them, rather than
// creating it. The command opens a
// runtime.Runner with an empty registry (Env.Registry), so it never claims
// a task: it reads and changes executions that the user's runners execute.
// A program that embeds the command can pass its own registry, and the
// command then also executes those workflows' tasks while it runs.
//
// # Output
//
// Tables (text/tabwriter) by default; --json prints JSON for scripts (an
// array for listings, one object for a single item, and one object per
// line for event streams). Times are printed in UTC. Empty cells print
// "-".
//
// # Exit codes
//
//	0  success
//	1  the execution failed or was cancelled (run --wait, executions wait,
//	   executions retry --wait, schedules trigger --wait)
//	2  any other error: usage, an unknown name or id, a database that cannot
//	   be reached, a refused action, an interrupted wait
//
// # Live output
//
// `executions events --follow` and `run --wait` follow the event log with
// runtime subscriptions (no polling by the command). On a terminal
// (Env.Terminal) `run --wait` redraws one progress line: tasks done of
// total and the running ones; when the output is piped it prints one plain
// line per event. The command executes only the workflows of its own
// registry (Env.Registry); it starts any other from its recorded
// definition, and `run --wait` then says on stderr that a runner with the
// code executes it.
//
// `run --input` is held to the workflow's declared inputs (inputs= on
// //cloacina:workflow): a key it does not declare, or a value of another
// type, is an error that names the key, before anything is stored.
package cli
