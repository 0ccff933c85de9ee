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
type Context struct {
	values map[string]json.RawMessage
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
	_, exists := c.values[key]
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
	raw, ok := c.values[key]
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
// be modified.
func (c *Context) Raw(key string) (json.RawMessage, bool) {
	raw, ok := c.values[key]
	return raw, ok
}

// Has reports whether key is present.
func (c *Context) Has(key string) bool {
	_, ok := c.values[key]
	return ok
}

// Remove deletes key and reports whether it was present.
func (c *Context) Remove(key string) bool {
	_, ok := c.values[key]
	if ok {
		delete(c.values, key)
		c.changed = true
	}
	return ok
}

// Keys returns the keys in sorted order.
func (c *Context) Keys() []string {
	keys := make([]string, 0, len(c.values))
	for k := range c.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Len returns the number of keys.
func (c *Context) Len() int { return len(c.values) }

// Clone returns an independent copy.
func (c *Context) Clone() *Context {
	out := &Context{values: make(map[string]json.RawMessage, len(c.values))}
	for k, v := range c.values {
		out.values[k] = v // encoded values are never modified in place
	}
	return out
}

// MarshalJSON encodes the context as a JSON object with sorted keys.
func (c *Context) MarshalJSON() ([]byte, error) {
	if c == nil || len(c.values) == 0 {
		return []byte("{}"), nil
	}
	return json.Marshal(c.values)
}

// UnmarshalJSON replaces the context's contents with the members of a JSON
// object. null gives an empty context; any other non-object is an error.
func (c *Context) UnmarshalJSON(data []byte) error {
	trimmed := bytes.TrimSpace(data)
	if bytes.Equal(trimmed, []byte("null")) {
		c.values = map[string]json.RawMessage{}
		c.changed = false
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
	c.values = values
	c.changed = false
	return nil
}

// String returns the context as JSON, for logs and debugging.
func (c *Context) String() string {
	b, _ := c.MarshalJSON()
	return string(b)
}

// Merge folds other into c with the deep merge of the execution model: for a
// key present in both, objects are merged recursively, arrays are
// concatenated keeping c's elements and appending other's elements that are
// not already present, and any other value from other replaces c's.
func (c *Context) Merge(other *Context) {
	if other == nil || len(other.values) == 0 {
		return
	}
	if c.values == nil {
		c.values = make(map[string]json.RawMessage, len(other.values))
	}
	c.changed = true
	for k, ov := range other.values {
		cv, ok := c.values[k]
		if !ok {
			c.values[k] = ov
			continue
		}
		c.values[k] = mergeRaw(cv, ov)
	}
}

// MergeContexts returns a new context holding the merge of cs from left to
// right (later wins, see Context.Merge). Nil contexts are skipped.
func MergeContexts(cs ...*Context) *Context {
	out := NewContext()
	for _, c := range cs {
		out.Merge(c)
	}
	return out
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
