package gen

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/types/typeutil"

	"github.com/cloacina-go/cloacina/annotations"
)

// This file infers, from a task function's body, the context keys it reads
// and writes (see the package doc, "Data flow"). flowcheck.go checks them
// against the workflow's graph.

// accessOp is what a task does with a context key.
type accessOp int

const (
	opGet    accessOp = iota + 1 // Context.Get, runtime.Get, Key.Get, reads=
	opRaw                        // Context.Raw: a read that tolerates absence
	opHas                        // Context.Has, Key.Has
	opInsert                     // Context.Insert, Key.Insert
	opUpdate                     // Context.Update, Key.Update: the key must exist
	opSet                        // Context.Set, Key.Set, writes=
	opRemove                     // Context.Remove, Key.Remove
)

func (op accessOp) writes() bool { return op == opInsert || op == opUpdate || op == opSet }

// needsKey reports whether the access fails at run time when the key is
// absent.
func (op accessOp) needsKey() bool { return op == opGet || op == opUpdate }

func (op accessOp) verb() string {
	switch op {
	case opGet:
		return "reads"
	case opRaw:
		return "reads (Raw)"
	case opHas:
		return "tests"
	case opInsert:
		return "inserts"
	case opUpdate:
		return "updates"
	case opSet:
		return "sets"
	case opRemove:
		return "removes"
	}
	return "uses"
}

// access is one use of a context key by a task.
type access struct {
	op  accessOp
	key string
	// typ is the Go type read or written; nil when unknown (any).
	typ types.Type
	// typeName is how messages name the type: the Go type, or the
	// declared type of a reads=/writes= key.
	typeName string
	pos      token.Position
	// lit is the key's string literal, when the key is written as one
	// (the target of a suggested fix); nil otherwise.
	lit *ast.BasicLit
	// via names the helper functions the access is in, outermost first.
	via []string
	// declared marks keys from reads= or writes=.
	declared bool
}

// taskFlow is what one task does with the context.
type taskFlow struct {
	accesses []*access
	// has holds the keys the task tests with Has: its reads of them are
	// optional.
	has map[string]bool
	// unchecked are the places where the task uses a key that is not a
	// constant, or passes its context to code the generator does not
	// follow.
	unchecked []token.Position
	// uncheckedWhat describes the first of them, for the note.
	uncheckedWhat string
	// writes holds the keys the task writes, declared or not; creates
	// those it inserts or sets (which an Update of the task may follow).
	writes, creates map[string]bool
	// unread is set when the task's function was not read because its
	// second parameter is not the *runtime.Context (a signature error,
	// reported already).
	unread bool
}

// dynamic reports whether the task may write keys the generator cannot
// see: it has unchecked uses, or a function that was not read, and does
// not declare what it writes.
func (f *taskFlow) dynamic(t *annotations.Task) bool {
	return (len(f.unchecked) > 0 || f.unread) && t.Writes == nil
}

// printing holds the packages whose functions only format a context they
// are given (through its String method).
var printing = map[string]bool{"fmt": true, "log": true, "log/slog": true}

// maxHelperDepth bounds how deeply the context is followed into helpers.
const maxHelperDepth = 8

// flowWalker walks one task's body and the helpers it calls.
type flowWalker struct {
	s     *pkgState
	out   *taskFlow
	stack map[*types.Func]bool
	via   []string
}

// funcDecls indexes the package's function declarations by object, for
// following the context into helpers.
func (s *pkgState) funcDecls() map[*types.Func]*ast.FuncDecl {
	if s.decls != nil || s.p.TypesInfo == nil {
		return s.decls
	}
	s.decls = map[*types.Func]*ast.FuncDecl{}
	for _, f := range s.p.Syntax {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				if fn, ok := s.p.TypesInfo.Defs[fd.Name].(*types.Func); ok {
					s.decls[fn] = fd
				}
			}
		}
	}
	return s.decls
}

// taskFlow infers the context accesses of a task whose signature is valid.
func (s *pkgState) taskFlow(t *annotations.Task) *taskFlow {
	f := &taskFlow{has: map[string]bool{}, writes: map[string]bool{}, creates: map[string]bool{}}
	for _, k := range t.Reads {
		f.accesses = append(f.accesses, declaredAccess(opGet, k))
	}
	for _, k := range t.Writes {
		f.accesses = append(f.accesses, declaredAccess(opSet, k))
	}
	info := s.p.TypesInfo
	if t.Func != nil && t.Func.Body != nil && info != nil {
		if fn, ok := info.Defs[t.Func.Name].(*types.Func); ok {
			sig := fn.Type().(*types.Signature)
			if sig.Params().Len() == 2 && isPointerTo(sig.Params().At(1).Type(), RuntimePath, "Context") {
				w := &flowWalker{s: s, out: f, stack: map[*types.Func]bool{fn: true}}
				ctxVars := map[*types.Var]bool{sig.Params().At(1): true}
				w.walk(t.Func.Body, ctxVars, nil)
			} else {
				f.unread = true
			}
		}
	}
	for _, a := range f.accesses {
		if a.op == opHas || a.op == opRaw {
			f.has[a.key] = true
		}
		if a.op.writes() {
			f.writes[a.key] = true
		}
		if a.op == opInsert || a.op == opSet {
			f.creates[a.key] = true
		}
	}
	return f
}

func declaredAccess(op accessOp, k annotations.ContextKey) *access {
	return &access{op: op, key: k.Name, typ: declaredType(k.Type), typeName: k.Type, pos: k.Pos, declared: true}
}

// declaredType is the Go type that stands for a declared key type.
func declaredType(t string) types.Type {
	switch t {
	case annotations.TypeString:
		return types.Typ[types.String]
	case annotations.TypeNumber:
		return types.Typ[types.Float64]
	case annotations.TypeInt:
		return types.Typ[types.Int]
	case annotations.TypeBool:
		return types.Typ[types.Bool]
	case annotations.TypeArray:
		return types.NewSlice(types.NewInterfaceType(nil, nil))
	case annotations.TypeObject:
		return types.NewMap(types.Typ[types.String], types.NewInterfaceType(nil, nil))
	}
	return nil
}

// walk records the context accesses in body, where ctxVars are the
// variables holding the task's context and consts the string parameters
// bound to constants at the call of a helper.
func (w *flowWalker) walk(body ast.Node, ctxVars map[*types.Var]bool, consts map[*types.Var]string) {
	info := w.s.p.TypesInfo
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			// d := c makes d the context too.
			if len(n.Lhs) == len(n.Rhs) {
				for i, r := range n.Rhs {
					if w.isCtx(r, ctxVars) {
						if id, ok := n.Lhs[i].(*ast.Ident); ok {
							if v, ok := info.ObjectOf(id).(*types.Var); ok {
								ctxVars[v] = true
							}
						}
					}
				}
			}
		case *ast.CallExpr:
			w.call(n, ctxVars, consts)
		}
		return true
	})
}

// isCtx reports whether e is a variable holding the task's context.
func (w *flowWalker) isCtx(e ast.Expr, ctxVars map[*types.Var]bool) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return false
	}
	v, ok := w.s.p.TypesInfo.Uses[id].(*types.Var)
	return ok && ctxVars[v]
}

// contextMethods maps the methods of *runtime.Context that use one key to
// what they do.
var contextMethods = map[string]accessOp{
	"Get": opGet, "Raw": opRaw, "Has": opHas, "Insert": opInsert, "Update": opUpdate, "Set": opSet, "Remove": opRemove,
}

// call records what one call does with the context.
func (w *flowWalker) call(call *ast.CallExpr, ctxVars map[*types.Var]bool, consts map[*types.Var]string) {
	info := w.s.p.TypesInfo
	fn := typeutil.Callee(info, call)
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
		if s := info.Selections[sel]; s != nil && s.Kind() == types.MethodVal {
			recv := s.Recv()
			switch {
			case isPointerTo(recv, RuntimePath, "Context") || isNamed(recv, RuntimePath, "Context"):
				if !w.isCtx(sel.X, ctxVars) {
					return // another context than the task's
				}
				op, ok := contextMethods[sel.Sel.Name]
				if !ok {
					if sel.Sel.Name == "Merge" || sel.Sel.Name == "UnmarshalJSON" {
						w.unchecked(w.pos(call), "Context."+sel.Sel.Name)
					}
					return
				}
				if len(call.Args) == 0 {
					return
				}
				a := &access{op: op}
				if !w.key(a, call.Args[0], consts) {
					return
				}
				switch {
				case op == opGet && len(call.Args) == 2:
					if p, ok := types.Unalias(info.TypeOf(call.Args[1])).(*types.Pointer); ok {
						a.typ = p.Elem()
					}
				case op.writes() && len(call.Args) == 2:
					a.typ = valueType(info, call.Args[1])
				}
				w.add(a)
				return
			case keyElem(recv) != nil:
				op, ok := contextMethods[sel.Sel.Name]
				if !ok || op == opRaw || len(call.Args) == 0 || !w.isCtx(call.Args[0], ctxVars) {
					return
				}
				a := &access{op: op}
				if !w.key(a, sel.X, consts) {
					return
				}
				if op == opGet || op.writes() {
					a.typ = keyElem(recv)
				}
				w.add(a)
				return
			}
		}
	}
	if f, ok := fn.(*types.Func); ok && f.Pkg() != nil && f.Pkg().Path() == RuntimePath && f.Name() == "Get" && len(call.Args) == 2 {
		if !w.isCtx(call.Args[0], ctxVars) {
			return
		}
		a := &access{op: opGet}
		if !w.key(a, call.Args[1], consts) {
			return
		}
		if sig, ok := info.TypeOf(call.Fun).(*types.Signature); ok && sig.Results().Len() == 2 {
			a.typ = sig.Results().At(0).Type()
		}
		w.add(a)
		return
	}
	// Any other call that is given the context: a helper of the package
	// is followed, anything else is unchecked.
	passes := false
	for _, arg := range call.Args {
		if w.isCtx(arg, ctxVars) {
			passes = true
		}
	}
	if !passes {
		return
	}
	f, _ := fn.(*types.Func)
	if f != nil {
		f = f.Origin()
	}
	decl := w.s.funcDecls()[f]
	if f != nil && f.Pkg() != nil && printing[f.Pkg().Path()] {
		return // formats the context: reads no key
	}
	if f == nil || decl == nil {
		what := "a function value"
		if f != nil {
			what = f.FullName()
		}
		w.unchecked(w.pos(call), "passes its context to "+what)
		return
	}
	if w.stack[f] || len(w.via) >= maxHelperDepth {
		return // recursion: the accesses are those already seen
	}
	sig := f.Type().(*types.Signature)
	inner := map[*types.Var]bool{}
	var innerConsts map[*types.Var]string
	for i, arg := range call.Args {
		if i >= sig.Params().Len() || (sig.Variadic() && i >= sig.Params().Len()-1) {
			break
		}
		p := sig.Params().At(i)
		if w.isCtx(arg, ctxVars) {
			inner[p] = true
			continue
		}
		if k, ok := w.constKey(arg, consts); ok {
			if innerConsts == nil {
				innerConsts = map[*types.Var]string{}
			}
			innerConsts[p] = k
		}
	}
	w.stack[f] = true
	w.via = append(w.via, f.Name())
	w.walk(decl.Body, inner, innerConsts)
	w.via = w.via[:len(w.via)-1]
	delete(w.stack, f)
}

// key sets a's key and position from e; it reports false (after noting
// it) when the key is not a constant.
func (w *flowWalker) key(a *access, e ast.Expr, consts map[*types.Var]string) bool {
	a.pos = w.pos(e)
	k, ok := w.constKey(e, consts)
	if !ok {
		w.unchecked(a.pos, "uses a context key that is not a constant")
		return false
	}
	a.key = k
	if lit, ok := ast.Unparen(e).(*ast.BasicLit); ok && lit.Kind == token.STRING && len(w.via) == 0 {
		a.lit = lit
	}
	return true
}

// constKey returns the constant string value of e, or of the helper
// parameter e names when its call gave it a constant.
func (w *flowWalker) constKey(e ast.Expr, consts map[*types.Var]string) (string, bool) {
	if tv, ok := w.s.p.TypesInfo.Types[e]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
		return constant.StringVal(tv.Value), true
	}
	if id, ok := ast.Unparen(e).(*ast.Ident); ok {
		if v, ok := w.s.p.TypesInfo.Uses[id].(*types.Var); ok {
			if k, ok := consts[v]; ok {
				return k, true
			}
		}
	}
	return "", false
}

func (w *flowWalker) add(a *access) {
	a.via = append([]string(nil), w.via...)
	a.typeName = typeName(w.s, a.typ)
	w.out.accesses = append(w.out.accesses, a)
}

func (w *flowWalker) unchecked(pos token.Position, what string) {
	if len(w.out.unchecked) == 0 {
		w.out.uncheckedWhat = what
	}
	w.out.unchecked = append(w.out.unchecked, pos)
}

func (w *flowWalker) pos(n ast.Node) token.Position { return w.s.l.fset.Position(n.Pos()) }

// valueType is the type of a value written: the default type of an
// untyped constant, nil for untyped nil.
func valueType(info *types.Info, e ast.Expr) types.Type {
	t := info.TypeOf(e)
	if b, ok := t.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		if b.Kind() == types.UntypedNil {
			return nil
		}
		return types.Default(t)
	}
	return t
}

// keyElem returns T when t is runtime.Key[T], else nil.
func keyElem(t types.Type) types.Type {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.TypeArgs().Len() != 1 {
		return nil
	}
	obj := n.Origin().Obj()
	if obj.Pkg() == nil || obj.Pkg().Path() != RuntimePath || obj.Name() != "Key" {
		return nil
	}
	return n.TypeArgs().At(0)
}

// typeName prints t for messages; "any" for nil.
func typeName(s *pkgState, t types.Type) string {
	if t == nil {
		return "any"
	}
	return s.typeString(t)
}
