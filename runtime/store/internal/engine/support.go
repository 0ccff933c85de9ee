package engine

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// What follows is shared by the backends' statements: the stored form of
// a Doc's references, migrations, and the row interface of both database
// libraries.

// PrefixEnd returns the least string greater than every string that starts
// with prefix, in byte order, so that prefix <= id < PrefixEnd(prefix)
// selects the ids that start with prefix from an index. prefix is ASCII
// (see ASCII), and so is the end; "" when there is none (a prefix of DEL
// bytes only), and the range has no upper bound.
func PrefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0x7f {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

// ASCII reports whether s holds only ASCII bytes, as execution ids do.
func ASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// EncodeRefs returns the stored form of a Doc's references: a JSON object,
// or nil (SQL NULL) when there are none.
func EncodeRefs(refs map[string]string) *string {
	if len(refs) == 0 {
		return nil
	}
	b, err := json.Marshal(refs) // keys sorted: the same refs store the same text
	if err != nil {
		panic(fmt.Sprintf("engine: encode references: %v", err)) // a map of strings always encodes
	}
	s := string(b)
	return &s
}

// DecodeRefs reads references stored by EncodeRefs.
func DecodeRefs(s *string) (map[string]string, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	var refs map[string]string
	if err := json.Unmarshal([]byte(*s), &refs); err != nil {
		return nil, fmt.Errorf("stored context references: %w", err)
	}
	if len(refs) == 0 {
		return nil, nil
	}
	return refs, nil
}

// ScanDoc builds a Doc from its stored columns: data NULL means no doc.
func ScanDoc(data *string, refs *string) (*store.Doc, error) {
	if data == nil {
		return nil, nil
	}
	r, err := DecodeRefs(refs)
	if err != nil {
		return nil, err
	}
	return &store.Doc{Data: []byte(*data), Refs: r}, nil
}

// DocText returns the stored form of a doc's data, "{}" for none.
func DocText(d *store.Doc) string {
	if d == nil || d.Data == nil {
		return string(store.EmptyDoc.Data)
	}
	return string(d.Data)
}

// DocRefs returns the stored form of a doc's references.
func DocRefs(d *store.Doc) *string {
	if d == nil {
		return nil
	}
	return EncodeRefs(d.Refs)
}

// Rows is what both database libraries' result sets offer (*sql.Rows and
// pgx.Rows); the caller closes it.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// Migration is one numbered schema migration.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads the files matching pattern (such as
// "migrations/*.up.sql") from fsys, numbered by the digits before the first
// underscore of their names, in version order.
func LoadMigrations(fsys fs.FS, pattern string) ([]Migration, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, n := range names {
		base := path.Base(n)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: file name must start with a number", base)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(base, ".up.sql"), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Pending returns the migrations of ms not in applied (the versions a
// database has recorded), in version order. Migrations are numbered by
// the change that needs them, not applied strictly in sequence: a database
// may have recorded a later version before an earlier one that arrived
// with another change, and the earlier one is applied then. A recorded
// version that ms does not know means the database was migrated by a
// newer version of the library: Pending returns it as unknown, and the
// caller refuses the database.
func Pending(ms []Migration, applied []int) (pending []Migration, unknown []int) {
	have := make(map[int]bool, len(applied))
	for _, v := range applied {
		have[v] = true
	}
	known := make(map[int]bool, len(ms))
	for _, m := range ms {
		known[m.Version] = true
		if !have[m.Version] {
			pending = append(pending, m)
		}
	}
	for _, v := range applied {
		if !known[v] {
			unknown = append(unknown, v)
		}
	}
	sort.Ints(unknown)
	return pending, unknown
}

// LatestVersion returns the highest version of ms, or 0.
func LatestVersion(ms []Migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}
