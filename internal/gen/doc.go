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
// # Data flow
//
// Validation ends with the data-flow check of each workflow: every context
// key a task reads must be written upstream, with a type that can decode
// what is written. It runs on graphs with problems too (with the ancestors
// internal/dag finds despite them), but not on a package that does not
// type-check.
//
// Inference. From each task's body, with go/types, the check collects the
// calls on the task's *runtime.Context parameter (and on variables assigned
// from it): Get (the type is that of the pointer's target), Raw, Has,
// Insert, Update, Set and Remove; runtime.Get[T]; and the methods of
// runtime.Key[T] (Get, Insert, Update, Set, Has, Remove), whose key is the
// Key constant and whose type is T. A key must be a constant (a literal, a
// named string constant, a Key constant, from any package). A call that
// passes the context to a function or method of the same package is
// followed into its body (to a depth of 8, recursion cut), with string
// parameters bound to the constants given at the call, so helpers such as
// func load(c *runtime.Context, key string) are checked at each call.
// Function literals in the body are part of it.
//
// Unchecked uses. A key that is not a constant, and a context passed to
// code the check cannot follow (a function of another package, a function
// value, Context.Merge or UnmarshalJSON; fmt, log and log/slog only format
// it and are ignored), are reported once per task as a note
// (UncheckedKey), which does not stop generation. Such a task may write
// any key, so reads downstream of it (and in it) are not reported as
// missing. A task declares what it reads and writes there with the reads=
// and writes= keys of its directive (name[:type] lists, see package
// annotations); a task that declares either gets no note, its declared
// writes count as writes (writes= replaces the "may write anything"), and
// its declared reads are checked like reads in code.
//
// What a task can read. A key is available to a task when a declared input
// of the workflow (inputs=) names it, when an ancestor of the task (a
// transitive dependency) writes it, or when the task writes it itself. The
// rule for keys written only on some paths is "may": a write counts
// wherever it is in the writer's body (inside an if, after an early
// return) and whether or not a trigger rule can skip the writer, because
// the check does not prove that code runs. A read that tolerates absence
// is marked so: every read of a key the task also tests with Has (or reads
// with Raw, which reports presence) is optional and never reported. What
// reaches a task with a dependency the workflow lacks, or downstream of
// one, is unknown, and so is what a task writes whose function does not
// take the *runtime.Context second: both are reported as errors already,
// and reads that depend on them are not reported missing on top of that.
//
// Diagnostics, all positioned at the key of the read or write (for a
// declared key, at its element in the directive), each naming the tasks
// and the path through the graph:
//
//   - MissingKey: a read (Get, runtime.Get, Key.Get, reads=) or an Update
//     of a key that no ancestor writes and that is not a declared input,
//     with "did you mean" over the keys available there and, for a key
//     written as a string literal, a suggested fix;
//   - KeyType: a read whose type cannot decode what the latest upstream
//     writers (those no other writer of the key follows) write, compared as
//     encoding/json does: JSON kinds (string, number, boolean, array,
//     object), elements, map values and struct fields by their json names
//     (matched ignoring case, ",string" fields as strings, embedded structs
//     promoted), through pointers. Types with their own MarshalJSON or
//     UnmarshalJSON, interfaces and json.RawMessage accept anything;
//     TextMarshalers are strings. A number that may not fit (float into
//     int, int64 into int32, signed into unsigned) is a warning, which does
//     not stop generation; a read of a declared input is compared with the
//     input's type;
//   - KeyExists: an Insert of a key an ancestor writes, which fails with
//     ErrKeyExists, unless an ancestor removes the key;
//   - MergeConflict: two tasks on parallel branches (neither upstream of
//     the other) writing one key with incompatible types, reported at the
//     deps of each task where the branches first meet;
//   - TriggerKey: a context_value rule on a key no ancestor writes and no
//     input declares (the task's own writes do not count: the rule is
//     evaluated before it runs), on a path the written type cannot have (a
//     struct without that field), or comparing with a literal of another
//     JSON kind (equals, not_equals), a non-number (greater_than,
//     less_than), or a value contains cannot apply to.
//
// Warnings and notes are in Result.Notes and print as "file.go:1:2:
// warning: ..." and "note: ...". The keys that flow along each edge (the
// keys the dependent task reads that the dependency's output holds because
// it or a task upstream of it wrote them) are in Workflow.EdgeKeys, which
// -graph prints as edge labels.
//
// Inputs. CheckInput and Workflow.CheckInput check a JSON object, such as
// the input a schedule gives each execution, against a workflow's
// inputs=: every key must be declared (a workflow without inputs= accepts
// none) and every value must have its declared type; declared inputs may be
// left out. The rule is internal/spec.CheckInput, which the runtime applies
// to every submission of a workflow whose generated code declares its
// inputs (runtime.WorkflowBuilder.Inputs, emitted for inputs=).
//
// Analyzer. Analyze runs the same checks on a package its caller has
// loaded and type-checked (a go/analysis pass): internal/vet and
// cmd/cloacina-vet use it to report them, and stale generated code, from
// go vet.
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
