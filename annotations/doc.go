// Package annotations parses the //cloacina: comment directives that turn
// plain Go functions into workflow tasks. It is strict and position-aware:
// every problem is an [Error] at a file:line:column, and nothing a user wrote
// near a directive is silently ignored.
//
// The generator calls [ParseFile] on each file of a package. ParseFile finds
// the directives, checks where they are placed, lexes them ([ParseDirective]),
// checks every key and value ([BuildTask], [BuildWorkflow]), fills defaults
// and parses trigger rules ([ParseRule]). Checks that need the whole package
// (unknown dependencies, cycles, duplicate ids, function signatures, whether
// callbacks exist) belong to the generator.
//
// # Directives
//
// A directive is a line comment of the form
//
//	//cloacina:<verb> key=value key=value ...
//
// with no space after "//", like //go:generate. The verbs are task,
// workflow, schedule and trigger. Consecutive directive lines with the same verb in one comment
// group form one directive; a key given twice in it is an error. A prose
// line, a blank // line or a blank line ends the directive. (gofmt moves
// directive lines to the end of a doc comment, which keeps them together.)
//
// A comment line whose text after "//" and optional spaces starts with
// "cloacina:" is always read as a directive, so that "// cloacina:task"
// (with a space) and /*cloacina:task*/ are errors that say what to write
// instead, rather than markers that silently do nothing. A word right after
// "//" that is a misspelling of cloacina, as in //cloacnia:task, is an error
// too. Mentioning cloacina elsewhere in a comment means nothing.
//
// # Values
//
// Keys and values are separated by "=" with no space on either side, and
// pairs by spaces or tabs. A "//" where a pair would start begins a
// trailing comment, which runs to the end of the line. A value is one of:
//
//   - a bare word: extract, 3, 500ms, true. A comma list is a bare word with
//     no spaces, such as deps=a,b; empty or repeated elements are errors.
//   - a Go string literal: description="Nightly \"full\" load", or a raw
//     string in backquotes.
//   - an expression with parentheses, for trigger_rules only: a rule name
//     directly followed by "(", as in trigger_rules=any(task_failed(a), task_skipped(a)),
//     or a fully parenthesised rule, trigger_rules=(all(...)). Inside the
//     parentheses spaces are allowed, and parentheses inside quoted strings
//     do not count.
//
// Each key takes one kind of value. Identifiers, numbers, durations and
// booleans must be bare words; quoting them is an error that shows the
// unquoted form. Free text (description, author) may be a bare word or
// quoted.
//
// # Workflow directives
//
// //cloacina:workflow is placed at top level: free-floating, or in the
// package clause's doc comment, in any file of the package. It must not be
// inside a function or in the doc comment of another declaration. Keys:
//
//	name         required; [A-Za-z][A-Za-z0-9_-]*
//	description  free text
//	author       free text
//	tenant       [A-Za-z0-9_]+, at most 40 characters; default: any tenant
//	tasks        comma list of task ids; without it the workflow holds every
//	             task of the package that names no other workflow
//	inputs       context key list (see below): the keys the execution's
//	             input may hold, which root tasks and trigger rules may read
//
// A tenant is a PostgreSQL schema, the one a runner's Config.Schema
// selects. A workflow with tenant= runs only in that tenant; a workflow
// without it runs in every tenant (its Tenant is "").
//
// # Task directives
//
// //cloacina:task is placed in the doc comment of a top-level function
// without a receiver (not init or _), with all its lines together. Keys:
//
//	id               task id [A-Za-z_][A-Za-z0-9_-]*; default SnakeCase(func name)
//	deps             comma list of task ids (alias: dependencies)
//	workflow         workflow name, when the package declares several
//	retry_attempts   whole number >= 1, first run included; default 3
//	retry_backoff    fixed, linear or exponential; default exponential
//	retry_delay      Go duration >= 0; default 1s
//	retry_max_delay  Go duration >= retry_delay; default 30s
//	retry_jitter     true or false; default true
//	retry_condition  all (default), never, transient, or a quoted comma
//	                 list of error substrings: retry_condition="timeout,reset"
//	                 (spaces around elements are trimmed)
//	timeout          Go duration > 0; default: the runner's
//	trigger_rules    a rule, see below; default: all dependencies succeeded
//	on_success       name of a function of the package (a Go identifier)
//	on_failure       name of a function of the package (a Go identifier)
//	reads            context key list: keys the task reads in ways the
//	                 generator cannot see (keys that are not constants)
//	writes           context key list: keys the task writes in such ways
//
// # Context key lists
//
// inputs, reads and writes take a comma list of name[:type] elements, such
// as inputs=mode:string,date,limit:int. A name is any text without commas
// or colons (quote the whole list, inputs="odd key,mode", when a name holds
// a space); a type is one of any (the default), string, number, int (a
// number written without a fraction or an exponent), bool, array or
// object, the JSON kinds the generator's data-flow check compares with what
// tasks read and write. A name listed twice, an empty name and an unknown
// type are errors. ContextKey holds each element with its position.
//
// inputs= is also checked when an execution is submitted: the generated
// workflow declares its inputs (runtime.WorkflowBuilder.Inputs), and the
// runner refuses an input that holds a key not listed, or a value of
// another type, with a *runtime.InputError, before anything is stored.
// Listed keys may be left out. A workflow without inputs= accepts any
// input at run time; only a schedule's input= must then be empty.
//
// # Schedule directives
//
// //cloacina:schedule is placed at top level, like a workflow, and may be
// repeated. It starts its workflow on a cron expression. Keys:
//
//	name         [A-Za-z][A-Za-z0-9_-]*; required when a workflow has more
//	             than one schedule, else the workflow's name
//	workflow     required; the workflow to start
//	cron         required; 5 fields, 6 with seconds first, @daily-style
//	             descriptors or @every <duration> (see internal/cron)
//	timezone     IANA zone the expression is read in; default UTC
//	catchup      skip, latest (default) or all: ticks missed while no runner
//	             was up
//	max_catchup  whole number >= 1, only with catchup=all; default 100
//	overlap      skip (default), allow or buffer: a tick while the previous
//	             execution is unfinished
//	input        a JSON object, quoted or in backquotes: the execution's input
//	start, end   RFC 3339 times bounding the ticks; end after start
//	jitter       Go duration >= 0: each fire is delayed by up to this much
//	paused       true or false; default false
//
// # Trigger directives
//
// //cloacina:trigger is placed in the doc comment of a top-level function
// func(ctx context.Context) (*runtime.Context, error), which is polled; a
// non-nil context it returns starts the workflow with that input. Keys:
//
//	name         default SnakeCase(func name)
//	workflow     required
//	poll         required; Go duration > 0 between polls
//	timeout      Go duration > 0 for one poll; default the poll interval,
//	             at most 1m
//	concurrency  forbid (default: no new execution while one this trigger
//	             started with the same input is unfinished) or allow
//
// # Trigger rules
//
// The rule language, with spaces and tabs allowed between tokens:
//
//	rule    = "always" [ "(" ")" ]
//	        | ( "all" | "any" | "none" ) "(" [ rule { "," rule } ] ")"
//	        | ( "task_success" | "task_failed" | "task_skipped" ) "(" id ")"
//	        | "context_value" "(" key "," op [ "," literal ] ")"
//	key     = segment { "." segment }
//	segment = bare | string            bare = [A-Za-z0-9_-]+
//	op      = "equals" | "not_equals" | "greater_than" | "less_than"
//	        | "contains" | "not_contains" | "exists" | "not_exists"
//	literal = string | number | "true" | "false" | "null"
//
// exists and not_exists take no literal; the other operators require one.
// A string is a Go string literal ("..." or `...`); a number uses the JSON
// number syntax (-1.5e3). The whole rule may be wrapped in one pair of
// parentheses. Rules nest at most [MaxRuleDepth] levels. [Rule.String]
// prints a rule back canonically.
//
// A context_value key is a path into the merged context: its first segment
// is a key of the context, and each further one a field of the JSON object
// found so far. context_value(order.tier, equals, "vip") holds when the
// context's key order holds an object whose field tier is "vip". A
// segment that contains a dot, a space or any character outside
// [A-Za-z0-9_-] is quoted: context_value("a.b", exists) tests the top-level
// key a.b, context_value(order."x.y", exists) field x.y of order. A path that
// meets a value other than an object before its last segment (an array,
// a string, null), or a missing field, finds nothing, like a missing key:
// every operator is false except not_exists. Arrays are not indexed:
// items.0 is field "0" of an object. An empty segment (a..b, a.) is an
// error. Rule.Key is the path in canonical form, Rule.Path its segments.
//
// # Errors
//
// Messages are short and say what to do: "unknown key "retry_attemps" for
// //cloacina:task; did you mean "retry_attempts"?", "retry_delay: "5 sec"
// is not a Go duration (e.g. 500ms, 5s)", "trigger_rules: expected ")"
// after task_success argument, found ","". A message about a value starts
// with its key and points at the offending character. ParseFile reports all
// errors of a file, sorted by position; after a syntax error the rest of
// that line is skipped.
//
// # Canonical form
//
// Task.Canonical and Workflow.Canonical are the given keys in sorted order,
// as key=value with canonical values (aliases resolved, durations as
// time.Duration.String, text quoted with strconv.Quote, rules as
// Rule.String), joined by spaces. They do not depend on spacing, line
// splitting, key order or aliases, so the generator uses them in
// fingerprints. Defaults are not filled in.
package annotations
