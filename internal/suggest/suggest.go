// Package suggest finds the names a user probably meant when they wrote an
// unknown one, for "did you mean" hints in error messages.
//
// It is a leaf package (standard library only) shared by the annotation
// parser, the graph validation and the runtime.
package suggest

import (
	"sort"
	"strings"
)

// Closest returns the candidates within a small edit distance of name,
// nearest first and alphabetical among equals. The distance allowed grows
// with the length of name (1 for short names, up to a third of the length),
// and a candidate that differs from name only in case always matches. It
// returns nil when nothing is close.
func Closest(name string, candidates []string) []string {
	type scored struct {
		s string
		d int
	}
	limit := max(1, len(name)/3)
	var out []scored
	seen := make(map[string]bool, len(candidates))
	for _, c := range candidates {
		if c == name || seen[c] {
			continue
		}
		seen[c] = true
		d := Distance(strings.ToLower(name), strings.ToLower(c))
		if d <= limit {
			out = append(out, scored{c, d})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].d != out[j].d {
			return out[i].d < out[j].d
		}
		return out[i].s < out[j].s
	})
	names := make([]string, len(out))
	for i, s := range out {
		names[i] = s.s
	}
	if len(names) == 0 {
		return nil
	}
	return names
}

// DidYouMean formats the closest candidate as a hint such as
// `; did you mean "load"?`, or returns "" when nothing is close. It is meant
// to be appended to an error message.
func DidYouMean(name string, candidates []string) string {
	c := Closest(name, candidates)
	if len(c) == 0 {
		return ""
	}
	return "; did you mean \"" + c[0] + "\"?"
}

// Distance is the Damerau–Levenshtein (optimal string alignment) distance
// between a and b, counted in bytes: the number of insertions, deletions,
// substitutions and transpositions of adjacent bytes that turn a into b.
func Distance(a, b string) int {
	if a == b {
		return 0
	}
	if len(a) == 0 {
		return len(b)
	}
	if len(b) == 0 {
		return len(a)
	}
	// Three rolling rows: two back (for transpositions), previous, current.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
