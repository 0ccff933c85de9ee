package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/cloacina-go/cloacina/internal/spec"
)

// RuleKind is the form of a trigger rule node.
type RuleKind int

// Trigger rule kinds, named as in the annotation language.
const (
	// RuleAlways always holds.
	RuleAlways RuleKind = iota + 1
	// RuleAll holds when every sub-rule holds (true with none).
	RuleAll
	// RuleAny holds when at least one sub-rule holds (false with none).
	RuleAny
	// RuleNone holds when no sub-rule holds (true with none).
	RuleNone
	// RuleTaskSuccess holds when Task is Completed.
	RuleTaskSuccess
	// RuleTaskFailed holds when Task Failed.
	RuleTaskFailed
	// RuleTaskSkipped holds when Task was Skipped.
	RuleTaskSkipped
	// RuleContextValue compares the context value at the path Key using Op
	// and Value.
	RuleContextValue
)

var ruleKindNames = map[RuleKind]string{
	RuleAlways: spec.RuleAlways, RuleAll: spec.RuleAll, RuleAny: spec.RuleAny, RuleNone: spec.RuleNone,
	RuleTaskSuccess: spec.RuleTaskSuccess, RuleTaskFailed: spec.RuleTaskFailed, RuleTaskSkipped: spec.RuleTaskSkipped,
	RuleContextValue: spec.RuleContextValue,
}

// String returns the annotation spelling, such as "task_success".
func (k RuleKind) String() string {
	if s, ok := ruleKindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("RuleKind(%d)", int(k))
}

// ValueOp is the comparison of a context_value rule.
type ValueOp int

// Comparisons of context_value rules. A key (or path) that finds nothing
// makes every comparison false except OpNotExists.
const (
	// OpEquals: the value equals the literal (numbers compare by value, so 1 equals 1.0).
	OpEquals ValueOp = iota + 1
	// OpNotEquals: the value is present and differs from the literal.
	OpNotEquals
	// OpGreaterThan: both are numbers and the value is greater; false for non-numbers.
	OpGreaterThan
	// OpLessThan: both are numbers and the value is smaller; false for non-numbers.
	OpLessThan
	// OpContains: a string value contains the literal string, an array value
	// has an element equal to the literal, or an object value has the literal
	// as a key; false for other values.
	OpContains
	// OpNotContains: the value is a string, array or object that does not
	// contain the literal (see OpContains); false for other values.
	OpNotContains
	// OpExists: the key is present. Takes no literal.
	OpExists
	// OpNotExists: the key is absent. Takes no literal.
	OpNotExists
)

var valueOpNames = map[ValueOp]string{
	OpEquals: spec.OpEquals, OpNotEquals: spec.OpNotEquals, OpGreaterThan: spec.OpGreaterThan, OpLessThan: spec.OpLessThan,
	OpContains: spec.OpContains, OpNotContains: spec.OpNotContains, OpExists: spec.OpExists, OpNotExists: spec.OpNotExists,
}

// String returns the annotation spelling, such as "greater_than".
func (o ValueOp) String() string {
	if s, ok := valueOpNames[o]; ok {
		return s
	}
	return fmt.Sprintf("ValueOp(%d)", int(o))
}

// TakesValue reports whether the comparison needs a literal.
func (o ValueOp) TakesValue() bool { return spec.OpTakesValue(o.String()) }

// ParseValueOp returns the comparison with the given annotation spelling.
func ParseValueOp(s string) (ValueOp, bool) {
	for op, n := range valueOpNames {
		if n == s {
			return op, true
		}
	}
	return 0, false
}

// TriggerRule decides whether a task runs once its dependencies are
// terminal. Build rules with the constructors (All, TaskSuccess,
// ContextValue, ...); nested rules combine freely. A rule is immutable once
// part of a workflow.
type TriggerRule struct {
	Kind RuleKind
	// Rules are the sub-rules of All, Any and None.
	Rules []*TriggerRule
	// Task is the task id of TaskSuccess, TaskFailed and TaskSkipped.
	Task string
	// Key, Op and Value describe a ContextValue comparison. Key is a path
	// (see ContextValue); Value is a JSON literal: a string, a number, a
	// bool or nil.
	Key   string
	Op    ValueOp
	Value any
}

// Always returns a rule that always holds: the task runs whatever its
// dependencies' outcome.
func Always() *TriggerRule { return &TriggerRule{Kind: RuleAlways} }

// All returns a rule that holds when every rule holds; All() holds.
func All(rules ...*TriggerRule) *TriggerRule { return &TriggerRule{Kind: RuleAll, Rules: rules} }

// Any returns a rule that holds when at least one rule holds; Any() does not.
func Any(rules ...*TriggerRule) *TriggerRule { return &TriggerRule{Kind: RuleAny, Rules: rules} }

// None returns a rule that holds when no rule holds; None() holds.
func None(rules ...*TriggerRule) *TriggerRule { return &TriggerRule{Kind: RuleNone, Rules: rules} }

// TaskSuccess returns a rule that holds when the task Completed.
func TaskSuccess(taskID string) *TriggerRule {
	return &TriggerRule{Kind: RuleTaskSuccess, Task: taskID}
}

// TaskFailed returns a rule that holds when the task Failed.
func TaskFailed(taskID string) *TriggerRule { return &TriggerRule{Kind: RuleTaskFailed, Task: taskID} }

// TaskSkipped returns a rule that holds when the task was Skipped.
func TaskSkipped(taskID string) *TriggerRule {
	return &TriggerRule{Kind: RuleTaskSkipped, Task: taskID}
}

// ContextValue returns a rule comparing the merged context's value at key
// with value. For OpExists and OpNotExists, value is ignored (pass nil).
//
// The key is a path, as in the annotation language: segments separated by
// dots, each looked up in the object the previous ones found. "mode" is the
// context's key mode; "order.tier" is field tier of the JSON object stored
// under key order. A path that meets a value other than an object before
// its last segment, or a missing field, finds nothing (arrays are not
// indexed: "items.0" is field "0" of an object). A segment that holds a
// dot, or a quote, is written as a Go string literal inside the key:
// ContextValue(`"a.b"`, ...) tests the top-level key a.b, and
// ContextValue(`order."x.y"`, ...) field x.y of order. Other segments are
// written as they are, spaces included. Validate rejects a malformed path
// (an empty segment, an unterminated quote).
func ContextValue(key string, op ValueOp, value any) *TriggerRule {
	return &TriggerRule{Kind: RuleContextValue, Key: key, Op: op, Value: value}
}

// TriggerInput is what a rule is evaluated against: the states of the
// task's upstream tasks and the merge of its dependencies' output contexts.
type TriggerInput struct {
	States  map[string]TaskStatus
	Context *Context
}

// Evaluate reports whether the rule holds. When it does not, reason says
// which part failed, for the Skipped task's record.
func (r *TriggerRule) Evaluate(in TriggerInput) (ok bool, reason string) {
	switch r.Kind {
	case RuleAlways:
		return true, ""
	case RuleAll:
		for _, sub := range r.Rules {
			if ok, why := sub.Evaluate(in); !ok {
				return false, why
			}
		}
		return true, ""
	case RuleAny:
		for _, sub := range r.Rules {
			if ok, _ := sub.Evaluate(in); ok {
				return true, ""
			}
		}
		return false, fmt.Sprintf("no condition of %s holds", r)
	case RuleNone:
		for _, sub := range r.Rules {
			if ok, _ := sub.Evaluate(in); ok {
				return false, fmt.Sprintf("%s holds, inside %s", sub, r)
			}
		}
		return true, ""
	case RuleTaskSuccess, RuleTaskFailed, RuleTaskSkipped:
		want := map[RuleKind]TaskStatus{RuleTaskSuccess: TaskStatusCompleted, RuleTaskFailed: TaskStatusFailed, RuleTaskSkipped: TaskStatusSkipped}[r.Kind]
		got, known := in.States[r.Task]
		if known && got == want {
			return true, ""
		}
		if !known {
			return false, fmt.Sprintf("%s does not hold: task %q has no state", r, r.Task)
		}
		return false, fmt.Sprintf("%s does not hold: task %q is %s", r, r.Task, got)
	case RuleContextValue:
		path, err := spec.ParsePath(r.Key)
		if err != nil {
			return false, fmt.Sprintf("context_value key %q: %v", r.Key, err)
		}
		if r.evalContextValue(in.Context, path) {
			return true, ""
		}
		return false, fmt.Sprintf("%s does not hold", r)
	}
	return false, fmt.Sprintf("unknown rule kind %d", int(r.Kind))
}

// lookupPath returns the JSON value at path in c: the value of key path[0],
// then of each next segment as a field of the object found so far.
func lookupPath(c *Context, path []string) (json.RawMessage, bool) {
	if c == nil {
		return nil, false
	}
	raw, ok := c.Raw(path[0])
	for _, seg := range path[1:] {
		if !ok {
			return nil, false
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			return nil, false // not an object (null decodes to a nil map)
		}
		raw, ok = obj[seg]
	}
	return raw, ok
}

func (r *TriggerRule) evalContextValue(c *Context, path []string) bool {
	raw, present := lookupPath(c, path)
	switch r.Op {
	case OpExists:
		return present
	case OpNotExists:
		return !present
	}
	if !present {
		return false
	}
	actual := decodeJSON(raw)
	lit := normaliseLiteral(r.Value)
	switch r.Op {
	case OpEquals:
		return jsonEqual(actual, lit)
	case OpNotEquals:
		return !jsonEqual(actual, lit)
	case OpGreaterThan, OpLessThan:
		a, aok := asNumber(actual)
		b, bok := asNumber(lit)
		if !aok || !bok {
			return false
		}
		if r.Op == OpGreaterThan {
			return a.Cmp(b) > 0
		}
		return a.Cmp(b) < 0
	case OpContains, OpNotContains:
		has, applicable := contains(actual, lit)
		if !applicable {
			return false
		}
		return has == (r.Op == OpContains)
	}
	return false
}

// normaliseLiteral brings a Go literal to the decoded-JSON form used for
// comparisons (json.Number for numbers).
func normaliseLiteral(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return decodeJSON(b)
}

func asNumber(v any) (*big.Float, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, false
	}
	f, _, err := big.ParseFloat(string(n), 10, 256, big.ToNearestEven)
	return f, err == nil
}

func jsonEqual(a, b any) bool {
	if x, ok := asNumber(a); ok {
		if y, ok := asNumber(b); ok {
			return x.Cmp(y) == 0
		}
		return false
	}
	switch av := a.(type) {
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if !jsonEqual(av[i], bv[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for k, v := range av {
			w, ok := bv[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	}
	return a == b
}

// contains implements OpContains; applicable is false for values that
// cannot contain anything.
func contains(actual, lit any) (has, applicable bool) {
	switch a := actual.(type) {
	case string:
		s, ok := lit.(string)
		return ok && strings.Contains(a, s), true
	case []any:
		for _, e := range a {
			if jsonEqual(e, lit) {
				return true, true
			}
		}
		return false, true
	case map[string]any:
		s, ok := lit.(string)
		if !ok {
			return false, true
		}
		_, has := a[s]
		return has, true
	}
	return false, false
}

// Validate checks the rule's structure: known kinds and operators, a task id
// where one is needed, a literal for comparisons that take one, and literals
// that are JSON scalars.
func (r *TriggerRule) Validate() error {
	if r == nil {
		return fmt.Errorf("nil rule")
	}
	switch r.Kind {
	case RuleAlways:
		return nil
	case RuleAll, RuleAny, RuleNone:
		for i, sub := range r.Rules {
			if err := sub.Validate(); err != nil {
				return fmt.Errorf("%s argument %d: %w", r.Kind, i+1, err)
			}
		}
		return nil
	case RuleTaskSuccess, RuleTaskFailed, RuleTaskSkipped:
		if r.Task == "" {
			return fmt.Errorf("%s needs a task id", r.Kind)
		}
		return nil
	case RuleContextValue:
		if r.Key == "" {
			return fmt.Errorf("context_value needs a key")
		}
		if _, err := spec.ParsePath(r.Key); err != nil {
			return fmt.Errorf("context_value key %q: %w", r.Key, err)
		}
		if _, ok := valueOpNames[r.Op]; !ok {
			return fmt.Errorf("context_value(%s): unknown operator %d", r.Key, int(r.Op))
		}
		if !r.Op.TakesValue() {
			return nil
		}
		switch r.Value.(type) {
		case nil, string, bool, json.Number,
			int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		default:
			return fmt.Errorf("context_value(%s, %s): literal of type %T is not a string, number, bool or nil", r.Key, r.Op, r.Value)
		}
		if _, err := json.Marshal(r.Value); err != nil {
			return fmt.Errorf("context_value(%s, %s): %w", r.Key, r.Op, err)
		}
		return nil
	}
	return fmt.Errorf("unknown rule kind %d", int(r.Kind))
}

// Tasks returns the task ids the rule names, in order of appearance, each once.
func (r *TriggerRule) Tasks() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(*TriggerRule)
	walk = func(r *TriggerRule) {
		if r == nil {
			return
		}
		if r.Task != "" && !seen[r.Task] {
			seen[r.Task] = true
			out = append(out, r.Task)
		}
		for _, sub := range r.Rules {
			walk(sub)
		}
	}
	walk(r)
	return out
}

// String prints the rule in the annotation language, such as
// `all(task_success(transform), context_value(mode, equals, "full"))`.
func (r *TriggerRule) String() string {
	if r == nil {
		return "<default>"
	}
	var b strings.Builder
	r.write(&b)
	return b.String()
}

func (r *TriggerRule) write(b *strings.Builder) {
	switch r.Kind {
	case RuleAlways:
		b.WriteString(r.Kind.String())
	case RuleAll, RuleAny, RuleNone:
		b.WriteString(r.Kind.String())
		b.WriteByte('(')
		for i, sub := range r.Rules {
			if i > 0 {
				b.WriteString(", ")
			}
			sub.write(b)
		}
		b.WriteByte(')')
	case RuleTaskSuccess, RuleTaskFailed, RuleTaskSkipped:
		fmt.Fprintf(b, "%s(%s)", r.Kind, r.Task)
	case RuleContextValue:
		key := strconv.Quote(r.Key) // malformed: print it, not a different path
		if path, err := spec.ParsePath(r.Key); err == nil {
			key = spec.FormatPath(path)
		}
		fmt.Fprintf(b, "context_value(%s, %s", key, r.Op)
		if r.Op.TakesValue() {
			b.WriteString(", ")
			b.WriteString(literalString(r.Value))
		}
		b.WriteByte(')')
	default:
		fmt.Fprintf(b, "RuleKind(%d)", int(r.Kind))
	}
}

// literalString prints a literal as the annotation language writes it.
func literalString(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

// ruleJSON is the JSON form of a rule: {"kind":"all","rules":[...]},
// {"kind":"task_success","task":"x"},
// {"kind":"context_value","key":"k","op":"equals","value":1}.
type ruleJSON struct {
	Kind  string          `json:"kind"`
	Rules []*TriggerRule  `json:"rules,omitempty"`
	Task  string          `json:"task,omitempty"`
	Key   string          `json:"key,omitempty"`
	Op    string          `json:"op,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// MarshalJSON encodes the rule in its JSON form (see the package doc).
func (r *TriggerRule) MarshalJSON() ([]byte, error) {
	j := ruleJSON{Kind: r.Kind.String(), Task: r.Task, Key: r.Key}
	switch r.Kind {
	case RuleAll, RuleAny, RuleNone:
		j.Rules = r.Rules
		if j.Rules == nil {
			j.Rules = []*TriggerRule{}
		}
	case RuleContextValue:
		j.Op = r.Op.String()
		if r.Op.TakesValue() {
			v, err := json.Marshal(r.Value)
			if err != nil {
				return nil, fmt.Errorf("trigger rule %s: %w", r, err)
			}
			j.Value = v
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes the JSON form written by MarshalJSON. Numbers decode
// as json.Number so they keep their exact value.
func (r *TriggerRule) UnmarshalJSON(data []byte) error {
	var j ruleJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	var kind RuleKind
	for k, n := range ruleKindNames {
		if n == j.Kind {
			kind = k
		}
	}
	if kind == 0 {
		return fmt.Errorf("trigger rule: unknown kind %q", j.Kind)
	}
	*r = TriggerRule{Kind: kind, Rules: j.Rules, Task: j.Task, Key: j.Key}
	if kind == RuleContextValue {
		op, ok := ParseValueOp(j.Op)
		if !ok {
			return fmt.Errorf("trigger rule: unknown operator %q", j.Op)
		}
		r.Op = op
		if op.TakesValue() {
			if len(bytes.TrimSpace(j.Value)) == 0 {
				return fmt.Errorf("trigger rule: context_value(%s, %s) has no value", j.Key, j.Op)
			}
			r.Value = decodeJSON(j.Value)
		}
	}
	return r.Validate()
}

// defaultTriggerDecision applies the rule used when a task has none: every
// dependency Completed; otherwise the task is skipped, naming the first
// dependency (in deps order) that did not complete.
func defaultTriggerDecision(deps []string, states map[string]TaskStatus) (bool, string) {
	for _, d := range deps {
		if s := states[d]; s != TaskStatusCompleted {
			return false, fmt.Sprintf("dependency %q %s", d, pastTense(s))
		}
	}
	return true, ""
}

func pastTense(s TaskStatus) string {
	switch s {
	case TaskStatusFailed:
		return "failed"
	case TaskStatusSkipped:
		return "was skipped"
	}
	return "is " + s.String()
}

// ShouldRun applies the task's trigger rule, or the default rule when it has
// none, to its upstream states and merged input context. When the task must
// be skipped, reason says why.
func (t *Task) ShouldRun(in TriggerInput) (run bool, reason string) {
	if t.Trigger == nil {
		return defaultTriggerDecision(t.Dependencies, in.States)
	}
	ok, why := t.Trigger.Evaluate(in)
	if !ok {
		return false, "trigger rule: " + why
	}
	return true, ""
}
