package cli

import (
	"flag"
	"strings"
)

// commands is the command tree.
func commands() *command {
	return &command{
		summary: "cloacina operates the workflows of a Cloacina database: executions, workflows, schedules.",
		sub: []*command{
			{name: "executions", summary: "list, inspect, follow, cancel, pause, resume, retry executions", sub: []*command{
				{name: "list", summary: "list executions, newest first", run: execList, flags: execListFlags, help: `
Filters combine. --origin, --since, --until and --cursor page through the
whole history (a "next page" cursor is printed on stderr, or as "next" with
--json); without them the newest --limit executions are listed.`},
				{name: "show", args: "<id>", summary: "show an execution and its tasks", run: execShow, flags: execShowFlags, help: `
An id may be abbreviated to a unique prefix. --json adds the final context
and each task's input and output; --task shows one task's.`},
				{name: "events", args: "[<id>]", summary: "print an execution's event log; --follow prints new events as they are stored", run: execEvents, flags: execEventsFlags, help: `
With an id: the execution's events; with --follow, live until the
execution ends. Without an id, --follow is required and follows every
execution of the tenant (or of --workflow) from now, or after --from
(--from 0-0 is the start of the log). --json prints one object per line,
with the event's cursor: pass it to --from to resume where a follower
stopped.`},
				{name: "wait", args: "<id>", summary: "wait for an execution to end, showing its progress", run: execWait, help: `
Exits 0 when the execution completed, 1 when it failed or was cancelled.`},
				{name: "cancel", args: "<id>", summary: "cancel an execution: its unfinished tasks are skipped", run: execCancel},
				{name: "pause", args: "<id>", summary: "pause an execution: no new task starts, running ones finish", run: execPause},
				{name: "resume", args: "<id>", summary: "resume a paused execution", run: execResume},
				{name: "retry", args: "<id>", summary: "run a finished execution again", run: execRetry, flags: execRetryFlags, help: `
--mode failed (the default) re-runs, in place, the tasks that failed, were
cancelled, or were skipped because of them; completed tasks keep their
outputs. --mode all starts a new execution with the same input, linked to
the original.`},
			}},
			{name: "workflows", summary: "list and draw the workflows runners have recorded", sub: []*command{
				{name: "list", summary: "list workflows with their latest version", run: wfList},
				{name: "show", args: "<name>", summary: "show a workflow's tasks and graph", run: wfShow, flags: wfShowFlags, help: `
--format text (the default) prints the tasks level by level with their
dependencies; mermaid and dot print the graph for Mermaid or Graphviz.`},
			}},
			{name: "run", args: "<workflow>", summary: "start an execution of a workflow", run: runWorkflow, flags: runFlags, help: `
Prints the new execution's id. --input is a JSON object, @file to read it
from a file, or @- to read it from stdin. With --wait the command follows
the execution: on a terminal one line shows the tasks done of the total and
the running ones; piped, it prints a line per event. It then exits 0 when
the execution completed and 1 when it failed or was cancelled.`},
			{name: "schedules", summary: "list, describe, pause, resume and trigger schedules", sub: []*command{
				{name: "list", summary: "list schedules", run: schedList},
				{name: "describe", args: "<name>", summary: "show a schedule, its next and recent fires", run: schedDescribe, flags: schedDescribeFlags},
				{name: "pause", args: "<name>", summary: "pause a schedule: it fires nothing until resumed", run: schedPause},
				{name: "resume", args: "<name>", summary: "resume a paused schedule", run: schedResume},
				{name: "trigger", args: "<name>", summary: "start an execution of a schedule now", run: schedTrigger, flags: waitFlags},
			}},
			{name: "triggers", summary: "list triggers", sub: []*command{
				{name: "list", summary: "list triggers and the runner polling each", run: trigList},
			}},
			{name: "purge", summary: "delete finished executions older than a duration", run: purge, flags: purgeFlags, help: `
Deletes executions that finished more than --older-than ago, with their
tasks, contexts and events, in batches. Running executions are never
deleted. --older-than is required.`},
			{name: "ui", summary: "serve the web UI", run: serveUI, flags: uiFlags, help: `
Serves the web UI on --addr under --prefix until interrupted. --read-only
refuses every action (cancel, retry, start, ...).`},
		},
	}
}

// waitFlags adds --wait.
func waitFlags(fs *flag.FlagSet) {
	fs.Bool("wait", false, "wait for the execution to end, showing its progress")
}

// str, flagBool and flagInt read a flag of the running command by name.
func (c *call) str(name string) string { return c.fs.Lookup(name).Value.String() }

func (c *call) flagBool(name string) bool { return c.fs.Lookup(name).Value.(flag.Getter).Get().(bool) }

func (c *call) flagInt(name string) int { return c.fs.Lookup(name).Value.(flag.Getter).Get().(int) }

// list is a repeatable flag.
type list []string

func (l *list) String() string { return strings.Join(*l, ",") }
func (l *list) Set(s string) error {
	*l = append(*l, s)
	return nil
}
