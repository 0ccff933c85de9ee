package annotations

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/token"
	"strconv"
	"strings"

	"github.com/cloacina-go/cloacina/internal/spec"
	"github.com/cloacina-go/cloacina/internal/suggest"
)

// MaxRuleDepth is how deeply trigger rules may nest; deeper rules are an
// error rather than a risk of exhausting the stack.
const MaxRuleDepth = 64

// Rule kinds.
const (
	RuleAlways       = spec.RuleAlways
	RuleAll          = spec.RuleAll
	RuleAny          = spec.RuleAny
	RuleNone         = spec.RuleNone
	RuleTaskSuccess  = spec.RuleTaskSuccess
	RuleTaskFailed   = spec.RuleTaskFailed
	RuleTaskSkipped  = spec.RuleTaskSkipped
	RuleContextValue = spec.RuleContextValue
)

var ruleKinds = spec.RuleKinds()

// Operators of context_value.
const (
	OpEquals      = spec.OpEquals
	OpNotEquals   = spec.OpNotEquals
	OpGreaterThan = spec.OpGreaterThan
	OpLessThan    = spec.OpLessThan
	OpContains    = spec.OpContains
	OpNotContains = spec.OpNotContains
	OpExists      = spec.OpExists
	OpNotExists   = spec.OpNotExists
)

var ops = spec.Ops()

// Literal kinds.
const (
	LiteralString = "string"
	LiteralNumber = "number"
	LiteralBool   = "bool"
	LiteralNull   = "null"
)

// Rule is a parsed trigger rule expression.
type Rule struct {
	Pos   token.Position // of the rule's name
	Kind  string         // one of the Rule* constants
	Rules []*Rule        // arguments of all, any and none (may be empty)
	Task  string         // argument of task_success, task_failed, task_skipped
	Key   string         // context_value key, a path in canonical form (see ParseRule)
	Path  []string       // the segments of Key, unquoted
	Op    string         // context_value operator, one of the Op* constants
	Value *Literal       // context_value literal; nil for exists and not_exists
}

// Literal is the value compared by context_value.
type Literal struct {
	Kind string // LiteralString, LiteralNumber, LiteralBool or LiteralNull
	// Value is a string, a json.Number, a bool, or nil for null.
	Value any
	// Text is the canonical source text: strconv.Quote of a string, the
	// number as written (with "E" and "e+" written "e"), true, false or null.
	Text string
}

// String prints the rule back in the annotation syntax, canonically:
// no spaces except one after each comma, always without parentheses,
// segments of context keys quoted only when they are not bare words,
// strings quoted with strconv.Quote. ParseRule of the result gives an equal
// rule.
func (r *Rule) String() string {
	var b strings.Builder
	r.write(&b)
	return b.String()
}

func (r *Rule) write(b *strings.Builder) {
	if r == nil {
		b.WriteString("<nil>")
		return
	}
	switch r.Kind {
	case RuleAlways:
		b.WriteString(r.Kind)
	case RuleAll, RuleAny, RuleNone:
		b.WriteString(r.Kind)
		b.WriteByte('(')
		for i, s := range r.Rules {
			if i > 0 {
				b.WriteString(", ")
			}
			s.write(b)
		}
		b.WriteByte(')')
	case RuleTaskSuccess, RuleTaskFailed, RuleTaskSkipped:
		b.WriteString(r.Kind + "(" + r.Task + ")")
	case RuleContextValue:
		b.WriteString(r.Kind + "(" + r.Key + ", " + r.Op)
		if r.Value != nil {
			b.WriteString(", " + r.Value.Text)
		}
		b.WriteByte(')')
	default:
		b.WriteString(r.Kind)
	}
}

// ParseRule parses a trigger rule expression such as
// `all(task_success(a), context_value(mode, equals, "full"))`. The whole
// expression may be wrapped in one pair of parentheses. pos is the position
// of expr[0]; error positions are offsets from it on the same line. The
// error, if any, is an *Error whose message has no key prefix.
func ParseRule(pos token.Position, expr string) (*Rule, error) {
	p := &ruleParser{src: expr, pos: pos}
	r, err := p.parse()
	if err != nil {
		return nil, err
	}
	return r, nil
}

type ruleParser struct {
	src   string
	pos   token.Position
	i     int
	depth int
}

// ruleError unwinds the parser from a failure to parse; it carries the error.
type ruleError struct{ err *Error }

func (p *ruleParser) parse() (r *Rule, err *Error) {
	defer func() {
		if e := recover(); e != nil {
			re, ok := e.(ruleError)
			if !ok {
				panic(e)
			}
			r, err = nil, re.err
		}
	}()
	p.skipSpace()
	if p.peek() == '(' {
		p.i++
		r = p.rule()
		p.skipSpace()
		p.expect(')', "after the rule")
	} else {
		r = p.rule()
	}
	p.skipSpace()
	if p.i < len(p.src) {
		p.fail(p.i, "unexpected %s after the rule", p.found())
	}
	return r, nil
}

func (p *ruleParser) fail(off int, format string, args ...any) {
	panic(ruleError{&Error{Pos: at(p.pos, off), Msg: fmt.Sprintf(format, args...)}})
}

func (p *ruleParser) peek() byte {
	if p.i < len(p.src) {
		return p.src[p.i]
	}
	return 0
}

func (p *ruleParser) skipSpace() {
	for p.i < len(p.src) && isSpace(p.src[p.i]) {
		p.i++
	}
}

// found describes what is at p.i for a "found ..." message: the whole word
// when a word starts there, else the character.
func (p *ruleParser) found() string {
	if p.i >= len(p.src) {
		return "end of rule"
	}
	if w := p.wordAt(p.i, isKeyByte); w != "" {
		return strconv.Quote(w)
	}
	return quoteAt(p.src, p.i)
}

func (p *ruleParser) wordAt(i int, ok func(byte) bool) string {
	j := i
	for j < len(p.src) && ok(p.src[j]) {
		j++
	}
	return p.src[i:j]
}

// expect consumes c or fails with `expected "c" <what>, found ...`.
func (p *ruleParser) expect(c byte, what string) {
	if p.peek() != c {
		p.fail(p.i, "expected %q %s, found %s", string(c), what, p.found())
	}
	p.i++
}

func (p *ruleParser) rule() *Rule {
	p.skipSpace()
	start := p.i
	name := p.wordAt(p.i, isWordByte)
	if name == "" {
		p.fail(p.i, "expected a rule (%s), found %s", strings.Join(ruleKinds, ", "), p.found())
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > MaxRuleDepth {
		p.fail(start, "rules nested too deeply (more than %d levels)", MaxRuleDepth)
	}
	p.i += len(name)
	r := &Rule{Pos: at(p.pos, start), Kind: name}
	switch name {
	case RuleAlways:
		save := p.i
		p.skipSpace()
		if p.peek() != '(' {
			p.i = save
			return r
		}
		p.i++
		p.skipSpace()
		p.expect(')', "after always( (always takes no arguments)")
	case RuleAll, RuleAny, RuleNone:
		p.skipSpace()
		p.expect('(', "after "+name)
		p.skipSpace()
		if p.peek() == ')' {
			p.i++
			r.Rules = []*Rule{}
			return r
		}
		for {
			r.Rules = append(r.Rules, p.rule())
			p.skipSpace()
			switch p.peek() {
			case ',':
				p.i++
				continue
			case ')':
				p.i++
				return r
			}
			p.fail(p.i, "expected \",\" or \")\" in %s(...), found %s", name, p.found())
		}
	case RuleTaskSuccess, RuleTaskFailed, RuleTaskSkipped:
		p.skipSpace()
		p.expect('(', "after "+name)
		p.skipSpace()
		id := p.wordAt(p.i, isKeyByte)
		if id == "" {
			p.fail(p.i, "expected a task id in %s(...), found %s", name, p.found())
		}
		if msg := checkTaskID(id); msg != "" {
			p.fail(p.i, "%s", msg)
		}
		p.i += len(id)
		r.Task = id
		p.skipSpace()
		p.expect(')', "after "+name+" argument")
	case RuleContextValue:
		p.skipSpace()
		p.expect('(', "after "+name)
		p.skipSpace()
		r.Path = p.contextKey()
		r.Key = spec.FormatPath(r.Path)
		p.skipSpace()
		p.expect(',', "after context_value key")
		p.skipSpace()
		opAt := p.i
		op := p.wordAt(p.i, isWordByte)
		if op == "" {
			p.fail(p.i, "expected an operator (%s), found %s", strings.Join(ops, ", "), p.found())
		}
		if !contains(ops, op) {
			if hint := suggest.DidYouMean(op, ops); hint != "" {
				p.fail(opAt, "unknown operator %q%s", op, hint)
			}
			p.fail(opAt, "unknown operator %q; use one of %s", op, strings.Join(ops, ", "))
		}
		p.i += len(op)
		r.Op = op
		p.skipSpace()
		if !spec.OpTakesValue(op) {
			p.expect(')', "after "+op+" ("+op+" takes no value)")
			return r
		}
		p.expect(',', "and a value after "+op)
		p.skipSpace()
		r.Value = p.literal()
		p.skipSpace()
		p.expect(')', "after context_value value")
	default:
		if hint := suggest.DidYouMean(name, ruleKinds); hint != "" {
			p.fail(start, "unknown rule %q%s", name, hint)
		}
		p.fail(start, "unknown rule %q; use one of %s", name, strings.Join(ruleKinds, ", "))
	}
	return r
}

// contextKey reads a context_value key, a path of bare and quoted segments
// separated by dots (see spec.ParsePath), and returns its segments.
func (p *ruleParser) contextKey() []string {
	start := p.i
	for {
		switch c := p.peek(); {
		case c == '"' || c == '`':
			p.quoted()
			continue
		case isKeyByte(c):
			p.i++
			continue
		}
		break
	}
	if p.i == start {
		p.fail(p.i, "expected a context key in context_value(...), found %s", p.found())
	}
	path, err := spec.ParsePath(p.src[start:p.i])
	if err != nil {
		e := err.(*spec.PathError)
		p.fail(start+e.Offset, "context key %s: %s", p.src[start:p.i], e.Msg)
	}
	return path
}

// quoted reads the Go string literal at p.i.
func (p *ruleParser) quoted() string {
	start := p.i
	end := spec.ScanQuoted(p.src, start)
	if end < 0 {
		p.fail(start, "unterminated quoted string")
	}
	s, err := strconv.Unquote(p.src[start:end])
	if err != nil {
		off, msg := quotedError(p.src[start:end])
		p.fail(start+off, "%s", msg)
	}
	p.i = end
	return s
}

func (p *ruleParser) literal() *Literal {
	start := p.i
	switch c := p.peek(); {
	case c == '"' || c == '`':
		s := p.quoted()
		return &Literal{Kind: LiteralString, Value: s, Text: strconv.Quote(s)}
	case c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9':
		w := p.wordAt(p.i, func(c byte) bool { return isKeyByte(c) || c == '+' })
		text, msg := normNumber(w)
		if msg != "" {
			p.fail(start, "%s", msg)
		}
		p.i += len(w)
		return &Literal{Kind: LiteralNumber, Value: json.Number(text), Text: text}
	}
	w := p.wordAt(p.i, isKeyByte)
	switch w {
	case "true", "false":
		p.i += len(w)
		return &Literal{Kind: LiteralBool, Value: w == "true", Text: w}
	case "null":
		p.i += len(w)
		return &Literal{Kind: LiteralNull, Text: w}
	case "":
		p.fail(p.i, "expected a value (quoted string, number, true, false or null), found %s", p.found())
	}
	p.fail(start, "expected a value (quoted string, number, true, false or null), found %q; quote strings: %s", w, strconv.Quote(w))
	return nil
}

// normNumber checks w against the JSON number syntax and returns its
// canonical text, or an error message.
func normNumber(w string) (string, string) {
	bad := fmt.Sprintf("invalid number %q (use JSON number syntax, e.g. 3, -1.5, 2e6)", w)
	i := 0
	digits := func() int {
		j := i
		for i < len(w) && w[i] >= '0' && w[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(w) && w[i] == '-' {
		i++
	}
	if i < len(w) && w[i] == '0' {
		i++
	} else if digits() == 0 {
		return "", bad
	}
	if i < len(w) && w[i] == '.' {
		i++
		if digits() == 0 {
			return "", bad
		}
	}
	if i < len(w) && (w[i] == 'e' || w[i] == 'E') {
		i++
		if i < len(w) && (w[i] == '+' || w[i] == '-') {
			i++
		}
		if digits() == 0 {
			return "", bad
		}
	}
	if i != len(w) {
		return "", bad
	}
	if _, err := strconv.ParseFloat(w, 64); errors.Is(err, strconv.ErrRange) {
		return "", fmt.Sprintf("number %s is out of range", w)
	}
	text := strings.Replace(strings.ToLower(w), "e+", "e", 1)
	return text, ""
}

// isKeyByte reports whether c may appear in a bare context key (a path of
// bare segments): letters, digits, '_', '.' and '-'.
func isKeyByte(c byte) bool { return isWordByte(c) || c == '.' || c == '-' }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
