package gen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/token"

	"github.com/cloacina-go/cloacina/annotations"
	"github.com/cloacina-go/cloacina/internal/spec"
)

// CheckInput checks raw JSON, such as the input a schedule gives each
// execution, against the inputs the workflow declares (Workflow.Inputs);
// see CheckInput for the rules. Problems are InputError errors at pos, the
// place where the JSON is written.
func (w *Workflow) CheckInput(input []byte, pos token.Position) ErrorList {
	return CheckInput(w.Name, w.Inputs, input, pos)
}

// CheckInput checks raw JSON against the inputs= of the workflow named
// workflow: it must be a JSON object, every key must be a declared input
// (a workflow without inputs= accepts none) and every value must have the
// input's type (the rules of spec.CheckInput, which the runtime applies
// when an execution is submitted). Problems, one per key in key order, are
// InputError errors at pos; a value of the wrong type names where its
// input is declared.
func CheckInput(workflow string, inputs []annotations.ContextKey, input []byte, pos token.Position) ErrorList {
	var errs ErrorList
	var values map[string]json.RawMessage
	if err := decodeObject(input, &values); err != nil {
		errs.add(pos, InputError, "input of workflow %q %s", workflow, err.Error())
		return errs
	}
	declared := make([]spec.Input, len(inputs))
	for i, k := range inputs {
		declared[i] = spec.Input{Name: k.Name, Type: k.Type}
	}
	for _, p := range spec.CheckInput(workflow, declared, values, "; declare it with inputs= on the //cloacina:workflow") {
		if p.Decl >= 0 {
			errs.add(pos, InputError, "%s (at %s)", p.Msg, inputs[p.Decl].Pos)
			continue
		}
		errs.add(pos, InputError, "%s", p.Msg)
	}
	return errs
}

// decodeObject decodes input, which must be exactly one JSON object, into
// values. The error completes the sentence "input of workflow w ...".
func decodeObject(input []byte, values *map[string]json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(input))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("is not valid JSON: %w", err)
	}
	if dec.More() {
		return errors.New("holds more than one JSON value")
	}
	if err := json.Unmarshal(v, values); err != nil || *values == nil {
		return fmt.Errorf("must be a JSON object of input keys, not a JSON %s", spec.RawKind(v))
	}
	return nil
}
