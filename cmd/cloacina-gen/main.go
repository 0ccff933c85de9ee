// Command cloacina-gen turns //cloacina:workflow and //cloacina:task
// directives into a validated workflow graph and the registration code that
// plugs it into the runtime: a cloacina_gen.go file in each package.
//
// Install it as a tool of your module (Go 1.24 or newer), which records it
// in go.mod with the versions of its dependencies:
//
//	go get -tool github.com/cloacina-go/cloacina/cmd/cloacina-gen
//
// and put this line in a file of each package that declares workflows:
//
//	//go:generate go tool cloacina-gen
//
// go generate ./... then writes each package's cloacina_gen.go, and
// go tool cloacina-gen -check ./... in CI finds the stale ones. (go run
// github.com/cloacina-go/cloacina/cmd/cloacina-gen does not work in a module
// that has not added the generator's own dependencies to its go.sum.)
//
// Usage:
//
//	cloacina-gen [-check] [-graph=mermaid|dot] [packages]
//
// Packages are go command patterns and default to ".", so that a bare
// //go:generate line works. Every problem found in the packages is
// reported, sorted, as file.go:line:col: message; warnings and notes of
// the data-flow check ("file.go:line:col: warning: message") are printed
// too but do not stop generation.
//
// Flags:
//
//	-check    write nothing; list the generated files that are missing,
//	          out of date or no longer needed, say how to update each
//	          (go generate, or the //go:generate line to add), and exit 1
//	          if there are any
//	-graph f  write nothing; print every workflow's graph in format f
//	          (mermaid or dot) to standard output
//
// Exit codes: 0 success, 1 -check found stale files, 2 invalid input (load,
// directive or validation errors) or bad usage. Errors take precedence over
// -check and -graph: a package with errors is neither checked nor drawn.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cloacina-go/cloacina/internal/gen"
)

// toolPath is the package users install with go get -tool.
const toolPath = "github.com/cloacina-go/cloacina/cmd/cloacina-gen"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command with its arguments and output streams; it returns the
// exit code.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("cloacina-gen", flag.ContinueOnError)
	flags.SetOutput(stderr)
	check := flags.Bool("check", false, "write nothing; list stale generated files and exit 1 if there are any")
	graph := flags.String("graph", "", "write nothing; print each workflow's graph as `format` mermaid or dot")
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), "usage: cloacina-gen [-check] [-graph=mermaid|dot] [packages]")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var format gen.GraphFormat
	if *graph != "" {
		f, err := gen.ParseGraphFormat(*graph)
		if err != nil {
			fmt.Fprintln(stderr, "cloacina-gen:", err)
			return 2
		}
		format = f
	}

	results, err := gen.Generate(context.Background(), nil, flags.Args()...)
	if err != nil {
		fmt.Fprintln(stderr, "cloacina-gen:", err)
		return 2
	}
	errs, notes := gen.Errors(results), gen.Notes(results)
	all := append(append(gen.ErrorList(nil), errs...), notes...)
	all.Sort()
	for _, e := range all {
		fmt.Fprintln(stderr, e)
	}
	if len(errs) > 0 {
		return 2
	}

	switch {
	case format != "":
		if err := gen.WriteGraphs(stdout, results, format); err != nil {
			fmt.Fprintln(stderr, "cloacina-gen:", err)
			return 2
		}
		return 0
	case *check:
		stale, err := gen.StaleFiles(results)
		if err != nil {
			fmt.Fprintln(stderr, "cloacina-gen:", err)
			return 2
		}
		for _, path := range stale {
			fmt.Fprintln(stdout, path)
		}
		if len(stale) > 0 {
			fmt.Fprintf(stderr, "cloacina-gen: %d generated file(s) out of date\n", len(stale))
			advise(stderr, results)
			return 1
		}
		return 0
	}
	for _, r := range results {
		if err := r.Commit(); err != nil {
			fmt.Fprintln(stderr, "cloacina-gen:", err)
			return 2
		}
	}
	return 0
}

// advise tells how to bring each stale package up to date: go generate
// where a //go:generate line runs cloacina-gen, and otherwise which line
// to add, since go generate does nothing in a package without one.
func advise(w io.Writer, results []*gen.Result) {
	wd, _ := os.Getwd()
	rel := func(path string) string {
		if r, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
		return path
	}
	var dirs []string
	for _, r := range results {
		if stale, err := r.Stale(); err != nil || !stale {
			continue
		}
		dir := rel(r.Dir)
		if dir != "." && !filepath.IsAbs(dir) {
			dir = "." + string(filepath.Separator) + dir
		}
		switch {
		case r.GenerateLine:
			dirs = append(dirs, dir)
		case r.Content == nil:
			fmt.Fprintf(w, "cloacina-gen: %s is no longer needed: package %s has no //cloacina: directives left; delete it\n",
				rel(r.OutputPath), r.PkgPath)
		default:
			file := "one of its files"
			if len(r.Workflows) > 0 {
				file = rel(r.Workflows[0].Pos.Filename)
			}
			fmt.Fprintf(w, "cloacina-gen: package %s has no //go:generate line that runs cloacina-gen, so go generate does not update %s; add\n"+
				"\t//go:generate go tool cloacina-gen\n"+
				"to %s (the tool comes from go get -tool %s), then run go generate %s\n",
				r.PkgPath, rel(r.OutputPath), file, toolPath, dir)
		}
	}
	if len(dirs) > 0 {
		fmt.Fprintf(w, "cloacina-gen: run go generate %s\n", strings.Join(dirs, " "))
	}
}
