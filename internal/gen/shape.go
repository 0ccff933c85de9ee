package gen

import (
	"fmt"
	"go/types"
	"reflect"
	"strings"
)

// This file compares Go types as encoding/json sees them: whether a value
// written as one type can be decoded into another.

// jsonKind is the JSON shape a Go type encodes as.
type jsonKind int

const (
	kindAny jsonKind = iota // any value: interfaces, custom (un)marshalers, unknown types
	kindString
	kindNumber
	kindBool
	kindArray
	kindObject
)

func (k jsonKind) String() string {
	return [...]string{"any value", "string", "number", "boolean", "array", "object"}[k]
}

// kindOf returns the JSON shape of t. reading selects the decoding side,
// where json.Unmarshaler matters, rather than json.Marshaler.
func kindOf(t types.Type, reading bool) jsonKind {
	if t == nil {
		return kindAny
	}
	t = types.Unalias(t)
	if p, ok := t.(*types.Pointer); ok {
		return kindOf(p.Elem(), reading)
	}
	if custom(t, reading) {
		return kindAny
	}
	if text(t, reading) {
		return kindString
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Info()&types.IsString != 0:
			return kindString
		case u.Info()&types.IsBoolean != 0:
			return kindBool
		case u.Info()&(types.IsInteger|types.IsFloat) != 0:
			return kindNumber
		}
	case *types.Slice:
		if b, ok := types.Unalias(u.Elem()).Underlying().(*types.Basic); ok && b.Kind() == types.Byte {
			return kindString // base64
		}
		return kindArray
	case *types.Array:
		return kindArray
	case *types.Map:
		return kindObject
	case *types.Struct:
		return kindObject
	}
	return kindAny
}

// custom reports whether t (or *t) has its own JSON encoding (writing) or
// decoding (reading).
func custom(t types.Type, reading bool) bool {
	name := "MarshalJSON"
	if reading {
		name = "UnmarshalJSON"
	}
	return hasMethod(t, name)
}

// text reports whether t encodes or decodes through encoding.TextMarshaler
// or TextUnmarshaler, as a JSON string.
func text(t types.Type, reading bool) bool {
	name := "MarshalText"
	if reading {
		name = "UnmarshalText"
	}
	return hasMethod(t, name)
}

func hasMethod(t types.Type, name string) bool {
	if _, ok := t.Underlying().(*types.Interface); ok {
		return false
	}
	obj, _, _ := types.LookupFieldOrMethod(types.NewPointer(t), true, nil, name)
	_, ok := obj.(*types.Func)
	return ok
}

// mismatch is one difference found by compatible.
type mismatch struct {
	warning  bool   // a numeric width change, not a certain failure
	path     string // where in the value: "" for the value itself, ".field", "[]"
	write    string // what is written there
	read     string // what is read there
	narrower string // for a warning: why
}

func (m mismatch) String() string {
	where := ""
	if m.path != "" {
		where = " at " + m.path
	}
	if m.warning {
		return fmt.Sprintf("numeric width change: written as %s, read as %s%s, so %s fails to decode", m.write, m.read, where, m.narrower)
	}
	return fmt.Sprintf("a JSON %s cannot be decoded into %s%s", m.write, m.read, where)
}

// maxShapeDepth bounds how deeply compatible descends into nested types.
const maxShapeDepth = 16

// compatible reports how a value written as w may fail to decode as r:
// errors for different JSON shapes, warnings for numbers that may not fit.
// It returns the first error, else the first warning, else nothing.
func compatible(w, r types.Type) (mismatch, bool) {
	c := &comparer{seen: map[[2]types.Type]bool{}}
	c.compare(w, r, "", 0)
	if c.err != nil {
		return *c.err, true
	}
	if c.warn != nil {
		return *c.warn, true
	}
	return mismatch{}, false
}

type comparer struct {
	seen      map[[2]types.Type]bool
	err, warn *mismatch
}

func (c *comparer) compare(w, r types.Type, path string, depth int) {
	if c.err != nil || depth > maxShapeDepth {
		return
	}
	kw, kr := kindOf(w, false), kindOf(r, true)
	if kw == kindAny || kr == kindAny {
		return
	}
	w, r = deref(w), deref(r)
	if c.seen[[2]types.Type{w, r}] {
		return
	}
	c.seen[[2]types.Type{w, r}] = true
	if kw != kr {
		c.err = &mismatch{path: path, write: kw.String(), read: describe(r)}
		return
	}
	switch kw {
	case kindNumber:
		if why := narrows(w, r); why != "" && c.warn == nil {
			c.warn = &mismatch{warning: true, path: path, write: describe(w), read: describe(r), narrower: why}
		}
	case kindArray:
		c.compare(elem(w), elem(r), path+"[]", depth+1)
	case kindObject:
		wm, rm := mapValue(w), mapValue(r)
		switch {
		case wm != nil && rm != nil:
			c.compare(wm, rm, path+"[key]", depth+1)
		case wm != nil:
			for _, f := range jsonFields(r) {
				c.compare(wm, f.typ, path+"."+f.name, depth+1)
			}
		case rm != nil:
			for _, f := range jsonFields(w) {
				c.compare(f.typ, rm, path+"."+f.name, depth+1)
			}
		default:
			wf := jsonFields(w)
			for _, f := range jsonFields(r) {
				if g, ok := findField(wf, f.name); ok {
					c.compare(g.typ, f.typ, path+"."+f.name, depth+1)
				}
			}
		}
	}
}

func deref(t types.Type) types.Type {
	for {
		p, ok := types.Unalias(t).(*types.Pointer)
		if !ok {
			return types.Unalias(t)
		}
		t = p.Elem()
	}
}

// describe names a Go type in a message: "int (JSON number)".
func describe(t types.Type) string {
	return fmt.Sprintf("%s (JSON %s)", types.TypeString(t, func(p *types.Package) string { return p.Name() }), kindOf(t, true))
}

func elem(t types.Type) types.Type {
	switch u := t.Underlying().(type) {
	case *types.Slice:
		return u.Elem()
	case *types.Array:
		return u.Elem()
	}
	return nil
}

func mapValue(t types.Type) types.Type {
	if m, ok := t.Underlying().(*types.Map); ok {
		return m.Elem()
	}
	return nil
}

// numberInfo describes a numeric type: float, unsigned, bits.
func numberInfo(t types.Type) (float, unsigned bool, bits int) {
	b, ok := t.Underlying().(*types.Basic)
	if !ok {
		return false, false, 64
	}
	switch b.Kind() {
	case types.Int8, types.Uint8:
		bits = 8
	case types.Int16, types.Uint16:
		bits = 16
	case types.Int32, types.Uint32, types.Float32:
		bits = 32
	default:
		bits = 64
	}
	return b.Info()&types.IsFloat != 0, b.Info()&types.IsUnsigned != 0, bits
}

// narrows says why a number written as w may not decode into r, or "".
func narrows(w, r types.Type) string {
	wf, wu, wb := numberInfo(w)
	rf, ru, rb := numberInfo(r)
	switch {
	case wf && !rf:
		return "a number with a fraction"
	case rf:
		if wf && rb < wb {
			return "a number too large"
		}
		return ""
	case ru && !wu:
		return "a negative number"
	case rb < wb || (!ru && wu && rb <= wb):
		return "a number too large"
	}
	return ""
}

// jsonField is a field of a struct as encoding/json sees it.
type jsonField struct {
	name string
	typ  types.Type
}

// jsonFields lists the encoded fields of struct type t: exported, not
// tagged "-", named by their json tag, with fields of untagged embedded
// structs promoted; a ",string" field is a string.
func jsonFields(t types.Type) []jsonField {
	st, ok := deref(t).Underlying().(*types.Struct)
	if !ok {
		return nil
	}
	var out []jsonField
	for i := 0; i < st.NumFields(); i++ {
		f := st.Field(i)
		tag := reflect.StructTag(st.Tag(i)).Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" && opts == "" {
			continue
		}
		if f.Embedded() && name == "" {
			if _, ok := deref(f.Type()).Underlying().(*types.Struct); ok {
				out = append(out, jsonFields(f.Type())...)
				continue
			}
		}
		if !f.Exported() {
			continue
		}
		if name == "" {
			name = f.Name()
		}
		typ := f.Type()
		if strings.Contains(","+opts+",", ",string,") {
			typ = types.Typ[types.String]
		}
		out = append(out, jsonField{name: name, typ: typ})
	}
	return out
}

// findField finds a field by name as encoding/json matches it: exactly,
// else ignoring case.
func findField(fs []jsonField, name string) (jsonField, bool) {
	for _, f := range fs {
		if f.name == name {
			return f, true
		}
	}
	for _, f := range fs {
		if strings.EqualFold(f.name, name) {
			return f, true
		}
	}
	return jsonField{}, false
}

// pathType follows the segments of a context_value path (after the key)
// into t: struct fields and map values. ok is false when the path leaves
// the type (a missing field, a non-object); t nil means any.
func pathType(t types.Type, segs []string) (types.Type, bool) {
	for _, s := range segs {
		if t == nil || kindOf(t, false) == kindAny {
			return nil, true
		}
		if kindOf(t, false) != kindObject {
			return nil, false
		}
		if m := mapValue(deref(t)); m != nil {
			t = m
			continue
		}
		f, ok := findField(jsonFields(t), s)
		if !ok {
			return nil, false
		}
		t = f.typ
	}
	return t, true
}
