package gen

import (
	"fmt"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/cloacina-go/cloacina/annotations"
)

// ErrorKind classifies an Error, so that tests and tools can tell problems
// apart without matching messages.
type ErrorKind int

// The kinds of Error.
const (
	// LoadError: the package could not be listed, parsed or type-checked.
	LoadError ErrorKind = iota + 1
	// DirectiveError: a //cloacina: directive is malformed or misplaced
	// (reported by package annotations).
	DirectiveError
	// SignatureError: a task function does not have the task signature.
	SignatureError
	// CallbackError: an on_success or on_failure function does not exist or
	// does not have the callback signature.
	CallbackError
	// AssignmentError: a task's workflow is unknown or ambiguous, a task is
	// in no workflow, or a workflow's tasks= list names an unknown task.
	AssignmentError
	// DuplicateWorkflow: two workflows of a package share a name.
	DuplicateWorkflow
	// EmptyWorkflow: a workflow has no tasks.
	EmptyWorkflow
	// DuplicateTask: two tasks of a workflow share an id.
	DuplicateTask
	// MissingDependency: a task depends on an id that is not in its workflow.
	MissingDependency
	// DuplicateDependency: a task lists a dependency twice.
	DuplicateDependency
	// Cycle: dependencies loop back on themselves.
	Cycle
	// TriggerError: a trigger rule names a task that is not upstream of the
	// task it belongs to.
	TriggerError
	// NameConflict: an identifier the generator would declare is taken.
	NameConflict
	// OutputError: the output file exists and was not written by
	// cloacina-gen.
	OutputError
	// ExcludedFile: a directive is in a file that not every build of the
	// package compiles: a _test.go file, or a file with build constraints
	// or a GOOS/GOARCH suffix.
	ExcludedFile
	// MissingKey: a task reads (or updates) a context key that no task
	// upstream writes and that is not a declared input of the workflow.
	MissingKey
	// KeyType: a task reads a key as a type that cannot decode what its
	// upstream writer writes; a numeric width change is a warning.
	KeyType
	// KeyExists: a task inserts a key that a task upstream already wrote.
	KeyExists
	// MergeConflict: two parallel branches write one key with incompatible
	// types, and a task downstream merges them.
	MergeConflict
	// TriggerKey: a context_value trigger rule tests a key nothing
	// upstream writes, or compares it with a literal of another type.
	TriggerKey
	// UncheckedKey: a note that a task uses context keys that are not
	// constants, which are not checked.
	UncheckedKey
	// StaleOutput: the generated file is missing or out of date with its
	// sources (reported by the analyzer, which cannot rewrite it).
	StaleOutput
	// InputError: a JSON input (a schedule's, say) does not match the
	// workflow's declared inputs (see CheckInput).
	InputError
	// ScheduleError: a schedule or trigger names an unknown workflow,
	// repeats a name or leaves out a required one, or a trigger's function
	// does not have the trigger signature.
	ScheduleError
)

// Severity says whether a problem stops generation.
type Severity int

// The severities of Error. The zero value is an error.
const (
	// SeverityError: the package gets no generated code.
	SeverityError Severity = iota
	// SeverityWarning: a likely problem (a numeric width change);
	// generation goes on.
	SeverityWarning
	// SeverityNote: something the generator could not check; generation
	// goes on.
	SeverityNote
)

// String returns "error", "warning" or "note".
func (s Severity) String() string {
	switch s {
	case SeverityWarning:
		return "warning"
	case SeverityNote:
		return "note"
	}
	return "error"
}

// Fix is an edit that resolves a problem: replace the source from Pos to
// End with NewText. Did-you-mean problems carry one, those of directives
// (a misspelt key) included.
type Fix = annotations.Fix

var kindNames = map[ErrorKind]string{
	LoadError:           "load",
	DirectiveError:      "directive",
	SignatureError:      "signature",
	CallbackError:       "callback",
	AssignmentError:     "assignment",
	DuplicateWorkflow:   "duplicate_workflow",
	EmptyWorkflow:       "empty",
	DuplicateTask:       "duplicate",
	MissingDependency:   "missing_dependency",
	DuplicateDependency: "duplicate_dependency",
	Cycle:               "cycle",
	TriggerError:        "trigger",
	NameConflict:        "name_conflict",
	OutputError:         "output",
	ExcludedFile:        "excluded_file",
	MissingKey:          "missing_key",
	KeyType:             "key_type",
	KeyExists:           "key_exists",
	MergeConflict:       "merge_conflict",
	TriggerKey:          "trigger_key",
	UncheckedKey:        "unchecked_key",
	StaleOutput:         "stale_output",
	InputError:          "input",
	ScheduleError:       "schedule",
}

// String returns the kind's name in snake_case. The graph kinds use the
// names of package internal/dag: "empty", "duplicate",
// "missing_dependency", "duplicate_dependency", "cycle".
func (k ErrorKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// Error is one problem found in the input, at a position in the source.
type Error struct {
	Pos  token.Position
	Kind ErrorKind
	Msg  string
	// Severity is SeverityError (the zero value) for errors; warnings and
	// notes are in Result.Notes.
	Severity Severity
	// Fix, when not nil, is an edit that resolves the problem.
	Fix *Fix
}

// Error returns the problem as "file.go:12:3: message", with "warning: "
// or "note: " before the message of a warning or a note.
func (e *Error) Error() string {
	msg := e.Msg
	if e.Severity != SeverityError {
		msg = e.Severity.String() + ": " + msg
	}
	if !e.Pos.IsValid() && e.Pos.Filename == "" {
		return msg
	}
	return e.Pos.String() + ": " + msg
}

// ErrorList is a list of problems. Sort orders it by file, line, column
// and message, the order in which they are reported.
type ErrorList []*Error

// add appends an error.
func (l *ErrorList) add(pos token.Position, kind ErrorKind, format string, args ...any) {
	*l = append(*l, &Error{Pos: pos, Kind: kind, Msg: fmt.Sprintf(format, args...)})
}

// note appends a warning or a note.
func (l *ErrorList) note(sev Severity, pos token.Position, kind ErrorKind, format string, args ...any) *Error {
	e := &Error{Pos: pos, Kind: kind, Msg: fmt.Sprintf(format, args...), Severity: sev}
	*l = append(*l, e)
	return e
}

// split separates the errors from the warnings and notes.
func (l ErrorList) split() (errs, notes ErrorList) {
	for _, e := range l {
		if e.Severity == SeverityError {
			errs = append(errs, e)
		} else {
			notes = append(notes, e)
		}
	}
	return errs, notes
}

// Sort sorts the list in place by file name, line, column, then message,
// and drops exact duplicates.
func (l *ErrorList) Sort() {
	s := *l
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i].Pos, s[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return s[i].Msg < s[j].Msg
	})
	out := s[:0]
	for i, e := range s {
		if i > 0 && e.Pos == s[i-1].Pos && e.Msg == s[i-1].Msg {
			continue
		}
		out = append(out, e)
	}
	*l = out
}

// Error returns the errors one per line.
func (l ErrorList) Error() string {
	if len(l) == 0 {
		return "no errors"
	}
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Err returns the list as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// relative rewrites pos to be relative to dir when it lies inside it, as
// go vet prints positions.
func relative(pos token.Position, dir string) token.Position {
	if dir == "" || !filepath.IsAbs(pos.Filename) {
		return pos
	}
	rel, err := filepath.Rel(dir, pos.Filename)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return pos
	}
	pos.Filename = rel
	return pos
}

// at formats pos for use inside a message about another position,
// relative to the directory the primary positions are relative to, so that
// "c at x/t.go:19:1" reads like the "x/t.go:12:1:" that starts the line.
func (l *loaded) at(pos token.Position) string {
	return relative(pos, l.dir).String()
}

// parsePos parses the position of a packages.Error: "file:line:col",
// "file:line", "file", or "-" / "" for none.
func parsePos(s string) token.Position {
	if s == "" || s == "-" {
		return token.Position{}
	}
	var pos token.Position
	rest := s
	var nums []int
	for len(nums) < 2 {
		i := strings.LastIndexByte(rest, ':')
		if i < 0 {
			break
		}
		n, err := strconv.Atoi(rest[i+1:])
		if err != nil {
			break
		}
		nums = append(nums, n)
		rest = rest[:i]
	}
	pos.Filename = rest
	switch len(nums) {
	case 1:
		pos.Line = nums[0]
	case 2:
		pos.Line, pos.Column = nums[1], nums[0]
	}
	return pos
}
