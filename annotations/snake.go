package annotations

import (
	"strings"
	"unicode"
)

// SnakeCase converts a Go function name to the default task id:
// ExtractCSV -> extract_csv, HTTPServer -> http_server, loadV2 -> load_v2.
//
// An underscore goes before an upper-case letter that follows a lower-case
// letter or a digit, and before the last upper-case letter of an acronym
// that is followed by a lower-case letter (HTTPServer: before the S). Digits
// stay attached to what precedes them. Existing underscores are kept and
// never doubled.
func SnakeCase(name string) string {
	runes := []rune(name)
	var b strings.Builder
	b.Grow(len(name) + 4)
	for i, r := range runes {
		if unicode.IsUpper(r) && i > 0 {
			prev := runes[i-1]
			nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
			if prev != '_' && (unicode.IsLower(prev) || unicode.IsDigit(prev) || unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
