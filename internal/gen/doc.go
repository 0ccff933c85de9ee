// Package gen is the code generator behind cmd/cloacina-gen: it turns the
// //cloacina:workflow and //cloacina:task directives of Go packages into a
// validated workflow graph and a cloacina_gen.go file that defines and
// registers the workflows (DESIGN.md §2 and §3).
//
// Generate runs the whole pipeline and returns one Result per package,
// with the generated file's content or every error found; it writes
// nothing. Result.Commit writes a result and Result.Stale compares it with
// the file on disk, which is all the command's -check needs.
//
// # Pipeline
//
// Load. One call of golang.org/x/tools/go/packages loads every package
// matching the patterns with the narrowest mode that gives syntax (with
// comments) and full type information: NeedName | NeedSyntax | NeedTypes |
// NeedTypesInfo. Only the matched packages are parsed and type-checked;
// the types of their dependencies come from the export data of the go
// command's build cache. A previous cloacina_gen.go (recognised by its
// header) is read as an empty file, so that a stale one cannot stop its
// own regeneration, and the "undefined" errors of user code that refers to
// the identifiers it declares are not reported.
//
// Collect. annotations.ParseFile reads each file's directives, with
// positions, defaults filled and trigger rules parsed; its errors (unknown
// verb or key, malformed or duplicate value, a directive on a method, a
// variable, a type or inside a function) are reported as DirectiveError.
// go/types then checks that each task function is exactly
// func(context.Context, *runtime.Context) error, and that each on_success
// and on_failure names a package-level func(context.Context,
// *runtime.AttemptInfo).
//
// Validate. Tasks are assigned to workflows: a task with workflow=W
// belongs to W; a workflow with a tasks= list holds the tasks it names;
// every other task belongs to the package's one workflow without a tasks=
// list. A task naming an unknown workflow, a task whose workflow is
// ambiguous (several workflows without tasks=) or missing, a tasks= entry
// naming no task, a task naming one workflow but listed by another, and
// two workflows with one name are errors. Each workflow's graph is then
// checked with internal/dag: an empty workflow, a duplicate task id
// (reported at the later declaration, naming the earlier one), an unknown
// dependency (at the id in the deps list, with a "did you mean" and the
// workflow's ids), and cycles (reported at the member whose id sorts
// first, with the whole path and the other members' positions). A trigger
// rule may only test tasks upstream of its task (its transitive
// dependencies). Finally the identifiers to generate must not collide with
// each other or with the package's declarations.
//
// Every error of a run is collected; none stops the others from being
// found. Errors are sorted by file, line and column and print as
// file.go:line:col: message, with paths relative to Options.Dir (the
// working directory by default); positions quoted inside a message ("also
// declared at x/a.go:11:1") are relative to the same directory, so both
// read alike. A package with errors gets no generated code.
// Load errors are reported only for packages that have directives (or
// could not be loaded at all): a broken package without directives is
// none of the generator's business.
//
// # Files the generator does not read
//
// cloacina_gen.go has no build constraint: every build of the package
// compiles it, so it may only refer to functions that every build has.
// Directives are therefore read only from files every build compiles, and
// a directive anywhere else in the package's directory is an error
// (ExcludedFile) at its position, never silently ignored:
//
//   - in a _test.go file (of the package or of its external test package),
//     which go build does not compile; test workflows are built by hand
//     with runtime.NewWorkflow;
//   - in a file with a //go:build (or // +build) line, whether or not this
//     run's build flags satisfy it: generating with -tags would otherwise
//     write code that breaks the untagged build;
//   - in a file with a GOOS or GOARCH suffix (x_linux.go), for the same
//     reason;
//   - in any other file the go command leaves out of the build.
//
// The fix is to move the directive and its function to a file without
// constraints; the function may still call platform-specific code. Files
// whose names start with "_" or "." are ignored, as the go command
// ignores them.
//
// Fingerprint. Each task's fingerprint (see Fingerprint) hashes its
// function declaration, printed by go/printer without comments and without
// the source's layout, and its directive's canonical text
// (annotations.Task.Canonical). Editing the function's name, parameters,
// results or body, or any directive value, changes it; comments,
// formatting, key order, line splitting and the deps/dependencies alias do
// not. A key given with its default value counts as a change, because
// Canonical lists the keys that were given. The workflow version is
// internal/spec.WorkflowVersion over the tasks' ids, fingerprints and
// dependencies, the function runtime.WorkflowVersion forwards to, so the
// generated constant equals Workflow.Version(). The generator imports
// internal/spec rather than package runtime, so that building it does not
// compile the runtime's database drivers.
//
// Emit. github.com/dave/jennifer renders the file, which imports only the
// runtime package (and encoding/json when a trigger rule compares a
// number, kept exact as a json.Number). Workflows are sorted by name and
// tasks by id, so the output depends only on the directives and the code,
// never on the order of files or declarations, and it holds no paths and
// no timestamps. For a workflow named "etl" the file declares:
//
//   - var _ runtime.TaskFunc = Extract (and runtime.Callback for
//     callbacks): the compiler re-checks every signature;
//   - const EtlVersion: the workflow's version;
//   - var EtlGraph map[string][]string: the static graph, every task id
//     mapped to its dependencies in declared order (the edges -graph
//     prints);
//   - var EtlWorkflow *runtime.Workflow: the tasks with every field of
//     their retry policy spelt out, trigger rules as calls of the runtime's
//     rule constructors, timeouts, callbacks and fingerprints;
//   - func init, which registers every workflow with runtime.MustRegister.
//
// Durations are written as nanosecond constants with the readable value in
// a comment, so the file needs no import of package time. Identifiers are
// made from the workflow name: nightly-etl gives NightlyEtlWorkflow.
package gen
