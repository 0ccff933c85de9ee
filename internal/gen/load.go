package gen

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/tools/go/packages"
)

// loadMode is everything the generator needs, and no more: names, syntax
// (with comments) and full type information of the matched packages.
// Dependencies are not parsed; go/packages reads their types from the
// export data the go command produces (or finds in the build cache).
const loadMode = packages.NeedName | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo

// loaded is the outcome of the single packages.Load of a run.
type loaded struct {
	dir  string // absolute; error positions are made relative to it
	opts *Options
	ctx  context.Context
	fset *token.FileSet
	pkgs []*packages.Package
	// stubbed holds the files whose previous generated output was replaced
	// by an empty file for type checking.
	stubbed map[string]bool
	// generates holds the files with a //go:generate line that runs
	// cloacina-gen.
	generates map[string]bool
}

// load runs packages.Load once for all patterns.
//
// A previously generated cloacina_gen.go is parsed as an empty file of the
// package, so that the types seen are those of the user's code alone: a
// stale generated file (naming a function that was renamed, say) cannot
// stop the generator from replacing it, and the identifiers it declares
// are free to be declared again.
func load(ctx context.Context, dir string, opts *Options, patterns []string) (*loaded, error) {
	l := &loaded{dir: dir, opts: opts, ctx: ctx, fset: token.NewFileSet(), stubbed: map[string]bool{}, generates: map[string]bool{}}
	var mu sync.Mutex
	cfg := &packages.Config{
		Context:    ctx,
		Mode:       loadMode,
		Dir:        dir,
		Env:        opts.Env,
		BuildFlags: opts.BuildFlags,
		Fset:       l.fset,
		ParseFile: func(fset *token.FileSet, filename string, src []byte) (*ast.File, error) {
			if filepath.Base(filename) == OutputFile && isGenerated(src) {
				f, err := parser.ParseFile(fset, filename, src, parser.PackageClauseOnly)
				if err != nil {
					return nil, err
				}
				mu.Lock()
				l.stubbed[filename] = true
				mu.Unlock()
				return &ast.File{FileStart: f.FileStart, FileEnd: f.FileEnd, Package: f.Package, Name: f.Name}, nil
			}
			if hasGenerateLine(src) {
				mu.Lock()
				l.generates[filename] = true
				mu.Unlock()
			}
			return parser.ParseFile(fset, filename, src, parser.ParseComments|parser.SkipObjectResolution)
		},
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, fmt.Errorf("loading packages: %w", err)
	}
	if len(pkgs) == 0 {
		// go/packages reports some failures of the go command (a go.mod
		// that needs updating, say) by listing nothing at all.
		pats := strings.Join(patterns, " ")
		return nil, fmt.Errorf("the go command listed no packages for %s; run go list %s to see why", pats, pats)
	}
	l.pkgs = pkgs
	return l, nil
}

// loadErrors converts the errors go/packages recorded for p, leaving out
// those that are not the user's:
//   - the compiler output of the go command's build of p itself (it builds
//     export data for every listed package), which repeats the type errors
//     found here and includes errors in a stale generated file;
//   - "undefined: X" where X is an identifier the generated file declares,
//     because that file is ignored while loading.
func loadErrors(p *packages.Package, generated map[string]bool) ErrorList {
	var errs ErrorList
	for _, e := range p.Errors {
		if e.Kind == packages.ListError && strings.HasPrefix(e.Msg, "# ") && len(p.Syntax) > 0 {
			continue
		}
		if e.Kind == packages.TypeError {
			if name, ok := strings.CutPrefix(e.Msg, "undefined: "); ok && generated[name] {
				continue
			}
		}
		pos := parsePos(e.Pos)
		if pos.Filename == "" {
			pos.Filename = p.Dir
		}
		errs.add(pos, LoadError, "%s", e.Msg)
	}
	return errs
}

// silentLoadErrors explains a package that go/packages marks ill-typed
// without recording why. With only the matched packages loaded, a
// dependency the go command could not build (most often a module whose
// checksum is missing from go.sum) leaves p without its imports' types and
// without an error; generating from it would hide a build that cannot
// succeed. The go command, asked about p alone, says why.
func (l *loaded) silentLoadErrors(p *packages.Package) ErrorList {
	if !p.IllTyped || len(p.Errors) > 0 {
		return nil
	}
	// Messages run over several lines; an ASCII record separator ends each.
	const sep = "\x1e"
	args := append([]string{"list", "-e", "-f", `{{range .DepsErrors}}{{.Err}}{{"\x1e"}}{{end}}{{with .Error}}{{.Err}}{{"\x1e"}}{{end}}`}, l.opts.BuildFlags...)
	cmd := exec.CommandContext(l.ctx, "go", append(args, p.ID)...)
	cmd.Dir, cmd.Env = l.dir, l.opts.Env
	out, _ := cmd.Output() // on failure, the message below still stands
	var errs ErrorList
	seen := map[string]bool{}
	for _, msg := range strings.Split(string(out), sep) {
		if msg = strings.TrimSpace(msg); msg != "" && !seen[msg] {
			seen[msg] = true
			errs.add(token.Position{Filename: p.Dir}, LoadError, "%s", msg)
		}
	}
	if len(errs) == 0 {
		errs.add(token.Position{Filename: p.Dir}, LoadError,
			"the package does not type-check and the go command gave no reason; run go build in this directory to see why")
	}
	return errs
}

// existingOutput reads the output file of a package directory; ok is false
// when there is none.
func existingOutput(path string) (src []byte, ok bool) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	return src, true
}
