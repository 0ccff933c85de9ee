package runtime

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"lukechampine.com/blake3"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// contextFromDoc returns the context a stored doc holds. Its out-of-line
// values are loaded by load when first read. The doc's data was written by
// this package, compact, so it is not compacted again.
func contextFromDoc(d store.Doc, load func(hashes []string) (map[string][]byte, error)) (*Context, error) {
	c := &Context{values: map[string]json.RawMessage{}, load: load}
	if len(d.Data) > 0 && !bytes.Equal(d.Data, store.EmptyDoc.Data) {
		if err := json.Unmarshal(d.Data, &c.values); err != nil {
			return nil, fmt.Errorf("stored context: %w", err)
		}
	}
	if len(d.Refs) > 0 {
		c.refs = make(map[string]string, len(d.Refs))
		for k, h := range d.Refs {
			c.refs[k] = h
		}
	}
	return c, nil
}

// doc returns the stored form of the context: values up to
// store.InlineLimit inline, larger ones by reference, and the values it
// refers to that are new (not held by reference already).
func (c *Context) doc() (store.Doc, []store.Value) {
	var d store.Doc
	var vals []store.Value
	inline := make(map[string]json.RawMessage, len(c.values))
	for k, v := range c.values {
		if _, ref := c.refs[k]; ref {
			continue // unchanged since it was read: still the stored value
		}
		if len(v) <= store.InlineLimit {
			inline[k] = v
			continue
		}
		h := hashValue(v)
		if d.Refs == nil {
			d.Refs = map[string]string{}
		}
		d.Refs[k] = h
		vals = append(vals, store.Value{Hash: h, Data: v})
	}
	for k, h := range c.refs {
		if d.Refs == nil {
			d.Refs = map[string]string{}
		}
		d.Refs[k] = h
	}
	d.Data = encodeObject(inline)
	sort.Slice(vals, func(i, j int) bool { return vals[i].Hash < vals[j].Hash })
	return d, vals
}

// hashValue is the address of an out-of-line value: its hex BLAKE3-256,
// which is as strong as SHA-256 against collisions and, on a large value,
// about four times faster to compute (it is computed before every new
// large value is written, on the submitting caller's goroutine). Values
// stored by earlier versions of this package are addressed by SHA-256; a
// store treats the address as an opaque key, so both kinds live side by
// side, and a context read back keeps the addresses it was stored with.
func hashValue(v []byte) string {
	sum := blake3.Sum256(v)
	return hex.EncodeToString(sum[:])
}

// encodeObject writes values as a JSON object with sorted keys. The values
// are valid, compact JSON (encoded by Set, or read back from the store), so
// they are copied as they are.
func encodeObject(values map[string]json.RawMessage) []byte {
	if len(values) == 0 {
		return []byte("{}")
	}
	keys := make([]string, 0, len(values))
	size := 2
	for k, v := range values {
		keys = append(keys, k)
		size += len(k) + len(v) + 4
	}
	sort.Strings(keys)
	buf := bytes.NewBuffer(make([]byte, 0, size))
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		q, _ := json.Marshal(k) // a string always encodes
		buf.Write(q)
		buf.WriteByte(':')
		buf.Write(values[k])
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

// detached drops the context's references, whose values it has loaded:
// its doc is then all new values, for another execution to store.
func (c *Context) detached() *Context {
	c.refs, c.load = nil, nil
	return c
}
