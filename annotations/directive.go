package annotations

import (
	"fmt"
	"go/token"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cloacina-go/cloacina/internal/spec"
	"github.com/cloacina-go/cloacina/internal/suggest"
)

// Prefix is the text that starts every directive.
const Prefix = "//cloacina:"

// The directive verbs.
const (
	VerbWorkflow = "workflow"
	VerbTask     = "task"
	VerbSchedule = "schedule"
	VerbTrigger  = "trigger"
)

var verbs = []string{VerbTask, VerbWorkflow, VerbSchedule, VerbTrigger}

// ValueKind tells how a value was written in a directive.
type ValueKind int

const (
	// Word is a bare word such as extract, 3, 500ms, true or a,b (a comma
	// list is a word; the key decides how to split it).
	Word ValueKind = iota
	// Quoted is a Go-quoted string, "..." with escapes or `...` raw.
	Quoted
	// Expr is a value with parentheses, such as all(task_success(a)) or
	// (all(...)); it may contain spaces and quoted strings.
	Expr
)

// String returns "word", "quoted string" or "expression".
func (k ValueKind) String() string {
	switch k {
	case Word:
		return "word"
	case Quoted:
		return "quoted string"
	case Expr:
		return "expression"
	}
	return "ValueKind(" + strconv.Itoa(int(k)) + ")"
}

// Key is one key=value pair of a directive, with positions.
//
// In Task.Keys and Workflow.Keys, Name is the canonical key name ("deps" even
// when written "dependencies"); in Directive.Args it is the name as written.
type Key struct {
	Name     string
	Pos      token.Position // of the key
	ValuePos token.Position // of the first character of the value
	Raw      string         // the value as written, quotes and parentheses included
}

// Arg is a key=value pair as lexed from a directive line.
type Arg struct {
	Key
	Kind ValueKind
	// Value is the unquoted text for Quoted values, and Raw otherwise.
	Value string
}

// Directive is one //cloacina: comment line, lexed but not yet typed.
// BuildTask and BuildWorkflow turn one or more of them into a Task or a
// Workflow.
type Directive struct {
	Pos  token.Position // of the comment, i.e. of "//"
	Verb string         // one of the Verb constants
	Args []Arg          // in source order; keys are not checked yet
	// Incomplete reports that a syntax error stopped the lexer before the
	// end of the line, so Args may lack keys that were written.
	Incomplete bool
}

// ParseDirective lexes one directive line. line is the whole comment text,
// such as `//cloacina:task id=x deps=a,b`, and pos is the position of its
// first character; the column of every byte is pos.Column plus its offset.
//
// It checks the marker, the verb and the key=value syntax, but not the keys
// themselves (see BuildTask and BuildWorkflow). It returns a nil Directive
// when the line cannot be read as a directive at all: it is not one, it is
// a block comment, or the verb is unknown. Otherwise the Directive holds
// every pair read before the first syntax error, if any.
func ParseDirective(pos token.Position, line string) (*Directive, ErrorList) {
	var errs ErrorList
	if rest, ok := strings.CutPrefix(line, "/*"); ok {
		rest = strings.TrimLeft(rest, " \t")
		if strings.HasPrefix(rest, "cloacina:") {
			errs.Add(pos, "%s", blockCommentMsg(rest))
		} else {
			errs.Add(pos, "not a %s directive", Prefix)
		}
		return nil, errs
	}
	if !strings.HasPrefix(line, "//") {
		errs.Add(pos, "not a %s directive", Prefix)
		return nil, errs
	}
	i := 2
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	if !strings.HasPrefix(line[i:], "cloacina:") {
		if msg := prefixTypo(line); msg != "" {
			errs.Add(pos, "%s", msg)
		} else {
			errs.Add(pos, "not a %s directive", Prefix)
		}
		return nil, errs
	}
	spaced := i > 2
	i += len("cloacina:")
	verbStart := i
	for i < len(line) && isWordByte(line[i]) {
		i++
	}
	verb := line[verbStart:i]
	end := i
	for end < len(line) && !isSpace(line[end]) {
		end++
	}
	known := contains(verbs, verb)
	if spaced {
		v := verb
		if !known {
			v = "<verb>"
		}
		errs.Add(pos, "no space allowed after \"//\" in a directive; write %s%s", Prefix, v)
		if !known {
			return nil, errs
		}
	}
	switch {
	case verbStart == end:
		errs.Add(at(pos, verbStart), "missing directive name after %q; write %stask or %sworkflow", Prefix, Prefix, Prefix)
		return nil, errs
	case !known || (i < len(line) && !isSpace(line[i]) && isVerbJunk(line[i])):
		word := line[verbStart:end]
		msg := fmt.Sprintf("unknown directive %s%s", Prefix, word)
		if c := suggest.Closest(word, verbs); len(c) > 0 {
			msg += "; did you mean " + Prefix + c[0] + "?"
		} else {
			msg += "; use " + Prefix + "task, " + Prefix + "workflow, " + Prefix + "schedule or " + Prefix + "trigger"
		}
		errs.Add(pos, "%s", msg)
		return nil, errs
	case i < len(line) && !isSpace(line[i]):
		errs.Add(at(pos, i), "expected a space after %s%s, found %s", Prefix, verb, quoteAt(line, i))
		return nil, errs
	}
	d := &Directive{Pos: pos, Verb: verb}
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) || strings.HasPrefix(line[i:], "//") {
			break // the end, or a trailing comment
		}
		a, next, err := lexArg(pos, line, i)
		if err != nil {
			errs = append(errs, err)
			d.Incomplete = true
			break
		}
		d.Args = append(d.Args, a)
		i = next
	}
	return d, errs
}

// isVerbJunk reports whether c, right after the letters of a verb, makes the
// whole run an unknown verb (//cloacina:task-x) rather than a known verb
// missing its space (//cloacina:task,id=x).
func isVerbJunk(c byte) bool {
	return c == '-' || c == '.' || c >= 0x80
}

// lexArg reads one key=value pair starting at line[i], which is not a space.
// It returns the pair and the index just after it.
func lexArg(pos token.Position, line string, i int) (Arg, int, *Error) {
	fail := func(off int, format string, args ...any) (Arg, int, *Error) {
		return Arg{}, 0, &Error{Pos: at(pos, off), Msg: fmt.Sprintf(format, args...)}
	}
	n := len(line)
	k := i
	for i < n && !isSpace(line[i]) && !isValueDelim(line[i]) && line[i] != '=' {
		i++
	}
	if i == k {
		if line[i] == '=' {
			return fail(i, "expected a key before \"=\"")
		}
		return fail(i, "expected key=value, found %s", quoteAt(line, i))
	}
	key := line[k:i]
	switch {
	case i == n:
		return fail(k, "expected key=value, found %q", key)
	case isSpace(line[i]):
		j := i
		for j < n && isSpace(line[j]) {
			j++
		}
		if j < n && line[j] == '=' {
			return fail(i, "unexpected space before \"=\"; write %s=value with no spaces around \"=\"", key)
		}
		return fail(k, "expected key=value, found %q", key)
	case line[i] != '=':
		return fail(i, "expected \"=\" after key %q, found %s", key, quoteAt(line, i))
	}
	i++ // '='
	a := Arg{Key: Key{Name: key, Pos: at(pos, k), ValuePos: at(pos, i)}}
	if i == n {
		return fail(i, "missing value after \"%s=\"", key)
	}
	start := i
	switch c := line[i]; {
	case isSpace(c):
		return fail(i, "missing value after \"%s=\"; no space is allowed after \"=\"", key)
	case c == '"' || c == '`':
		end := spec.ScanQuoted(line, i)
		if end < 0 {
			return fail(i, "%s: unterminated quoted string", key)
		}
		v, err := strconv.Unquote(line[i:end])
		if err != nil {
			off, msg := quotedError(line[i:end])
			return fail(i+off, "%s: %s", key, msg)
		}
		a.Kind, a.Value, i = Quoted, v, end
	case c == ')':
		return fail(i, "%s: unexpected \")\"", key)
	default: // a word, possibly continuing into a parenthesised expression
		a.Kind = Word
		for i < n && !isSpace(line[i]) {
			switch line[i] {
			case '"', '`':
				return fail(i, "%s: unexpected %s in value; quote the whole value", key, quoteAt(line, i))
			case ')':
				return fail(i, "%s: unexpected \")\"", key)
			case '(':
				end, err := scanParens(line, i)
				if err >= 0 {
					if line[err] == '(' {
						return fail(err, "%s: unclosed \"(\"", key)
					}
					return fail(err, "%s: unterminated quoted string", key)
				}
				a.Kind, i = Expr, end
				goto done
			}
			i++
		}
		if a.Kind == Word && i < n {
			j := i
			for j < n && isSpace(line[j]) {
				j++
			}
			if j < n && line[j] == '(' {
				return fail(i, "%s: unexpected space before \"(\"", key)
			}
		}
	done:
	}
	a.Raw = line[start:i]
	if a.Kind != Quoted {
		a.Value = a.Raw
	}
	if i < n && !isSpace(line[i]) {
		return fail(i, "unexpected %s after the value of %s; separate key=value pairs with spaces", quoteAt(line, i), key)
	}
	return a, i, nil
}

// scanParens returns the index just after the parenthesis that closes the one
// at s[i], skipping quoted strings. On failure it returns the index of the
// innermost unclosed '(' or of an unterminated quote as errAt (else -1).
func scanParens(s string, i int) (end, errAt int) {
	var open []int
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '(':
			open = append(open, j)
		case ')':
			open = open[:len(open)-1]
			if len(open) == 0 {
				return j + 1, -1
			}
		case '"', '`':
			e := spec.ScanQuoted(s, j)
			if e < 0 {
				return 0, j
			}
			j = e - 1
		}
	}
	return 0, open[len(open)-1]
}

// quotedError explains why strconv.Unquote rejected the literal q: it
// returns the offset in q of the problem and a message.
func quotedError(q string) (int, string) {
	if i := strings.IndexAny(q, "\n\r"); i >= 0 && q[0] == '"' {
		return i, "newline in quoted string"
	}
	s := q[1 : len(q)-1]
	for len(s) > 0 {
		_, _, tail, err := strconv.UnquoteChar(s, '"')
		if err != nil {
			esc := s
			if len(esc) > 2 {
				esc = esc[:2]
			}
			return len(q) - 1 - len(s), "invalid escape sequence " + esc + " in quoted string"
		}
		s = tail
	}
	return 0, "invalid quoted string"
}

// blockCommentMsg is the error for a directive written in a /* */ comment;
// text starts with "cloacina:".
func blockCommentMsg(text string) string {
	v := text[len("cloacina:"):]
	n := 0
	for n < len(v) && isWordByte(v[n]) {
		n++
	}
	if n == 0 {
		v = "<verb>"
	} else {
		v = v[:n]
	}
	return "directive in a /* */ comment is not read; write it as a line comment: " + Prefix + v
}

// prefixTypo returns an error message when line starts with "//" and a word
// that is a misspelling of "cloacina" followed by ':', such as //cloacnia:task.
func prefixTypo(line string) string {
	s := line[2:]
	n := 0
	for n < len(s) && (s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z') {
		n++
	}
	if n == 0 || n >= len(s) || s[n] != ':' {
		return ""
	}
	if len(suggest.Closest(s[:n], []string{"cloacina"})) == 0 {
		return ""
	}
	return fmt.Sprintf("unknown directive prefix //%s:; did you mean %s?", s[:n], Prefix)
}

// isDirectiveLine reports whether a // comment is one ParseDirective has
// something to say about: a directive, a spaced directive, or a misspelt
// marker.
func isDirectiveLine(text string) bool {
	if !strings.HasPrefix(text, "//") {
		return false
	}
	if strings.HasPrefix(strings.TrimLeft(text[2:], " \t"), "cloacina:") {
		return true
	}
	return prefixTypo(text) != ""
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func isValueDelim(c byte) bool { return c == '"' || c == '`' || c == '(' || c == ')' }

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// quoteAt renders the character at s[i] for a "found ..." message.
func quoteAt(s string, i int) string {
	if i >= len(s) {
		return "end of line"
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return strconv.Quote(s[i : i+n])
}
