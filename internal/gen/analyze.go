package gen

import (
	"context"
	"go/ast"
	"go/token"
	"go/types"
	"os"
	"path/filepath"

	"golang.org/x/tools/go/packages"
)

// Unit is a package its caller has already parsed and type-checked, such
// as the package of a go/analysis pass: the input of Analyze.
type Unit struct {
	// Fset holds the positions of Files. Analyze may add to it the files of
	// the package's directory that are not in Files (test files and files
	// excluded from the build), when they hold directives to refuse.
	Fset *token.FileSet
	// Files are the package's parsed files, with comments. They may include
	// a previous cloacina_gen.go, which is ignored, and _test.go files,
	// whose directives are refused.
	Files []*ast.File
	// Types and Info are the type-checker's results for Files.
	Types *types.Package
	Info  *types.Info
	// Dir is the package's directory.
	Dir string
}

// Analyze runs the generator's checks on a type-checked package: the
// collection, validation and data-flow checks that Generate runs, and the
// generation of Content, which Result.Stale then compares with the file on
// disk. Positions are absolute, as Fset gives them. Analyze is what the
// cloacina-vet analyzer runs; it needs no go command.
func Analyze(u *Unit) *Result {
	l := &loaded{dir: u.Dir, opts: &Options{}, ctx: context.Background(), fset: u.Fset,
		stubbed: map[string]bool{}, generates: map[string]bool{}}
	for _, f := range u.Files {
		name := u.Fset.File(f.FileStart).Name()
		src, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		if filepath.Base(name) == OutputFile && isGenerated(src) {
			l.stubbed[name] = true
		}
		if hasGenerateLine(src) {
			l.generates[name] = true
		}
	}
	p := &packages.Package{
		ID:        u.Types.Path(),
		Name:      u.Types.Name(),
		PkgPath:   u.Types.Path(),
		Dir:       u.Dir,
		Syntax:    u.Files,
		Types:     u.Types,
		TypesInfo: u.Info,
	}
	return process(l, p)
}
