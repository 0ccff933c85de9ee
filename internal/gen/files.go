package gen

import (
	"bytes"
	"go/ast"
	"go/build"
	"go/build/constraint"
	"go/parser"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cloacina-go/cloacina/annotations"
)

// excludedReason returns why the file named filename, parsed as f (with
// comments), is not compiled by every build of its package, or "" when it
// is; ignored is set for files the go command left out of this build. The
// generator writes one cloacina_gen.go for every build, so it takes
// directives only from files every build compiles (see the package doc).
func excludedReason(filename string, f *ast.File, ignored bool) string {
	base := filepath.Base(filename)
	if strings.HasSuffix(base, "_test.go") {
		return "in a _test.go file, which go build does not compile, so cloacina_gen.go could not refer to it; " +
			"move it to a file without the _test suffix, or build test workflows by hand with runtime.NewWorkflow"
	}
	const move = "; cloacina_gen.go is compiled by every build of the package, so move the directive and its function to a file without build constraints (the function may call platform-specific code)"
	if c := buildConstraint(f); c != "" {
		return "in a file with the build constraint " + c + move
	}
	if osArchSuffix(base) {
		return "in " + base + ", whose GOOS/GOARCH file name suffix leaves it out of builds for other platforms" + move
	}
	if ignored {
		return "in a file the go command leaves out of this build" + move
	}
	return ""
}

// buildConstraint returns the //go:build (or // +build) line of f, or "".
func buildConstraint(f *ast.File) string {
	for _, cg := range f.Comments {
		if cg.Pos() >= f.Package {
			break
		}
		for _, c := range cg.List {
			if constraint.IsGoBuild(c.Text) || constraint.IsPlusBuild(c.Text) {
				return c.Text
			}
		}
	}
	return ""
}

// osArchSuffix reports whether a file name ends in a GOOS or GOARCH suffix
// (x_linux.go, x_arm64_test.go). go/build decides, by matching the name
// alone against two platforms that share neither an OS nor an
// architecture: such a file is left out of at least one of them.
func osArchSuffix(base string) bool {
	for _, p := range [][2]string{{"linux", "amd64"}, {"windows", "arm64"}} {
		ctxt := build.Context{
			GOOS: p[0], GOARCH: p[1], Compiler: "gc", CgoEnabled: true,
			OpenFile: func(string) (io.ReadCloser, error) {
				return io.NopCloser(strings.NewReader("package p\n")), nil // the name alone decides
			},
		}
		if ok, err := ctxt.MatchFile(".", base); err != nil || !ok {
			return true
		}
	}
	return false
}

// refuse reports every directive of f, which excludedReason says is not
// compiled by every build, and marks the package as having directives.
func (s *pkgState) refuse(f *ast.File, why string) {
	for _, d := range annotations.FindDirectives(s.l.fset, f) {
		what := annotations.Prefix + d.Verb
		if d.Verb == "" {
			what = "directive"
		}
		s.errs.add(d.Pos, ExcludedFile, "%s %s", what, why)
		s.directive = true
	}
}

// scanDir looks at the Go files of the package's directory that were not
// loaded (test files and files excluded from this build): it refuses their
// directives, and notes whether a //go:generate line of a test file runs
// cloacina-gen (go generate reads test files too). loaded holds the names
// of the loaded files.
func (s *pkgState) scanDir(loaded map[string]bool) {
	if s.p.Dir == "" {
		return
	}
	entries, err := os.ReadDir(s.p.Dir)
	if err != nil {
		return // the package's own load errors say more
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") {
			continue // the go command ignores files starting with _ or .
		}
		path := filepath.Join(s.p.Dir, name)
		if loaded[path] || name == OutputFile {
			continue
		}
		src, err := os.ReadFile(path)
		if err != nil || !bytes.Contains(src, []byte("cloacina")) {
			continue
		}
		f, _ := parser.ParseFile(s.l.fset, path, src, parser.ParseComments|parser.SkipObjectResolution)
		if f == nil {
			continue
		}
		why := excludedReason(path, f, true)
		if strings.HasSuffix(name, "_test.go") && buildConstraint(f) == "" && hasGenerateLine(src) {
			s.generate = true
		}
		s.refuse(f, why)
	}
}

// hasGenerateLine reports whether src has a //go:generate line that runs
// cloacina-gen: a line starting with //go:generate (as go generate reads
// them) that mentions cloacina-gen.
func hasGenerateLine(src []byte) bool {
	for len(src) > 0 {
		line := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		if (bytes.HasPrefix(line, []byte("//go:generate ")) || bytes.HasPrefix(line, []byte("//go:generate\t"))) &&
			bytes.Contains(line, []byte("cloacina-gen")) {
			return true
		}
	}
	return false
}
