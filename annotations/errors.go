package annotations

import (
	"fmt"
	"go/token"
	"sort"
	"strings"
)

// Error is one problem found in a directive, at a position in the source.
type Error struct {
	Pos token.Position
	Msg string
	// Fix, when not nil, is an edit that resolves the problem (a misspelt
	// key replaced by the one it resembles).
	Fix *Fix
}

// Fix is an edit that resolves a problem: replace the source from Pos to
// End with NewText.
type Fix struct {
	// Message describes the edit, as in "replace \"totlas\" with \"totals\"".
	Message  string
	Pos, End token.Position
	NewText  string
}

// Error returns the problem as "file.go:12:3: message".
func (e *Error) Error() string {
	return e.Pos.String() + ": " + e.Msg
}

// ErrorList is a list of problems. It sorts by filename, line, column and
// then message, so that output is stable.
type ErrorList []*Error

// Add appends an error at pos with a message formatted as by fmt.Sprintf.
func (l *ErrorList) Add(pos token.Position, format string, args ...any) {
	*l = append(*l, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// Len implements sort.Interface.
func (l ErrorList) Len() int { return len(l) }

// Swap implements sort.Interface.
func (l ErrorList) Swap(i, j int) { l[i], l[j] = l[j], l[i] }

// Less implements sort.Interface: by filename, line, column, then message.
func (l ErrorList) Less(i, j int) bool {
	a, b := l[i].Pos, l[j].Pos
	if a.Filename != b.Filename {
		return a.Filename < b.Filename
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	if a.Column != b.Column {
		return a.Column < b.Column
	}
	return l[i].Msg < l[j].Msg
}

// Sort sorts the list in place (stable, so equal entries keep their order).
func (l ErrorList) Sort() { sort.Stable(l) }

// Error returns the errors one per line. An empty list returns "no errors".
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Err returns the list as an error, or nil when the list is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// at returns the position off bytes after base on the same line.
func at(base token.Position, off int) token.Position {
	base.Offset += off
	base.Column += off
	return base
}
