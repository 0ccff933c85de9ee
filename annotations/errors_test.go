package annotations

import (
	"errors"
	"go/token"
	"sort"
	"testing"
)

func TestErrorList(t *testing.T) {
	var l ErrorList
	if l.Err() != nil {
		t.Fatal("empty list: Err() != nil")
	}
	if l.Error() != "no errors" {
		t.Errorf("empty Error() = %q", l.Error())
	}
	p := func(file string, line, col int) token.Position {
		return token.Position{Filename: file, Line: line, Column: col}
	}
	l.Add(p("b.go", 1, 1), "b")
	l.Add(p("a.go", 3, 5), "second")
	l.Add(p("a.go", 3, 5), "first %d", 1)
	l.Add(p("a.go", 3, 2), "col")
	l.Add(p("a.go", 2, 9), "line")
	l.Sort()
	if !sort.IsSorted(l) {
		t.Fatal("not sorted")
	}
	want := "a.go:2:9: line\na.go:3:2: col\na.go:3:5: first 1\na.go:3:5: second\nb.go:1:1: b"
	if got := l.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	err := l.Err()
	var el ErrorList
	if !errors.As(err, &el) || len(el) != 5 {
		t.Errorf("Err() = %#v", err)
	}
	if got := l[:1].Error(); got != "a.go:2:9: line" {
		t.Errorf("one error: %q", got)
	}
	e := &Error{Pos: p("etl.go", 12, 3), Msg: "message"}
	if e.Error() != "etl.go:12:3: message" {
		t.Errorf("Error() = %q", e.Error())
	}
}
