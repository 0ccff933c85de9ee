package annotations

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

// ParseFile finds every //cloacina: directive in f, which must have been
// parsed with parser.ParseComments, checks where each one is placed, and
// returns the typed directives with all the errors found, sorted. It never
// stops at the first error.
//
// The returned File is never nil. When there are errors it still holds every
// directive that is placed correctly (with invalid values left at their
// defaults), so that a caller can go on to report other problems; it must
// not generate code from it.
//
// Positions are those of fset.Position, honouring //line directives, except
// where such a directive leaves no column or file name: then the position
// in the file itself is used.
func ParseFile(fset *token.FileSet, f *ast.File) (*File, ErrorList) {
	out := &File{}
	if f == nil {
		return out, nil
	}
	p := &fileParser{fset: fset, f: f, out: out, docs: map[*ast.CommentGroup]owner{}, funcGroups: map[funcKey]token.Position{}}
	p.index()
	for _, cg := range f.Comments {
		p.group(cg)
	}
	p.errs.Sort()
	return out, p.errs
}

type fileParser struct {
	fset   *token.FileSet
	f      *ast.File
	out    *File
	errs   ErrorList
	docs   map[*ast.CommentGroup]owner
	bodies []body
	// funcGroups records where the directive group of each verb on a
	// function starts.
	funcGroups map[funcKey]token.Position
}

// funcKey is a function and a directive verb placed on it.
type funcKey struct {
	fd   *ast.FuncDecl
	verb string
}

// owner is the declaration a doc comment belongs to.
type owner struct {
	fn   *ast.FuncDecl
	gen  *ast.GenDecl
	spec ast.Spec
}

// body is the block of a function declaration (fn set) or literal.
type body struct {
	pos, end token.Pos
	fn       *ast.FuncDecl
}

// placeKind says where a comment group is.
type placeKind int

const (
	placeTopLevel   placeKind = iota // free-floating at top level
	placePackageDoc                  // the package clause's doc comment
	placeDoc                         // the doc comment of a declaration
	placeBody                        // inside a function body
	placeInDecl                      // inside a declaration, not its doc
	placeSameLine                    // after a declaration, on its last line
)

type place struct {
	kind placeKind
	fn   *ast.FuncDecl // placeDoc of a function, or placeBody of a declared function
	what string        // the declaration, e.g. "func F", "method (*T).Run", "type T"
}

func (p *fileParser) index() {
	for _, d := range p.f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Doc != nil {
				p.docs[d.Doc] = owner{fn: d}
			}
			if d.Body != nil {
				p.bodies = append(p.bodies, body{d.Body.Pos(), d.Body.End(), d})
			}
		case *ast.GenDecl:
			if d.Doc != nil {
				p.docs[d.Doc] = owner{gen: d}
			}
			for _, s := range d.Specs {
				var doc *ast.CommentGroup
				switch s := s.(type) {
				case *ast.TypeSpec:
					doc = s.Doc
				case *ast.ValueSpec:
					doc = s.Doc
				case *ast.ImportSpec:
					doc = s.Doc
				}
				if doc != nil {
					p.docs[doc] = owner{gen: d, spec: s}
				}
			}
		}
	}
	// Function literals anywhere, after the declared bodies so that those win.
	ast.Inspect(p.f, func(n ast.Node) bool {
		if fl, ok := n.(*ast.FuncLit); ok && fl.Body != nil {
			p.bodies = append(p.bodies, body{fl.Body.Pos(), fl.Body.End(), nil})
		}
		return true
	})
}

// position converts pos, preferring the adjusted position (//line) when it
// is complete.
func (p *fileParser) position(pos token.Pos) token.Position {
	ps := p.fset.PositionFor(pos, true)
	if ps.Filename == "" || ps.Line < 1 || ps.Column < 1 {
		ps = p.fset.PositionFor(pos, false)
	}
	return ps
}

func (p *fileParser) line(pos token.Pos) int { return p.fset.PositionFor(pos, false).Line }

func (p *fileParser) place(cg *ast.CommentGroup) place {
	if cg == p.f.Doc {
		return place{kind: placePackageDoc}
	}
	if o, ok := p.docs[cg]; ok {
		if o.fn != nil {
			return place{kind: placeDoc, fn: o.fn, what: funcDesc(o.fn)}
		}
		return place{kind: placeDoc, what: genDesc(o.gen, o.spec)}
	}
	pos := cg.Pos()
	for _, b := range p.bodies {
		if b.pos.IsValid() && pos > b.pos && pos < b.end {
			return place{kind: placeBody, fn: b.fn}
		}
	}
	for _, d := range p.f.Decls {
		start, end := d.Pos(), d.End()
		if !start.IsValid() || !end.IsValid() {
			continue
		}
		what := declDesc(d)
		if pos >= start && pos < end {
			return place{kind: placeInDecl, what: what}
		}
		if pos >= end && p.line(pos) == p.line(end-1) {
			return place{kind: placeSameLine, what: what}
		}
	}
	return place{kind: placeTopLevel}
}

// run is a series of consecutive directive lines with the same verb.
type run struct {
	verb string
	dirs []*Directive
}

func (p *fileParser) group(cg *ast.CommentGroup) {
	var runs []run
	cur := -1 // index in runs of the run that continues, or -1
	for _, c := range cg.List {
		if strings.HasPrefix(c.Text, "/*") {
			p.blockComment(c)
			cur = -1
			continue
		}
		if !isDirectiveLine(c.Text) {
			cur = -1
			continue
		}
		d, errs := ParseDirective(p.position(c.Slash), c.Text)
		p.errs = append(p.errs, errs...)
		if d == nil {
			// An unreadable directive line (already reported) does not
			// split the run around it.
			continue
		}
		if cur >= 0 && runs[cur].verb == d.Verb {
			runs[cur].dirs = append(runs[cur].dirs, d)
			continue
		}
		runs = append(runs, run{verb: d.Verb, dirs: []*Directive{d}})
		cur = len(runs) - 1
	}
	if len(runs) == 0 {
		return
	}
	pl := p.place(cg)
	for _, r := range runs {
		switch r.verb {
		case VerbTask:
			p.task(r, pl)
		case VerbWorkflow:
			p.workflow(r, pl)
		case VerbSchedule:
			p.schedule(r, pl)
		case VerbTrigger:
			p.trigger(r, pl)
		}
	}
}

func (p *fileParser) task(r run, pl place) {
	p.onFunc(r, pl, "a task", "tasks", func(fd *ast.FuncDecl, funcName string) {
		t, errs := BuildTask(funcName, r.dirs...)
		p.errs = append(p.errs, errs...)
		if fd != nil {
			t.Func = fd
			p.out.Tasks = append(p.out.Tasks, t)
		}
	})
}

func (p *fileParser) trigger(r run, pl place) {
	p.onFunc(r, pl, "a trigger", "triggers", func(fd *ast.FuncDecl, funcName string) {
		t, errs := BuildTrigger(funcName, r.dirs...)
		p.errs = append(p.errs, errs...)
		if fd != nil {
			t.Func = fd
			p.out.Triggers = append(p.out.Triggers, t)
		}
	})
}

// onFunc checks that a directive run that belongs on a function (task,
// trigger) documents a top-level function without a receiver, reporting
// where it is otherwise, and calls build with the function (nil when
// misplaced, so that the keys are still checked) and its name.
func (p *fileParser) onFunc(r run, pl place, one, plural string, build func(fd *ast.FuncDecl, funcName string)) {
	pos := r.dirs[0].Pos
	verb := r.verb
	top := plural + " must be top-level functions"
	funcName := ""
	if pl.fn != nil && pl.kind == placeDoc {
		funcName = pl.fn.Name.Name
	}
	misplaced := func(format string, args ...any) {
		p.errs.Add(pos, Prefix+verb+" "+format, args...)
		build(nil, funcName)
	}
	switch pl.kind {
	case placeDoc:
		fd := pl.fn
		switch {
		case fd == nil:
			misplaced("on %s; %s", pl.what, top)
		case fd.Recv != nil:
			misplaced("on %s; %s", pl.what, top)
		case funcName == "init":
			misplaced("on func init; init cannot be referenced, so it cannot be %s", one)
		case funcName == "_":
			misplaced("on func _; a blank function cannot be %s", one)
		default:
			key := funcKey{fd, verb}
			if first, ok := p.funcGroups[key]; ok {
				p.errs.Add(pos, "second %s%s group on func %s (first at %s); put all %s%s lines of a function together", Prefix, verb, funcName, first, Prefix, verb)
				build(nil, funcName)
				return
			}
			p.funcGroups[key] = pos
			build(fd, funcName)
		}
	case placeBody:
		if pl.fn != nil {
			misplaced("inside the body of %s; %s", funcDesc(pl.fn), top)
		} else {
			misplaced("inside a function literal; %s", top)
		}
	case placeInDecl:
		misplaced("inside %s; %s", pl.what, top)
	case placeSameLine:
		misplaced("on the same line as %s; put it on its own line directly above a top-level func", pl.what)
	case placePackageDoc:
		misplaced("in the package doc comment; put it directly above a top-level func, with no blank line between")
	default:
		misplaced("is not attached to a function; put it directly above a top-level func, with no blank line between")
	}
}

func (p *fileParser) workflow(r run, pl place) {
	w, errs := BuildWorkflow(r.dirs...)
	p.errs = append(p.errs, errs...)
	if p.atTopLevel(r, pl, "workflows") {
		p.out.Workflows = append(p.out.Workflows, w)
	}
}

func (p *fileParser) schedule(r run, pl place) {
	sc, errs := BuildSchedule(r.dirs...)
	p.errs = append(p.errs, errs...)
	if p.atTopLevel(r, pl, "schedules") {
		p.out.Schedules = append(p.out.Schedules, sc)
	}
}

// atTopLevel checks that a directive run that stands alone (workflow,
// schedule) is free-floating at top level or in the package doc comment,
// and reports where it is otherwise.
func (p *fileParser) atTopLevel(r run, pl place, plural string) bool {
	pos := r.dirs[0].Pos
	what := Prefix + r.verb
	top := plural + " must be declared at top level"
	switch pl.kind {
	case placeTopLevel, placePackageDoc:
		return true
	case placeDoc:
		p.errs.Add(pos, "%s in the doc comment of %s; separate it from the declaration with a blank line", what, pl.what)
	case placeBody:
		if pl.fn != nil {
			p.errs.Add(pos, "%s inside the body of %s; %s", what, funcDesc(pl.fn), top)
		} else {
			p.errs.Add(pos, "%s inside a function literal; %s", what, top)
		}
	case placeInDecl:
		p.errs.Add(pos, "%s inside %s; %s", what, pl.what, top)
	case placeSameLine:
		p.errs.Add(pos, "%s on the same line as %s; put it on its own line at top level", what, pl.what)
	}
	return false
}

// blockComment reports directives written in a /* */ comment: any line of it
// whose text, after spaces and an optional leading '*', starts with
// "cloacina:".
func (p *fileParser) blockComment(c *ast.Comment) {
	tf := p.fset.File(c.Slash)
	first := p.fset.PositionFor(c.Slash, false).Line
	for k, ln := range strings.Split(c.Text, "\n") {
		j := 0
		if k == 0 {
			j = 2
		}
		skip := func() {
			for j < len(ln) && isSpace(ln[j]) {
				j++
			}
		}
		skip()
		if j < len(ln) && ln[j] == '*' && !strings.HasPrefix(ln[j:], "*/") {
			j++
			skip()
		}
		if !strings.HasPrefix(ln[j:], "cloacina:") {
			continue
		}
		pos := c.Slash + token.Pos(j)
		if k > 0 {
			if tf == nil || first+k > tf.LineCount() {
				pos = c.Slash
			} else {
				pos = tf.LineStart(first+k) + token.Pos(j)
			}
		}
		p.errs.Add(p.position(pos), "%s", blockCommentMsg(ln[j:]))
	}
}

// funcDesc describes a function for messages: "func F" or "method (*T).M".
func funcDesc(fd *ast.FuncDecl) string {
	if fd.Recv == nil {
		return "func " + fd.Name.Name
	}
	if len(fd.Recv.List) == 0 {
		return "method " + fd.Name.Name
	}
	return "method (" + types.ExprString(fd.Recv.List[0].Type) + ")." + fd.Name.Name
}

// genDesc describes a var, const, type or import declaration: "type T".
func genDesc(gd *ast.GenDecl, spec ast.Spec) string {
	if spec == nil && len(gd.Specs) > 0 {
		spec = gd.Specs[0]
	}
	name := ""
	switch s := spec.(type) {
	case *ast.TypeSpec:
		name = s.Name.Name
	case *ast.ValueSpec:
		if len(s.Names) > 0 {
			name = s.Names[0].Name
		}
	case *ast.ImportSpec:
		if s.Path != nil {
			name = s.Path.Value
		}
	}
	if name == "" {
		return gd.Tok.String() + " declaration"
	}
	return gd.Tok.String() + " " + name
}

func declDesc(d ast.Decl) string {
	switch d := d.(type) {
	case *ast.FuncDecl:
		return funcDesc(d)
	case *ast.GenDecl:
		return genDesc(d, nil)
	}
	return "a declaration"
}

// Found is a directive located by FindDirectives.
type Found struct {
	Pos  token.Position // of the directive's first line
	Verb string         // a Verb constant, or "" when the verb cannot be read
}

// FindDirectives returns where every directive of f starts, in source
// order, without checking it: each run of consecutive directive lines with
// one verb in a comment group (as ParseFile merges them), wherever it is
// placed, including misspelt and malformed ones. The generator uses it to
// refuse directives in files it does not generate from, such as test files
// and files behind build constraints.
func FindDirectives(fset *token.FileSet, f *ast.File) []Found {
	p := &fileParser{fset: fset, f: f}
	var out []Found
	for _, cg := range f.Comments {
		prev := "\x00" // verb of the directive line just before, if any
		for _, c := range cg.List {
			if !isDirectiveLine(c.Text) {
				prev = "\x00"
				continue
			}
			verb := lineVerb(c.Text)
			if verb != prev {
				out = append(out, Found{Pos: p.position(c.Slash), Verb: verb})
			}
			prev = verb
		}
	}
	return out
}

// lineVerb returns the verb of a directive line when it is a known verb,
// else "".
func lineVerb(text string) string {
	rest := strings.TrimLeft(strings.TrimPrefix(text, "//"), " \t")
	rest, ok := strings.CutPrefix(rest, "cloacina:")
	if !ok {
		return ""
	}
	n := 0
	for n < len(rest) && isWordByte(rest[n]) {
		n++
	}
	if v := rest[:n]; contains(verbs, v) {
		return v
	}
	return ""
}
