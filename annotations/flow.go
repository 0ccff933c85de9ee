package annotations

import (
	"fmt"
	"go/token"
	"strconv"
	"strings"

	"github.com/cloacina-go/cloacina/internal/spec"
	"github.com/cloacina-go/cloacina/internal/suggest"
)

// The value types a context key list (inputs=, reads=, writes=) may give a
// key, as JSON sees them. TypeAny, the default, accepts every value.
const (
	TypeAny    = spec.TypeAny
	TypeString = spec.TypeString
	TypeNumber = spec.TypeNumber
	TypeInt    = spec.TypeInt // a JSON number written without a fraction or an exponent
	TypeBool   = spec.TypeBool
	TypeArray  = spec.TypeArray
	TypeObject = spec.TypeObject
)

var keyTypes = spec.KeyTypes()

// KeyTypes returns the types a context key list accepts.
func KeyTypes() []string { return spec.KeyTypes() }

// ContextKey is one element of a context key list: the inputs= of a
// workflow, or the reads= and writes= of a task.
type ContextKey struct {
	// Name is the key in the context.
	Name string
	// Type is one of the Type* constants; TypeAny when not given.
	Type string
	// Pos is the position of the element's first character.
	Pos token.Position
}

// String returns name, or name:type when the type is not TypeAny.
func (k ContextKey) String() string { return spec.Input{Name: k.Name, Type: k.Type}.String() }

// contextKeys parses a context key list, name[:type] elements separated by
// commas, such as mode:string,date. A key's name is any text without
// commas or colons; quote the whole list when a name holds a space. It
// returns nil after reporting a problem.
func (s *keySet) contextKeys(a *Arg) []ContextKey {
	if a.Kind == Expr {
		s.value(a, false, nil)
		return nil
	}
	var out []ContextKey
	seen := map[string]bool{}
	bad := false
	off := 0
	for _, e := range strings.Split(a.Value, ",") {
		name, typ, typed := strings.Cut(e, ":")
		switch {
		case name == "":
			s.errs.Add(a.posAt(off), "%s: empty key name in list %q", a.Name, a.Value)
			bad = true
		case seen[name]:
			s.errs.Add(a.posAt(off), "%s: key %q is listed twice", a.Name, name)
			bad = true
		case a.Kind != Quoted && strings.ContainsAny(name, " \t"):
			s.errs.Add(a.posAt(off), "%s: key %q contains a space", a.Name, name)
			bad = true
		}
		seen[name] = true
		if !typed {
			typ = TypeAny
		} else if !contains(keyTypes, typ) {
			msg := fmt.Sprintf("%s: %q is not a key type", a.Name, typ)
			if hint := suggest.DidYouMean(typ, keyTypes); hint != "" {
				msg += hint
			} else {
				msg += "; use " + strings.Join(keyTypes, ", ")
			}
			s.errs.Add(a.posAt(off+len(name)+1), "%s", msg)
			bad = true
		}
		out = append(out, ContextKey{Name: name, Type: typ, Pos: a.posAt(off)})
		off += len(e) + 1
	}
	if bad {
		return nil
	}
	parts := make([]string, len(out))
	for i, k := range out {
		parts[i] = k.String()
	}
	canon := strings.Join(parts, ",")
	if a.Kind == Quoted {
		canon = strconv.Quote(canon)
	}
	s.canon[a.Name] = canon
	return out
}
