// Package testgen writes synthetic annotated packages for the tests and
// benchmarks of the generator: N tasks with a random acyclic dependency
// graph chosen by a seed, optionally with injected faults (a cycle, a
// missing dependency, a duplicate task id, a task with the wrong
// signature, and data-flow faults: a key nothing writes, a key read as
// the wrong type, an insert of a key that exists, parallel writes of
// different types that a task merges, a trigger rule on a key nothing
// writes). Every task of the valid graph writes its own id as a key (an
// int) and reads the keys of its dependencies, so that the data-flow check
// has work to do and a valid package must pass it. It records what it wrote — every edge, and for each fault
// the exact file:line:column where the generator must report it — so that
// tests can check the generator's output against it.
//
// Packages are written into a Module: a directory with a go.mod that
// requires github.com/cloacina-go/cloacina and replaces it with the working
// tree this package was built from, so that generated code compiles
// against the code under test. Many packages can share one module, and
// one go command can then build them all.
package testgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"strings"
	"time"
)

// CloacinaModule is the module path of the project under test.
const CloacinaModule = "github.com/cloacina-go/cloacina"

// Fault is a problem Write injects into a package. Its value is the name of
// the kind of error the generator reports for it (gen.ErrorKind.String).
type Fault string

// The faults Write can inject.
const (
	// Cycle adds three tasks that depend on each other in a loop.
	Cycle Fault = "cycle"
	// MissingDependency adds an unknown id to the deps of a task.
	MissingDependency Fault = "missing_dependency"
	// DuplicateID adds a function whose id= repeats an existing task's id.
	DuplicateID Fault = "duplicate"
	// BadSignature adds a task function that takes a runtime.Context by
	// value instead of a pointer.
	BadSignature Fault = "signature"
	// MissingKey adds a task that reads a key no task writes.
	MissingKey Fault = "missing_key"
	// KeyType adds a task that reads its dependency's key (an int) as a
	// string.
	KeyType Fault = "key_type"
	// KeyExists adds a task that inserts its dependency's key again.
	KeyExists Fault = "key_exists"
	// MergeConflict adds two parallel tasks that write one key as an int
	// and as a []string, and a task that depends on both.
	MergeConflict Fault = "merge_conflict"
	// TriggerKey adds a task whose trigger rule tests a key no task
	// writes.
	TriggerKey Fault = "trigger_key"
)

// Faults lists every Fault.
var Faults = []Fault{Cycle, MissingDependency, DuplicateID, BadSignature, MissingKey, KeyType, KeyExists, MergeConflict, TriggerKey}

// FlowFaults lists the faults of the data-flow check.
var FlowFaults = []Fault{MissingKey, KeyType, KeyExists, MergeConflict, TriggerKey}

// Position is a place in a written file: the file's base name, and 1-based
// line and column, as the generator reports it.
type Position struct {
	File   string
	Line   int
	Column int
}

// String returns "file.go:line:col".
func (p Position) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column) }

// Injected describes one injected fault and where it must be reported.
type Injected struct {
	Fault Fault
	// Task is the id of the task the error is about.
	Task string
	// Pos is where the generator must report the error: for a cycle, the
	// directive of its member whose id sorts first; for a missing
	// dependency, the unknown id in the deps list; for a duplicate id, the
	// directive of the later declaration; for a bad signature, the
	// function's name; for a missing key, a key read as the wrong type or
	// an insert of a key that exists, the key's string literal; for a merge
	// conflict, the deps value of the merging task; for a trigger rule, the
	// context_value in the directive.
	Pos Position
	// Related are the other positions the message must name: the other
	// members of a cycle, the first declaration of a duplicate id.
	Related []Position
}

// Spec describes a synthetic package.
type Spec struct {
	// Dir is the package's directory, slash-separated and relative to the
	// module's root; default Name.
	Dir string
	// Name is the package name; default the last element of Dir, or
	// "synth".
	Name string
	// Workflow is the workflow's name; default Name.
	Workflow string
	// Tasks is the number of tasks of the valid graph (faults add more).
	Tasks int
	// Seed chooses the graph and the layout.
	Seed uint64
	// MaxDeps bounds the dependencies of a task; default 3.
	MaxDeps int
	// TasksPerFile is how many tasks each file holds; default 50.
	TasksPerFile int
	// Faults are injected once each, in the order given.
	Faults []Fault
}

// Package is a written synthetic package.
type Package struct {
	// Dir is the package's directory.
	Dir string
	// ImportPath is the package's import path.
	ImportPath string
	// Name is the package name.
	Name string
	// Workflow is the workflow's name.
	Workflow string
	// Edges maps every task id of the valid graph to its dependencies, in
	// declared order (tasks added by faults are not included).
	Edges map[string][]string
	// Injected are the faults, in the order of Spec.Faults.
	Injected []Injected
}

// Module is a directory holding a go.mod that replaces the cloacina module
// with its working tree.
type Module struct {
	// Dir is the module's root directory.
	Dir string
	// Path is the module path.
	Path string
	// Root is the directory of the cloacina working tree it replaces.
	Root string
}

// ModulePath is the module path of every Module.
const ModulePath = "example.com/synthetic"

// NewModule creates a module in dir (which must exist, typically
// t.TempDir()) whose go.mod requires the cloacina module and replaces it
// with the working tree, and whose go.sum is the working tree's.
func NewModule(dir string) (*Module, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	goVersion, requires, err := readGoMod(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	var gomod strings.Builder
	fmt.Fprintf(&gomod, "module %s\n\ngo %s\n\nrequire %s v0.0.0-00010101000000-000000000000\n", ModulePath, goVersion, CloacinaModule)
	if len(requires) > 0 {
		// The cloacina module's own requirements, so that the packages it
		// provides build without go.mod updates (module graph pruning wants
		// every module that provides a package listed here).
		gomod.WriteString("\nrequire (\n")
		for _, r := range requires {
			fmt.Fprintf(&gomod, "\t%s // indirect\n", r)
		}
		gomod.WriteString(")\n")
	}
	fmt.Fprintf(&gomod, "\nreplace %s => %s\n", CloacinaModule, root)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod.String()), 0o644); err != nil {
		return nil, err
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		return nil, err
	}
	return &Module{Dir: dir, Path: ModulePath, Root: root}, nil
}

// ModuleRoot returns the root directory of the cloacina working tree: from
// this source file's location when it is known, otherwise from
// `go env GOMOD` in the current directory.
func ModuleRoot() (string, error) {
	if _, file, _, ok := goruntime.Caller(0); ok && filepath.IsAbs(file) {
		dir := filepath.Dir(file)
		for {
			if isCloacinaRoot(dir) {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the cloacina module: go env GOMOD: %w", err)
	}
	dir := filepath.Dir(strings.TrimSpace(string(out)))
	if !isCloacinaRoot(dir) {
		return "", fmt.Errorf("finding the cloacina module: %s is not its root", dir)
	}
	return dir, nil
}

// readGoMod returns the go version and the requirements ("path version")
// of a go.mod file.
func readGoMod(path string) (goVersion string, requires []string, err error) {
	mod, err := os.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	goVersion = "1.26"
	inRequire := false
	for _, line := range strings.Split(string(mod), "\n") {
		line, _, _ = strings.Cut(line, "//")
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case inRequire && f[0] == ")":
			inRequire = false
		case inRequire && len(f) == 2:
			requires = append(requires, f[0]+" "+f[1])
		case f[0] == "go" && len(f) == 2:
			goVersion = f[1]
		case f[0] == "require" && len(f) == 2 && f[1] == "(":
			inRequire = true
		case f[0] == "require" && len(f) == 3:
			requires = append(requires, f[1]+" "+f[2])
		}
	}
	return goVersion, requires, nil
}

func isCloacinaRoot(dir string) bool {
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(mod), "\n") {
		if strings.TrimSpace(line) == "module "+CloacinaModule {
			return true
		}
	}
	return false
}

// Env returns the environment for go commands in the module: the current
// one, without a -modfile flag that would point them at another go.mod,
// and with workspaces off.
func (m *Module) Env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if v, ok := strings.CutPrefix(kv, "GOFLAGS="); ok {
			var keep []string
			for _, f := range strings.Fields(v) {
				if !strings.HasPrefix(f, "-modfile") {
					keep = append(keep, f)
				}
			}
			kv = "GOFLAGS=" + strings.Join(keep, " ")
		}
		if strings.HasPrefix(kv, "GOWORK=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GOWORK=off")
}

// Go runs the go command with args in the module's directory and returns
// its combined output.
func (m *Module) Go(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = m.Dir
	cmd.Env = m.Env()
	// If ctx ends, return even if a program started by go run still holds
	// the output open.
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return out, nil
}

// WriteFile writes a file at a slash-separated path relative to the
// module's root, creating directories as needed.
func (m *Module) WriteFile(rel string, content []byte) error {
	path := filepath.Join(m.Dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, content, 0o644)
}

// Write writes the package described by spec into the module.
func (m *Module) Write(spec Spec) (*Package, error) {
	if spec.Name == "" {
		spec.Name = "synth"
		if spec.Dir != "" {
			spec.Name = path.Base(spec.Dir)
		}
	}
	if spec.Dir == "" {
		spec.Dir = spec.Name
	}
	if spec.Workflow == "" {
		spec.Workflow = spec.Name
	}
	if spec.MaxDeps <= 0 {
		spec.MaxDeps = 3
	}
	if spec.TasksPerFile <= 0 {
		spec.TasksPerFile = 50
	}
	if spec.Tasks < 1 {
		return nil, fmt.Errorf("testgen: a package needs at least one task, got %d", spec.Tasks)
	}
	dir := filepath.Join(m.Dir, filepath.FromSlash(spec.Dir))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	w := &writer{
		spec: spec,
		rng:  rand.New(rand.NewPCG(spec.Seed, 0x636c6f6163696e61)),
		pkg: &Package{
			Dir:        dir,
			ImportPath: m.Path + "/" + spec.Dir,
			Name:       spec.Name,
			Workflow:   spec.Workflow,
			Edges:      map[string][]string{},
		},
	}
	files := w.plan()
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
	}
	return w.pkg, nil
}

// taskSpec is one task function to write.
type taskSpec struct {
	fn       string
	id       string
	explicit bool     // write id= even when it equals the default
	deps     []string // written in this order
	reads    []string // the keys its default body reads: its valid dependencies
	badSig   bool
	// the body, when not the default (read the deps' keys, write its id):
	body    func(t *taskSpec, f *file) // writes the body's lines
	trigger string                     // trigger_rules value
	// recorded after writing
	keyPos  Position // the string literal of the body's key
	trigPos Position // the start of the trigger_rules value
	// recorded after writing
	dirPos  Position
	namePos Position
	depPos  []Position
}

type file struct {
	name  string
	buf   bytes.Buffer
	lines int
}

type writer struct {
	spec Spec
	rng  *rand.Rand
	pkg  *Package
}

func taskID(i int) string { return fmt.Sprintf("task%04d", i) }

// plan chooses the graph and the faults and renders the files.
func (w *writer) plan() []*file {
	n := w.spec.Tasks
	tasks := make([]*taskSpec, n)
	for i := range n {
		t := &taskSpec{fn: fmt.Sprintf("Task%04d", i), id: taskID(i), explicit: w.rng.IntN(2) == 0}
		if i > 0 {
			k := w.rng.IntN(min(w.spec.MaxDeps, i) + 1)
			for _, j := range w.rng.Perm(i)[:k] {
				t.deps = append(t.deps, taskID(j))
			}
		}
		w.pkg.Edges[t.id] = append([]string(nil), t.deps...)
		t.reads = w.pkg.Edges[t.id]
		tasks[i] = t
	}

	// Faults. Tasks they add go to a file that sorts after the others, so
	// that a duplicate id is declared later than the task it repeats.
	type pending struct {
		fault   Fault
		report  func() (string, Position, []Position)
		members []*taskSpec
	}
	var faults []pending
	var extra []*taskSpec
	for k, f := range w.spec.Faults {
		switch f {
		case Cycle:
			a := &taskSpec{fn: fmt.Sprintf("Cycle%dA", k), id: fmt.Sprintf("cycle%d_a", k), explicit: true}
			b := &taskSpec{fn: fmt.Sprintf("Cycle%dB", k), id: fmt.Sprintf("cycle%d_b", k), explicit: true}
			c := &taskSpec{fn: fmt.Sprintf("Cycle%dC", k), id: fmt.Sprintf("cycle%d_c", k), explicit: true}
			a.deps = []string{taskID(w.rng.IntN(n)), c.id}
			b.deps = []string{a.id}
			c.deps = []string{b.id}
			extra = append(extra, a, b, c)
			faults = append(faults, pending{fault: f, report: func() (string, Position, []Position) {
				return a.id, a.dirPos, []Position{b.dirPos, c.dirPos}
			}})
		case MissingDependency:
			t := tasks[w.rng.IntN(n)]
			ghost := fmt.Sprintf("ghost%d", k)
			at := w.rng.IntN(len(t.deps) + 1)
			t.deps = append(t.deps[:at], append([]string{ghost}, t.deps[at:]...)...)
			faults = append(faults, pending{fault: f, report: func() (string, Position, []Position) {
				return t.id, t.depPos[at], nil
			}})
		case DuplicateID:
			orig := tasks[w.rng.IntN(n)]
			d := &taskSpec{fn: fmt.Sprintf("Duplicate%d", k), id: orig.id, explicit: true}
			extra = append(extra, d)
			faults = append(faults, pending{fault: f, report: func() (string, Position, []Position) {
				return d.id, d.dirPos, []Position{orig.dirPos}
			}})
		case BadSignature:
			b := &taskSpec{fn: fmt.Sprintf("BadSignature%d", k), id: fmt.Sprintf("bad_signature%d", k), explicit: true, badSig: true}
			extra = append(extra, b)
			faults = append(faults, pending{fault: f, report: func() (string, Position, []Position) {
				return b.id, b.namePos, nil
			}})
		case MissingKey, KeyType, KeyExists:
			up := taskID(w.rng.IntN(n))
			x := &taskSpec{fn: fmt.Sprintf("Flow%d", k), id: fmt.Sprintf("flow%d_%s", k, f), explicit: true, deps: []string{up}}
			switch f {
			case MissingKey:
				x.body = readKey(fmt.Sprintf("absent%d", k), "int")
			case KeyType:
				x.body = readKey(up, "string")
			case KeyExists:
				x.body = insertKey(up, "1")
			}
			extra = append(extra, x)
			faults = append(faults, pending{fault: f, report: func() (string, Position, []Position) {
				return x.id, x.keyPos, nil
			}})
		case MergeConflict:
			key := fmt.Sprintf("merged%d", k)
			a := &taskSpec{fn: fmt.Sprintf("Merge%dA", k), id: fmt.Sprintf("merge%d_a", k), explicit: true,
				deps: []string{taskID(w.rng.IntN(n))}, body: setKey(key, "1")}
			b := &taskSpec{fn: fmt.Sprintf("Merge%dB", k), id: fmt.Sprintf("merge%d_b", k), explicit: true,
				deps: []string{taskID(w.rng.IntN(n))}, body: setKey(key, `[]string{"x"}`)}
			j := &taskSpec{fn: fmt.Sprintf("Merge%dJoin", k), id: fmt.Sprintf("merge%d_join", k), explicit: true,
				deps: []string{a.id, b.id}, body: setKey(fmt.Sprintf("joined%d", k), "1")}
			extra = append(extra, a, b, j)
			faults = append(faults, pending{fault: f, report: func() (string, Position, []Position) {
				return j.id, j.depPos[0], nil
			}})
		case TriggerKey:
			x := &taskSpec{fn: fmt.Sprintf("Trigger%d", k), id: fmt.Sprintf("trigger%d", k), explicit: true,
				deps: []string{taskID(w.rng.IntN(n))}, trigger: fmt.Sprintf("context_value(unset%d, exists)", k),
				body: setKey(fmt.Sprintf("triggered%d", k), "1")}
			extra = append(extra, x)
			faults = append(faults, pending{fault: f, report: func() (string, Position, []Position) {
				return x.id, x.trigPos, nil
			}})
		default:
			panic(fmt.Sprintf("testgen: unknown fault %q", f))
		}
	}

	// Shuffle the tasks across files so that neither file order nor
	// declaration order follows the graph.
	order := w.rng.Perm(n)
	var files []*file
	doc := &file{name: "doc.go"}
	w.header(doc, false)
	fmt.Fprintf(&doc.buf, "//cloacina:workflow name=%s description=%q\n", w.spec.Workflow, fmt.Sprintf("synthetic workflow of %d tasks, seed %d", n, w.spec.Seed))
	files = append(files, doc)
	for start := 0; start < n; start += w.spec.TasksPerFile {
		f := &file{name: fmt.Sprintf("tasks_%03d.go", start/w.spec.TasksPerFile)}
		w.header(f, true)
		for _, i := range order[start:min(start+w.spec.TasksPerFile, n)] {
			w.task(f, tasks[i])
		}
		files = append(files, f)
	}
	if len(extra) > 0 {
		f := &file{name: "zz_faults.go"}
		w.header(f, true)
		for _, t := range extra {
			w.task(f, t)
		}
		files = append(files, f)
	}
	for _, p := range faults {
		id, pos, rel := p.report()
		w.pkg.Injected = append(w.pkg.Injected, Injected{Fault: p.fault, Task: id, Pos: pos, Related: rel})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files
}

func (f *file) printf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	f.buf.WriteString(s)
	f.lines += strings.Count(s, "\n")
}

// header writes the package clause and imports.
func (w *writer) header(f *file, imports bool) {
	f.printf("// Code written by testgen for the generator's tests.\n\npackage %s\n\n", w.spec.Name)
	if imports {
		f.printf("import (\n\t\"context\"\n\n\t\"github.com/cloacina-go/cloacina/runtime\"\n)\n\n")
	}
}

// task writes one task function and records its positions.
func (w *writer) task(f *file, t *taskSpec) {
	line := "//cloacina:task"
	if t.explicit {
		line += " id=" + t.id
	}
	if len(t.deps) > 0 {
		line += " deps="
		col := len(line) + 1
		t.depPos = nil
		for _, d := range t.deps {
			t.depPos = append(t.depPos, Position{File: f.name, Line: f.lines + 2, Column: col})
			col += len(d) + 1
		}
		line += strings.Join(t.deps, ",")
	}
	if t.trigger != "" {
		line += " trigger_rules="
		t.trigPos = Position{File: f.name, Line: f.lines + 2, Column: len(line) + 1}
		line += t.trigger
	}
	f.printf("// %s is a synthetic task.\n", t.fn)
	t.dirPos = Position{File: f.name, Line: f.lines + 1, Column: 1}
	f.printf("%s\n", line)
	t.namePos = Position{File: f.name, Line: f.lines + 1, Column: len("func ") + 1}
	if t.badSig {
		f.printf("func %s(ctx context.Context, c runtime.Context) error {\n\treturn ctx.Err()\n}\n\n", t.fn)
		return
	}
	f.printf("func %s(ctx context.Context, c *runtime.Context) error {\n", t.fn)
	if t.body != nil {
		t.body(t, f)
	} else {
		for _, d := range t.reads {
			f.printf("\tif _, err := runtime.Get[int](c, %q); err != nil {\n\t\treturn err\n\t}\n", d)
		}
		f.printf("\treturn c.Set(%q, %d)\n", t.id, len(t.deps))
	}
	f.printf("}\n\n")
}

// readKey is a body that reads key as a value of Go type typ.
func readKey(key, typ string) func(*taskSpec, *file) {
	return func(t *taskSpec, f *file) {
		prefix := fmt.Sprintf("\t_, err := runtime.Get[%s](c, ", typ)
		t.keyPos = Position{File: f.name, Line: f.lines + 1, Column: len(prefix) + 1}
		f.printf("%s%q)\n\treturn err\n", prefix, key)
	}
}

// insertKey is a body that inserts value (Go source) under key.
func insertKey(key, value string) func(*taskSpec, *file) {
	return func(t *taskSpec, f *file) {
		prefix := "\treturn c.Insert("
		t.keyPos = Position{File: f.name, Line: f.lines + 1, Column: len(prefix) + 1}
		f.printf("%s%q, %s)\n", prefix, key, value)
	}
}

// setKey is a body that sets key to value (Go source).
func setKey(key, value string) func(*taskSpec, *file) {
	return func(t *taskSpec, f *file) {
		t.keyPos = Position{File: f.name, Line: f.lines + 1, Column: len("\treturn c.Set(") + 1}
		f.printf("\treturn c.Set(%q, %s)\n", key, value)
	}
}
