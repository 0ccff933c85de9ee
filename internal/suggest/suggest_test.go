package suggest

import (
	"reflect"
	"testing"
)

func TestDistance(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"kitten", "sitting", 3},
		{"retry_attemps", "retry_attempts", 1},
		{"ab", "ba", 1},
		{"extract", "extract", 0},
		{"trasnform", "transform", 1},
	}
	for _, c := range cases {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	known := []string{"extract", "transform", "load", "retry_attempts", "retry_delay", "Load"}
	cases := []struct {
		name string
		want []string
	}{
		{"retry_attemps", []string{"retry_attempts"}},
		{"trasform", []string{"transform"}},
		{"lod", []string{"Load", "load"}},
		{"LOAD", []string{"Load", "load"}},
		{"zzzzzz", nil},
		{"extract", nil},
	}
	for _, c := range cases {
		if got := Closest(c.name, known); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Closest(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	if got := DidYouMean("retry_attemps", known); got != `; did you mean "retry_attempts"?` {
		t.Errorf("DidYouMean = %q", got)
	}
	if got := DidYouMean("qqqq", known); got != "" {
		t.Errorf("DidYouMean with nothing close = %q, want empty", got)
	}
}
