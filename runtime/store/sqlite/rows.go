package sqlite

import (
	"database/sql"
	"fmt"
	"strings"
	"sync"
)

// Sets of rows reach a statement as a VALUES list of placeholders: in a
// query, {rows} stands for n tuples of the set's width. Bound parameters
// cost less than encoding the rows as JSON for json_each and extracting
// every field again. Large sets go in chunks that stay under SQLite's limit
// of parameters, so one statement text serves every full chunk.
//
// The placeholders of the rows are anonymous (?), which SQLite numbers
// after the largest number seen so far in the text: a query's fixed
// parameters (?1 .. ?f) must all appear before {rows}. Numbered ones would
// be simpler to write, but the driver looks up every parameter's name, a
// search through all named parameters, which made a chunk of 10,000
// numbered parameters cost more than the rest of the transaction.

// rowSet is a set of rows, flattened.
type rowSet struct {
	width int
	args  []any
}

func newRows(width, capacity int) *rowSet {
	return &rowSet{width: width, args: make([]any, 0, width*capacity)}
}

// add appends one row; it must have the set's width.
func (rs *rowSet) add(vals ...any) {
	if len(vals) != rs.width {
		panic(fmt.Sprintf("sqlite: row of %d values in a set of width %d", len(vals), rs.width))
	}
	rs.args = append(rs.args, vals...)
}

func (rs *rowSet) len() int { return len(rs.args) / rs.width }

// maxParams is SQLite's limit of parameters in one statement (the
// library's SQLITE_MAX_VARIABLE_NUMBER), and maxChunk the most rows one
// statement carries.
const (
	maxParams = 32766
	maxChunk  = 500
)

// chunks calls fn with the query text and arguments of each chunk of rs.
func (rs *rowSet) chunks(query string, fixed []any, fn func(q string, args []any) error) error {
	per := min(maxChunk, (maxParams-len(fixed))/rs.width)
	for lo := 0; lo < rs.len(); lo += per {
		n := min(per, rs.len()-lo)
		args := make([]any, 0, len(fixed)+n*rs.width)
		args = append(args, fixed...)
		args = append(args, rs.args[lo*rs.width:(lo+n)*rs.width]...)
		if err := fn(expand(query, len(fixed), n, rs.width), args); err != nil {
			return err
		}
	}
	return nil
}

// expanded caches the texts expand builds, by query and shape.
var expanded sync.Map // expandKey -> string

type expandKey struct {
	query           string
	fixed, n, width int
}

// expand replaces {rows} in query with n tuples of width anonymous
// placeholders; SQLite numbers them from fixed+1 (see above).
func expand(query string, fixed, n, width int) string {
	k := expandKey{query, fixed, n, width}
	if q, ok := expanded.Load(k); ok {
		return q.(string)
	}
	tuple := "(" + strings.Repeat("?,", width-1) + "?)"
	var b strings.Builder
	b.Grow(n * (len(tuple) + 1))
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tuple)
	}
	q := strings.Replace(query, "{rows}", b.String(), 1)
	expanded.Store(k, q)
	return q
}

// eachRows runs query once per chunk of rs and calls scan for every row
// returned.
func (t *tx) eachRows(scan func(r *sql.Rows) error, query string, fixed []any, rs *rowSet) error {
	return rs.chunks(query, fixed, func(q string, args []any) error { return t.each(scan, q, args...) })
}

// execRows runs query once per chunk of rs and returns the rows affected.
func (t *tx) execRows(query string, fixed []any, rs *rowSet) (int64, error) {
	var total int64
	err := rs.chunks(query, fixed, func(q string, args []any) error {
		r, err := t.exec(q, args...)
		if err != nil {
			return err
		}
		n, err := r.RowsAffected()
		total += n
		return err
	})
	return total, err
}
