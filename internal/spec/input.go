package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/cloacina-go/cloacina/internal/suggest"
)

// The value types a context key list (inputs=, reads=, writes=) may give a
// key, as JSON sees them. TypeAny, the default, accepts every value.
const (
	TypeAny    = "any"
	TypeString = "string"
	TypeNumber = "number"
	TypeInt    = "int" // a JSON number written without a fraction or an exponent
	TypeBool   = "bool"
	TypeArray  = "array"
	TypeObject = "object"
)

// KeyTypes returns the value types, TypeAny first.
func KeyTypes() []string {
	return []string{TypeAny, TypeString, TypeNumber, TypeInt, TypeBool, TypeArray, TypeObject}
}

// Input is a key a workflow declares its executions' input may hold, with
// the type of its value (one of KeyTypes; "" reads as TypeAny).
type Input struct {
	Name string
	Type string
}

// String returns name, or name:type when the type is not TypeAny.
func (in Input) String() string {
	if in.Type == "" || in.Type == TypeAny {
		return in.Name
	}
	return in.Name + ":" + in.Type
}

// InputProblem is one way an input breaks a workflow's declared inputs.
type InputProblem struct {
	// Key is the input key.
	Key string
	// Decl is the index in the declared inputs of the one whose type the
	// value lacks, or -1 for a key that is not declared.
	Decl int
	// Msg says what is wrong, without a position.
	Msg string
}

// CheckInput checks the keys and values (raw JSON) of an execution's input
// against the inputs a workflow declares: every key must be declared,
// except the keys a schedule or trigger adds (InputScheduledTime,
// InputSchedule, InputFireKind), and every value must have its declared
// type. Declared inputs may be left out. undeclared is appended to the
// message of a key that is not declared and resembles no declared one,
// telling the reader where inputs are declared. Problems come one per key,
// in key order.
func CheckInput(workflow string, inputs []Input, values map[string]json.RawMessage, undeclared string) []InputProblem {
	byName := make(map[string]int, len(inputs))
	names := make([]string, len(inputs))
	for i, in := range inputs {
		byName[in.Name] = i
		names[i] = in.Name
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []InputProblem
	for _, k := range keys {
		i, ok := byName[k]
		if !ok {
			if k == InputScheduledTime || k == InputSchedule || k == InputFireKind {
				continue
			}
			declared := "it declares no inputs"
			if len(names) > 0 {
				declared = "inputs: " + strings.Join(names, ", ")
			}
			hint := suggest.DidYouMean(k, names)
			if hint == "" {
				hint = undeclared
			}
			out = append(out, InputProblem{Key: k, Decl: -1,
				Msg: fmt.Sprintf("input key %q is not an input of workflow %q (%s)%s", k, workflow, declared, hint)})
			continue
		}
		if kind, ok := rawHasType(values[k], inputs[i].Type); !ok {
			what := "a JSON " + kind
			if kind == TypeNumber && inputs[i].Type == TypeInt {
				what = "the number " + string(bytes.TrimSpace(values[k])) + ", with a fraction or an exponent"
			}
			out = append(out, InputProblem{Key: k, Decl: i,
				Msg: fmt.Sprintf("input %q of workflow %q is %s, but the workflow declares %s", k, workflow, what, inputs[i])})
		}
	}
	return out
}

// rawHasType reports whether a JSON value has a declared type, and names
// the value's kind (see RawKind).
func rawHasType(raw []byte, typ string) (string, bool) {
	kind := RawKind(raw)
	switch typ {
	case "", TypeAny:
		return kind, true
	case TypeBool:
		return kind, kind == "boolean"
	case TypeInt:
		return kind, kind == TypeNumber && !bytes.ContainsAny(raw, ".eE")
	}
	return kind, kind == typ
}

// RawKind names the kind of a JSON value for messages: "string",
// "object", "array", "boolean", "null" or "number". Only its first byte
// is read: a large string is not decoded to learn that it is a string.
func RawKind(raw []byte) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "null"
	}
	switch raw[0] {
	case '"':
		return TypeString
	case '{':
		return TypeObject
	case '[':
		return TypeArray
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return TypeNumber
}
