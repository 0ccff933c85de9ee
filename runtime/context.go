package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// Context is the data that flows between the tasks of an execution: a set of
// string keys with JSON values.
//
// Values are encoded when they are stored, so a value that cannot be
// represented in JSON (a channel, a func, NaN) is refused by Insert or Set
// with a *ContextError naming the key, and reading a value gives back a fresh
// copy. A Context is meant for one task at a time: it is not safe for
// concurrent use without synchronisation. The zero value is an empty context
// ready to use.
//
// A context read from the store (a task's input, a result's context) holds
// its large values by reference: a value whose JSON is larger than
// store.InlineLimit is stored once per execution and loaded the first time
// it is read. Keys, Has and Len never load; Get, Raw, Merge and MarshalJSON
// load what they need. A value a task does not change is passed on by
// reference, never copied or encoded again.
type Context struct {
	values map[string]json.RawMessage
	// refs holds the keys whose stored value is out of line, with its
	// hash. values holds such a key too once it has been loaded; a write
	// to the key removes it from refs.
	refs map[string]string
	// load fetches out-of-line values by hash; nil for a context that was
	// not read from a store.
	load func(hashes []string) (map[string][]byte, error)
	// changed records a successful write since the context was created or
	// decoded, so the runner can skip storing an output equal to the input.
	changed bool
}

// NewContext returns an empty context.
func NewContext() *Context {
	return &Context{values: map[string]json.RawMessage{}}
}

// ContextFrom returns a context holding every entry of m, or a *ContextError
// for the first key (in sorted order) whose value cannot be encoded.
func ContextFrom(m map[string]any) (*Context, error) {
	c := NewContext()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := c.Set(k, m[k]); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// encodeValue turns v into compact JSON. A json.RawMessage is checked and
// compacted rather than re-encoded.
func encodeValue(v any) (json.RawMessage, error) {
	if raw, ok := v.(json.RawMessage); ok {
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		return buf.Bytes(), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("value of type %T cannot be encoded as JSON: %w", v, err)
	}
	return b, nil
}

func (c *Context) put(op, key string, value any, mustExist, mustBeAbsent bool) error {
	if key == "" {
		return &ContextError{Op: op, Key: key, Err: errors.New("empty key")}
	}
	exists := c.Has(key)
	if mustBeAbsent && exists {
		return &ContextError{Op: op, Key: key, Err: ErrKeyExists}
	}
	if mustExist && !exists {
		return &ContextError{Op: op, Key: key, Err: ErrKeyNotFound}
	}
	raw, err := encodeValue(value)
	if err != nil {
		return &ContextError{Op: op, Key: key, Err: err}
	}
	if c.values == nil {
		c.values = map[string]json.RawMessage{}
	}
	c.values[key] = raw
	delete(c.refs, key)
	c.changed = true
	return nil
}

// Insert stores value under a new key. It fails with ErrKeyExists if the key
// is present, and with the encoding error if value cannot be encoded as JSON;
// either way the context is unchanged.
func (c *Context) Insert(key string, value any) error {
	return c.put("insert", key, value, false, true)
}

// Update replaces the value of an existing key. It fails with
// ErrKeyNotFound if the key is absent.
func (c *Context) Update(key string, value any) error {
	return c.put("update", key, value, true, false)
}

// Set stores value under key, replacing any previous value.
func (c *Context) Set(key string, value any) error {
	return c.put("set", key, value, false, false)
}

// Get decodes the value of key into out, which must be a non-nil pointer, as
// json.Unmarshal does. It fails with ErrKeyNotFound if the key is absent.
func (c *Context) Get(key string, out any) error {
	raw, ok, err := c.raw(key)
	if err != nil {
		return &ContextError{Op: "get", Key: key, Err: err}
	}
	if !ok {
		return &ContextError{Op: "get", Key: key, Err: ErrKeyNotFound}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &ContextError{Op: "get", Key: key, Err: err}
	}
	return nil
}

// Get returns the value of key decoded as a T.
//
//	rows, err := runtime.Get[[]int](c, "rows")
func Get[T any](c *Context, key string) (T, error) {
	var out T
	err := c.Get(key, &out)
	return out, err
}

// Raw returns the JSON encoding of key's value. The returned bytes must not
// be modified. For a value stored out of line that cannot be loaded, Raw
// reports false; Get returns the error.
func (c *Context) Raw(key string) (json.RawMessage, bool) {
	raw, ok, err := c.raw(key)
	return raw, ok && err == nil
}

// raw returns key's value, loading it if it is stored out of line.
func (c *Context) raw(key string) (json.RawMessage, bool, error) {
	if raw, ok := c.values[key]; ok {
		return raw, true, nil
	}
	if _, ok := c.refs[key]; !ok {
		return nil, false, nil
	}
	if err := c.loadRefs([]string{key}); err != nil {
		return nil, false, err
	}
	return c.values[key], true, nil
}

// loadRefs loads the out-of-line values of keys not loaded yet.
func (c *Context) loadRefs(keys []string) error {
	var hashes []string
	for _, k := range keys {
		if h, ok := c.refs[k]; ok {
			if _, loaded := c.values[k]; !loaded {
				hashes = append(hashes, h)
			}
		}
	}
	if len(hashes) == 0 {
		return nil
	}
	if c.load == nil {
		return errors.New("the value is stored out of line and this context cannot load it")
	}
	got, err := c.load(hashes)
	if err != nil {
		return fmt.Errorf("load stored value: %w", err)
	}
	if c.values == nil {
		c.values = map[string]json.RawMessage{}
	}
	for _, k := range keys {
		h, ok := c.refs[k]
		if !ok {
			continue
		}
		if _, loaded := c.values[k]; loaded {
			continue
		}
		data, ok := got[h]
		if !ok {
			return fmt.Errorf("stored value %s of key %q is missing", h, k)
		}
		c.values[k] = data
	}
	return nil
}

// Has reports whether key is present.
func (c *Context) Has(key string) bool {
	if _, ok := c.values[key]; ok {
		return true
	}
	_, ok := c.refs[key]
	return ok
}

// Remove deletes key and reports whether it was present.
func (c *Context) Remove(key string) bool {
	ok := c.Has(key)
	if ok {
		delete(c.values, key)
		delete(c.refs, key)
		c.changed = true
	}
	return ok
}

// Keys returns the keys in sorted order.
func (c *Context) Keys() []string {
	keys := make([]string, 0, len(c.values)+len(c.refs))
	for k := range c.values {
		keys = append(keys, k)
	}
	for k := range c.refs {
		if _, loaded := c.values[k]; !loaded {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// Len returns the number of keys.
func (c *Context) Len() int {
	n := len(c.values)
	for k := range c.refs {
		if _, loaded := c.values[k]; !loaded {
			n++
		}
	}
	return n
}

// Clone returns an independent copy.
func (c *Context) Clone() *Context {
	out := &Context{values: make(map[string]json.RawMessage, len(c.values)), load: c.load}
	for k, v := range c.values {
		out.values[k] = v // encoded values are never modified in place
	}
	if len(c.refs) > 0 {
		out.refs = make(map[string]string, len(c.refs))
		for k, h := range c.refs {
			out.refs[k] = h
		}
	}
	return out
}

// MarshalJSON encodes the context as a JSON object with sorted keys,
// loading the values stored out of line.
func (c *Context) MarshalJSON() ([]byte, error) {
	if c == nil || c.Len() == 0 {
		return []byte("{}"), nil
	}
	if err := c.loadRefs(c.Keys()); err != nil {
		return nil, fmt.Errorf("context: %w", err)
	}
	return encodeObject(c.values), nil
}

// UnmarshalJSON replaces the context's contents with the members of a JSON
// object. null gives an empty context; any other non-object is an error.
func (c *Context) UnmarshalJSON(data []byte) error {
	trimmed := bytes.TrimSpace(data)
	if bytes.Equal(trimmed, []byte("null")) {
		c.values, c.refs, c.changed = map[string]json.RawMessage{}, nil, false
		return nil
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return fmt.Errorf("context: JSON value is not an object")
	}
	values := map[string]json.RawMessage{}
	if err := json.Unmarshal(trimmed, &values); err != nil {
		return fmt.Errorf("context: %w", err)
	}
	for k, v := range values {
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			return fmt.Errorf("context: key %q: %w", k, err)
		}
		values[k] = buf.Bytes()
	}
	c.values, c.refs, c.changed = values, nil, false
	return nil
}

// String returns the context as JSON, for logs and debugging.
func (c *Context) String() string {
	b, err := c.MarshalJSON()
	if err != nil {
		return fmt.Sprintf("<context: %v>", err)
	}
	return string(b)
}

// Merge folds other into c with the deep merge of the execution model: for a
// key present in both, objects are merged recursively, arrays are
// concatenated keeping c's elements and appending other's elements that are
// not already present, and any other value from other replaces c's. A value
// stored out of line is loaded only when both sides hold the key with
// different values; the error is that of a load that failed.
func (c *Context) Merge(other *Context) error {
	if other == nil || other.Len() == 0 {
		return nil
	}
	if c.values == nil {
		c.values = make(map[string]json.RawMessage, other.Len())
	}
	if c.load == nil {
		c.load = other.load
	}
	c.changed = true
	for _, k := range other.Keys() {
		oh, oref := other.refs[k]
		if !c.Has(k) {
			if oref {
				if c.refs == nil {
					c.refs = map[string]string{}
				}
				c.refs[k] = oh
				if ov, loaded := other.values[k]; loaded {
					c.values[k] = ov
				}
			} else {
				c.values[k] = other.values[k]
			}
			continue
		}
		if ch, cref := c.refs[k]; cref && oref && ch == oh {
			continue // the same stored value
		}
		cv, _, err := c.raw(k)
		if err != nil {
			return fmt.Errorf("merge key %q: %w", k, err)
		}
		ov, _, err := other.raw(k)
		if err != nil {
			return fmt.Errorf("merge key %q: %w", k, err)
		}
		merged := mergeRaw(cv, ov)
		c.values[k] = merged
		if bytes.Equal(merged, ov) && oref {
			if c.refs == nil {
				c.refs = map[string]string{}
			}
			c.refs[k] = oh // other's value replaced c's: keep its reference
		} else {
			delete(c.refs, k)
		}
	}
	return nil
}

// MergeContexts returns a new context holding the merge of cs from left to
// right (later wins, see Context.Merge). Nil contexts are skipped.
func MergeContexts(cs ...*Context) (*Context, error) {
	out := NewContext()
	for _, c := range cs {
		if err := out.Merge(c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// mergeRaw merges two encoded values. Both are valid JSON, so decoding
// cannot fail; only objects and arrays need decoding at all.
func mergeRaw(a, b json.RawMessage) json.RawMessage {
	ka, kb := jsonKind(a), jsonKind(b)
	if ka != kb || (ka != '{' && ka != '[') {
		return b
	}
	merged := mergeValues(decodeJSON(a), decodeJSON(b))
	out, err := json.Marshal(merged)
	if err != nil { // unreachable: merged holds only decoded JSON
		return b
	}
	return out
}

// jsonKind returns the first byte of an encoded value: '{', '[', '"', 't',
// 'f', 'n' or a digit or '-'.
func jsonKind(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// decodeJSON decodes a value keeping numbers as json.Number, so merging never
// changes how a number is written.
func decodeJSON(raw []byte) any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil && err != io.EOF {
		return nil
	}
	return v
}

// mergeValues is the deep merge on decoded values.
func mergeValues(a, b any) any {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return b
		}
		for k, v := range bv {
			if old, ok := av[k]; ok {
				av[k] = mergeValues(old, v)
			} else {
				av[k] = v
			}
		}
		return av
	case []any:
		bv, ok := b.([]any)
		if !ok {
			return b
		}
		seen := make(map[string]bool, len(av)+len(bv))
		for _, v := range av {
			seen[canonicalJSON(v)] = true
		}
		out := av
		for _, v := range bv {
			key := canonicalJSON(v)
			if !seen[key] {
				seen[key] = true
				out = append(out, v)
			}
		}
		return out
	}
	return b
}

// canonicalJSON encodes a decoded value with sorted object keys, so equal
// values give equal strings.
func canonicalJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
