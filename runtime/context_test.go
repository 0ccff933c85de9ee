package runtime

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestContextInsertUpdateSet(t *testing.T) {
	c := NewContext()
	if err := c.Insert("rows", []int{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	err := c.Insert("rows", []int{4})
	var ce *ContextError
	if !errors.Is(err, ErrKeyExists) || !errors.As(err, &ce) || ce.Key != "rows" || ce.Op != "insert" {
		t.Fatalf("second Insert = %v, want *ContextError{insert rows ErrKeyExists}", err)
	}
	if got := err.Error(); got != `context insert "rows": key already exists` {
		t.Fatalf("message = %q", got)
	}
	if rows, _ := Get[[]int](c, "rows"); !reflect.DeepEqual(rows, []int{1, 2, 3}) {
		t.Fatalf("failed Insert changed the value: %v", rows)
	}
	if err := c.Update("missing", 1); !errors.Is(err, ErrKeyNotFound) || !strings.Contains(err.Error(), `"missing"`) {
		t.Fatalf("Update of absent key = %v", err)
	}
	if c.Has("missing") {
		t.Fatal("failed Update created the key")
	}
	if err := c.Update("rows", []int{9}); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("mode", "full"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("mode", "delta"); err != nil {
		t.Fatal(err)
	}
	mode, err := Get[string](c, "mode")
	if err != nil || mode != "delta" {
		t.Fatalf("mode = %q, %v", mode, err)
	}
	if got := c.Keys(); !reflect.DeepEqual(got, []string{"mode", "rows"}) {
		t.Fatalf("Keys = %v", got)
	}
	if !c.Remove("mode") || c.Remove("mode") || c.Has("mode") || c.Len() != 1 {
		t.Fatal("Remove did not behave")
	}
}

func TestContextRejectsUnencodableValues(t *testing.T) {
	cases := map[string]any{
		"chan":   make(chan int),
		"func":   func() {},
		"nan":    math.NaN(),
		"inf":    math.Inf(1),
		"nested": map[string]any{"ok": 1, "bad": func() {}},
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			c := NewContext()
			_ = c.Set("keep", "me")
			for _, op := range []func(string, any) error{c.Insert, c.Set} {
				err := op("bad", v)
				var ce *ContextError
				if !errors.As(err, &ce) || ce.Key != "bad" {
					t.Fatalf("got %v, want *ContextError naming key bad", err)
				}
				if !strings.Contains(err.Error(), "cannot be encoded as JSON") {
					t.Fatalf("message %q does not say why", err)
				}
			}
			if c.Has("bad") || c.Len() != 1 {
				t.Fatal("unencodable value was stored")
			}
		})
	}
	c := NewContext()
	if err := c.Set("", 1); err == nil {
		t.Fatal("empty key accepted")
	}
	if err := c.Set("raw", json.RawMessage(`{"a": [1, 2]}`)); err != nil {
		t.Fatal(err)
	}
	if raw, _ := c.Raw("raw"); string(raw) != `{"a":[1,2]}` {
		t.Fatalf("raw JSON not compacted: %s", raw)
	}
	if err := c.Set("raw", json.RawMessage(`{bad`)); err == nil {
		t.Fatal("invalid raw JSON accepted")
	}
}

func TestContextGet(t *testing.T) {
	c := NewContext()
	type row struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}
	_ = c.Insert("row", row{1, "a"})
	var r row
	if err := c.Get("row", &r); err != nil || r != (row{1, "a"}) {
		t.Fatalf("Get = %+v, %v", r, err)
	}
	if _, err := Get[row](c, "nope"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("Get missing = %v", err)
	}
	if _, err := Get[int](c, "row"); err == nil {
		t.Fatal("decoding an object into int succeeded")
	} else {
		var ce *ContextError
		if !errors.As(err, &ce) || ce.Op != "get" || ce.Key != "row" {
			t.Fatalf("decode error = %v", err)
		}
	}
	// Values are copies: changing what Get returned does not change the context.
	_ = c.Set("list", []int{1})
	l, _ := Get[[]int](c, "list")
	l[0] = 99
	if l2, _ := Get[[]int](c, "list"); l2[0] != 1 {
		t.Fatal("Get returned shared storage")
	}
}

func TestContextZeroValueAndJSON(t *testing.T) {
	var c Context
	if c.Has("x") || c.Len() != 0 || len(c.Keys()) != 0 {
		t.Fatal("zero value not empty")
	}
	if err := c.Set("x", 1); err != nil {
		t.Fatal(err)
	}
	_ = c.Set("a", map[string]any{"b": true})
	b, err := json.Marshal(&c)
	if err != nil || string(b) != `{"a":{"b":true},"x":1}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back Context
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.String() != c.String() {
		t.Fatalf("round trip: %s != %s", back.String(), c.String())
	}
	if err := json.Unmarshal([]byte(`[1]`), &back); err == nil {
		t.Fatal("array accepted as context")
	}
	if err := json.Unmarshal([]byte(`null`), &back); err != nil || back.Len() != 0 {
		t.Fatalf("null: %v, len %d", err, back.Len())
	}
	if s := NewContext().String(); s != "{}" {
		t.Fatalf("empty = %s", s)
	}
}

func TestContextClone(t *testing.T) {
	c := NewContext()
	_ = c.Set("a", 1)
	d := c.Clone()
	_ = d.Set("a", 2)
	_ = d.Set("b", 3)
	if v, _ := Get[int](c, "a"); v != 1 || c.Has("b") {
		t.Fatal("Clone shares state")
	}
}

func mustContext(t *testing.T, js string) *Context {
	t.Helper()
	c := NewContext()
	if err := json.Unmarshal([]byte(js), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMerge(t *testing.T) {
	cases := []struct {
		name string
		in   []string
		want string
	}{
		{"arrays concatenate without duplicates", []string{`{"k":[1,2]}`, `{"k":[2,3]}`}, `{"k":[1,2,3]}`},
		{"array keeps first order", []string{`{"k":[3,1]}`, `{"k":[1,2,3,4]}`}, `{"k":[3,1,2,4]}`},
		{"array of objects dedup by value", []string{`{"k":[{"a":1,"b":2}]}`, `{"k":[{"b":2,"a":1},{"a":2}]}`}, `{"k":[{"a":1,"b":2},{"a":2}]}`},
		{"nested objects merge recursively", []string{
			`{"cfg":{"db":{"host":"a","port":1},"x":[1]}}`,
			`{"cfg":{"db":{"port":2,"user":"u"},"x":[2]}}`,
		}, `{"cfg":{"db":{"host":"a","port":2,"user":"u"},"x":[1,2]}}`},
		{"scalars later wins", []string{`{"a":1,"b":"x"}`, `{"a":2}`, `{"b":"y"}`}, `{"a":2,"b":"y"}`},
		{"type change later wins", []string{`{"a":{"x":1}}`, `{"a":[1]}`}, `{"a":[1]}`},
		{"object replaced by scalar", []string{`{"a":{"x":1}}`, `{"a":null}`}, `{"a":null}`},
		{"disjoint keys union", []string{`{"a":1}`, `{"b":2}`}, `{"a":1,"b":2}`},
		{"big numbers keep their text", []string{`{"n":{"a":12345678901234567890}}`, `{"n":{"b":1.50}}`}, `{"n":{"a":12345678901234567890,"b":1.50}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cs []*Context
			for _, js := range c.in {
				cs = append(cs, mustContext(t, js))
			}
			before := cs[0].String()
			got, err := MergeContexts(cs...)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != c.want {
				t.Fatalf("merge = %s, want %s", got, c.want)
			}
			if cs[0].String() != before {
				t.Fatalf("MergeContexts changed its input: %s", cs[0])
			}
		})
	}
	var zero Context
	if err := zero.Merge(mustContext(t, `{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := zero.Merge(nil); err != nil {
		t.Fatal(err)
	}
	if zero.String() != `{"a":1}` {
		t.Fatalf("merge into zero value = %s", zero.String())
	}
}
