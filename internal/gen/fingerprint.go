package gen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"go/ast"
	"go/printer"
	"go/token"

	"github.com/cloacina-go/cloacina/annotations"
	"github.com/cloacina-go/cloacina/internal/spec"
)

// Fingerprint returns the fingerprint of a task: the hex SHA-256 of its
// function declaration, printed without its doc comment, without the
// comments inside it and without the layout of the source, followed by
// its directive's canonical text.
//
// Printing with a file set that knows nothing of the declaration's
// positions makes go/printer lay the code out from the syntax alone, so
// line breaks, blank lines, spacing and comments do not matter; any change
// to the name, parameters, results or body does, and so does any change to
// the directive's values (annotations.Task.Canonical ignores spacing, key
// order and aliases).
func Fingerprint(fn *ast.FuncDecl, canonical string) string {
	h := sha256.New()
	h.Write([]byte("cloacina-task-v1\x00"))
	if fn != nil {
		decl := *fn
		decl.Doc = nil
		var buf bytes.Buffer
		cfg := printer.Config{Mode: printer.UseSpaces | printer.TabIndent, Tabwidth: 8}
		if err := cfg.Fprint(&buf, token.NewFileSet(), &decl); err != nil {
			// go/printer fails only on a broken tree, which a type-checked
			// package cannot have; hash what was printed all the same.
			buf.WriteString("\x00printer error: " + err.Error())
		}
		h.Write(buf.Bytes())
	}
	h.Write([]byte{0})
	h.Write([]byte(canonical))
	return hex.EncodeToString(h.Sum(nil))
}

// build turns the validated workflows into the generator's model, with
// fingerprints and versions.
func (s *pkgState) build(wfs []*wfTasks) []*Workflow {
	prints := map[*annotations.Task]string{}
	out := make([]*Workflow, 0, len(wfs))
	for _, w := range wfs {
		m := &Workflow{
			Name:        w.dir.Name,
			Description: w.dir.Description,
			Author:      w.dir.Author,
			Tenant:      w.dir.Tenant,
			GoName:      goName(w.dir.Name),
			Pos:         w.dir.Pos,
			Inputs:      w.dir.Inputs,
			EdgeKeys:    s.edgeKeys[w.dir.Name],
			Schedules:   w.schedules,
			Triggers:    w.triggers,
		}
		versions := make([]spec.TaskVersion, 0, len(w.tasks))
		for _, t := range w.tasks {
			fp, ok := prints[t]
			if !ok {
				fp = Fingerprint(t.Func, t.Canonical)
				prints[t] = fp
			}
			m.Tasks = append(m.Tasks, &Task{ID: t.ID, Func: t.FuncName, Deps: t.Deps, Fingerprint: fp, Directive: t})
			versions = append(versions, spec.TaskVersion{ID: t.ID, Fingerprint: fp, Dependencies: t.Deps})
		}
		m.Version = spec.WorkflowVersion(m.Name, versions)
		out = append(out, m)
	}
	return out
}
