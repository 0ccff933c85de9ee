package spec

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// PathError is a malformed context_value key.
type PathError struct {
	Offset int // of the problem, in bytes from the start of the key
	Msg    string
}

// Error returns the message, without the key or a position.
func (e *PathError) Error() string { return e.Msg }

// ParsePath splits a context_value key into its segments, unquoting the
// quoted ones. The error, if any, is a *PathError.
//
// A key is a path into the context a trigger rule is evaluated against:
// one or more segments separated by ".". The first
// segment is a key of the context, and each further one a field of the
// JSON object the previous segments found, so order.tier is field tier of
// the object stored under key order. A path that meets anything but an
// object before its last segment (an array, a string, a number, null) or a
// missing field finds nothing; arrays are not indexed, so items.0 is field
// "0" of an object items.
//
// A segment is bare, one or more characters other than '.', '"' and '`',
// or a Go string literal ("..." or `...`), which may hold dots and any
// other character: "a.b" is the top-level key a.b, and order."x.y" field
// x.y of key order. In a //cloacina:task directive a bare segment is made
// of ASCII letters, digits, '_' and '-'; quote the others.
func ParsePath(key string) ([]string, error) {
	if key == "" {
		return nil, &PathError{0, "empty key"}
	}
	var segs []string
	i := 0
	for {
		start := i
		switch {
		case i < len(key) && (key[i] == '"' || key[i] == '`'):
			end := ScanQuoted(key, i)
			if end < 0 {
				return nil, &PathError{i, "unterminated quoted segment"}
			}
			s, err := strconv.Unquote(key[i:end])
			if err != nil {
				return nil, &PathError{i, fmt.Sprintf("invalid quoted segment %s", key[i:end])}
			}
			if s == "" {
				return nil, &PathError{i, "empty quoted segment"}
			}
			segs, i = append(segs, s), end
		default:
			for i < len(key) && key[i] != '.' && key[i] != '"' && key[i] != '`' {
				i++
			}
			if i == start {
				return nil, &PathError{i, "empty segment; segments are separated by single dots"}
			}
			segs = append(segs, key[start:i])
		}
		switch {
		case i == len(key):
			return segs, nil
		case key[i] != '.':
			r, _ := utf8.DecodeRuneInString(key[i:])
			return nil, &PathError{i, fmt.Sprintf("expected \".\" after a segment, found %q", string(r))}
		}
		i++
		if i == len(key) {
			return nil, &PathError{i, "empty segment after the last \".\""}
		}
	}
}

// ScanQuoted returns the index just after the Go string literal starting
// at s[i] (a '"' or '`'), or -1 when it is not terminated. It does not
// check escapes; strconv.Unquote does.
func ScanQuoted(s string, i int) int {
	if s[i] == '`' {
		if j := strings.IndexByte(s[i+1:], '`'); j >= 0 {
			return i + 1 + j + 1
		}
		return -1
	}
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// FormatPath writes segments as a context_value key in canonical form: a
// segment made of ASCII letters, digits, '_' and '-' bare, any other quoted
// with strconv.Quote. ParsePath of the result gives the segments back, and
// the result can be written in a directive as it is.
func FormatPath(segs []string) string {
	parts := make([]string, len(segs))
	for i, s := range segs {
		parts[i] = s
		if !isBareSegment(s) {
			parts[i] = strconv.Quote(s)
		}
	}
	return strings.Join(parts, ".")
}

// JoinPath writes segments as a context_value key for Go code: it quotes
// only the segments ParsePath needs quoted (those holding '.', '"' or '`'),
// so ContextValue("odd key", ...) reads as it would be written by hand.
func JoinPath(segs []string) string {
	parts := make([]string, len(segs))
	for i, s := range segs {
		parts[i] = s
		if strings.ContainsAny(s, ".\"`") {
			parts[i] = strconv.Quote(s)
		}
	}
	return strings.Join(parts, ".")
}

func isBareSegment(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}
