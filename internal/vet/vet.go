// Package vet is the go/analysis analyzer behind cmd/cloacina-vet. It runs
// the checks of the generator (package internal/gen) on each package go
// vet gives it, so that go vet, and editors that run analyzers, show what
// cloacina-gen would report:
//
//   - directive errors (unknown keys, malformed values, misplaced
//     directives), task and callback signatures;
//   - graph errors: unknown dependencies, cycles, duplicate ids, trigger
//     rules naming tasks that are not upstream;
//   - the data-flow check: keys read that nothing upstream writes, types
//     that cannot decode what is written, inserts of keys that exist,
//     incompatible parallel writes, context_value rules on unknown keys or
//     with literals of another type; with its warnings and notes;
//   - a generated cloacina_gen.go that is missing, out of date with its
//     sources, or no longer needed, which go build cannot see.
//
// Messages are those of cloacina-gen; a warning's starts with "warning: "
// and a note's with "note: ". Each diagnostic's category is the problem's
// kind (gen.ErrorKind.String, such as "missing_key"). Did-you-mean
// problems (an unknown dependency, a misspelt key written as a string
// literal) carry a suggested fix.
//
// The analyzer reads the package's directory (for files outside the
// build, and the generated file), but runs no go command. An external
// test package (package x_test) is skipped: its directives are reported
// with the package's own.
package vet

import (
	"go/token"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/cloacina-go/cloacina/internal/gen"
)

// Analyzer reports the problems cloacina-gen would report, and stale
// generated code.
var Analyzer = &analysis.Analyzer{
	Name: "cloacina",
	Doc: "check //cloacina: directives, workflow graphs and the data flow of context keys, and that cloacina_gen.go is up to date\n\n" +
		"cloacina reports what cloacina-gen would: directive, graph and data-flow errors, with their warnings and notes, " +
		"and a generated file that is missing or out of date (run go generate).",
	URL: "https://pkg.go.dev/github.com/cloacina-go/cloacina/cmd/cloacina-vet",
	Run: run,
}

func run(pass *analysis.Pass) (any, error) {
	if len(pass.Files) == 0 || strings.HasSuffix(pass.Pkg.Name(), "_test") {
		return nil, nil
	}
	first := pass.Fset.File(pass.Files[0].FileStart).Name()
	r := gen.Analyze(&gen.Unit{Fset: pass.Fset, Files: pass.Files, Types: pass.Pkg, Info: pass.TypesInfo, Dir: filepath.Dir(first)})
	all := append(append(gen.ErrorList(nil), r.Errors...), r.Notes...)
	all.Sort()
	for _, e := range all {
		report(pass, e)
	}
	if len(r.Errors) == 0 {
		stale(pass, r)
	}
	return nil, nil
}

// report turns a generator problem into a diagnostic.
func report(pass *analysis.Pass, e *gen.Error) {
	msg := e.Msg
	if e.Severity != gen.SeverityError {
		msg = e.Severity.String() + ": " + msg
	}
	pos, ok := toPos(pass.Fset, e.Pos)
	if !ok {
		// A position in no file of the fileset, or none at all: report at
		// the package clause, naming the place.
		pos = pass.Files[0].Package
		if e.Pos.Filename != "" {
			msg = e.Pos.String() + ": " + msg
		}
	}
	d := analysis.Diagnostic{Pos: pos, Category: e.Kind.String(), Message: msg}
	if f := e.Fix; f != nil {
		start, ok1 := toPos(pass.Fset, f.Pos)
		end, ok2 := toPos(pass.Fset, f.End)
		if ok1 && ok2 {
			d.SuggestedFixes = []analysis.SuggestedFix{{
				Message:   f.Message,
				TextEdits: []analysis.TextEdit{{Pos: start, End: end, NewText: []byte(f.NewText)}},
			}}
		}
	}
	pass.Report(d)
}

// stale reports a generated file that differs from what cloacina-gen
// would write.
func stale(pass *analysis.Pass, r *gen.Result) {
	bad, err := r.Stale()
	if err != nil || !bad {
		return
	}
	var at token.Pos
	var msg string
	for _, f := range pass.Files {
		if pass.Fset.File(f.FileStart).Name() == r.OutputPath {
			at = f.Package
		}
	}
	switch {
	case r.Content == nil:
		msg = gen.OutputFile + " is no longer needed: the package has no //cloacina: directives; delete it"
	case at.IsValid():
		msg = gen.OutputFile + " is out of date with the package's directives and task functions; run go generate"
	default:
		msg = gen.OutputFile + " is missing; run go generate (with a //go:generate go tool cloacina-gen line in the package)"
		if len(r.Workflows) > 0 {
			for _, f := range pass.Files {
				if pass.Fset.File(f.FileStart).Name() == r.Workflows[0].Pos.Filename {
					at = f.Package
				}
			}
		}
	}
	if !at.IsValid() {
		at = pass.Files[0].Package
	}
	pass.Report(analysis.Diagnostic{Pos: at, Category: gen.StaleOutput.String(), Message: msg})
}

// toPos finds the token.Pos of a position of a file in fset.
func toPos(fset *token.FileSet, p token.Position) (token.Pos, bool) {
	if p.Filename == "" || p.Line < 1 {
		return token.NoPos, false
	}
	var found *token.File
	fset.Iterate(func(f *token.File) bool {
		if f.Name() == p.Filename {
			found = f
			return false
		}
		return true
	})
	if found == nil || p.Line > found.LineCount() {
		return token.NoPos, false
	}
	pos := found.LineStart(p.Line) + token.Pos(max(p.Column-1, 0))
	if int(pos)-found.Base() > found.Size() {
		return token.NoPos, false
	}
	return pos, true
}
