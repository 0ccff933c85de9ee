package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// timeLayout is how tables print times: UTC, to the second.
const timeLayout = "2006-01-02 15:04:05Z"

// eventTimeLayout is how event lines print times: UTC, to the millisecond.
const eventTimeLayout = "2006-01-02 15:04:05.000Z"

// fmtTime prints t in UTC, or "-" for the zero time.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(timeLayout)
}

// fmtDuration prints d rounded to the millisecond, or "-" when unknown.
func fmtDuration(d time.Duration, known bool) string {
	if !known {
		return "-"
	}
	return d.Round(time.Millisecond).String()
}

// span is the duration between start and end, known when both are set.
func span(start, end time.Time) (time.Duration, bool) {
	if start.IsZero() || end.IsZero() {
		return 0, false
	}
	return end.Sub(start), true
}

// cell prints an empty value as "-" and keeps a table on one line per row.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "\t", " ")
}

// table writes rows aligned in columns.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	if len(header) > 0 {
		t.row(header...)
	}
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = cell(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeJSONLine prints v as one line of JSON (for streams).
func writeJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// durationMS is a duration in JSON as milliseconds.
func durationMS(d time.Duration, known bool) *float64 {
	if !known {
		return nil
	}
	ms := float64(d.Microseconds()) / 1000
	return &ms
}
