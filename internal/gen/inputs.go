package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/token"
	"math"
	"sort"
	"strings"

	"github.com/cloacina-go/cloacina/annotations"
	"github.com/cloacina-go/cloacina/internal/suggest"
)

// CheckInput checks raw JSON, such as the input a schedule gives each
// execution, against the inputs the workflow declares (Workflow.Inputs);
// see CheckInputValue for the rules. Problems are InputError errors at pos,
// the place where the JSON is written.
func (w *Workflow) CheckInput(input []byte, pos token.Position) ErrorList {
	return CheckInput(w.Name, w.Inputs, input, pos)
}

// CheckInput checks raw JSON against the inputs= of the workflow named
// workflow: it must be a JSON object, and CheckInputValue must accept its
// members.
func CheckInput(workflow string, inputs []annotations.ContextKey, input []byte, pos token.Position) ErrorList {
	var errs ErrorList
	dec := json.NewDecoder(bytes.NewReader(input))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		errs.add(pos, InputError, "input of workflow %q is not valid JSON: %v", workflow, err)
		return errs
	}
	if dec.More() {
		errs.add(pos, InputError, "input of workflow %q holds more than one JSON value", workflow)
		return errs
	}
	m, ok := v.(map[string]any)
	if !ok {
		errs.add(pos, InputError, "input of workflow %q must be a JSON object of input keys, not a JSON %s", workflow, jsonKindOf(v))
		return errs
	}
	return CheckInputValue(workflow, inputs, m, pos)
}

// CheckInputValue checks a decoded JSON object (as encoding/json decodes
// into map[string]any, with or without UseNumber) against the inputs of
// the workflow named workflow. Every key must be a declared input (a
// workflow without inputs= accepts none), and every value must have the
// input's type: string, number, int (a number without a fraction), bool,
// array, object, or any. Declared inputs may be left out. Problems, one
// per key in key order, are InputError errors at pos.
func CheckInputValue(workflow string, inputs []annotations.ContextKey, input map[string]any, pos token.Position) ErrorList {
	var errs ErrorList
	byName := map[string]annotations.ContextKey{}
	var names []string
	for _, k := range inputs {
		byName[k.Name] = k
		names = append(names, k.Name)
	}
	keys := make([]string, 0, len(input))
	for k := range input {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		decl, ok := byName[k]
		if !ok {
			declared := "it declares no inputs"
			if len(names) > 0 {
				declared = "inputs: " + strings.Join(names, ", ")
			}
			hint := suggest.DidYouMean(k, names)
			if hint == "" {
				hint = "; declare it with inputs= on the //cloacina:workflow"
			}
			errs.add(pos, InputError, "input key %q is not an input of workflow %q (%s)%s", k, workflow, declared, hint)
			continue
		}
		if !valueHasType(input[k], decl.Type) {
			errs.add(pos, InputError, "input %q of workflow %q is a JSON %s, but the workflow declares %s (at %s)",
				k, workflow, jsonKindOf(input[k]), decl, decl.Pos)
		}
	}
	return errs
}

// valueHasType reports whether a decoded JSON value has a declared type.
func valueHasType(v any, typ string) bool {
	switch typ {
	case annotations.TypeString:
		_, ok := v.(string)
		return ok
	case annotations.TypeBool:
		_, ok := v.(bool)
		return ok
	case annotations.TypeArray:
		_, ok := v.([]any)
		return ok
	case annotations.TypeObject:
		_, ok := v.(map[string]any)
		return ok
	case annotations.TypeNumber, annotations.TypeInt:
		switch n := v.(type) {
		case float64:
			return typ == annotations.TypeNumber || n == math.Trunc(n)
		case json.Number:
			if typ == annotations.TypeNumber {
				return true
			}
			_, err := n.Int64()
			return err == nil
		}
		return false
	}
	return true
}

// jsonKindOf names the JSON kind of a decoded value.
func jsonKindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64, json.Number:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
