package runtime

import (
	"errors"
	"reflect"
	"testing"
)

const testTotals Key[map[string]int] = "totals"

func TestKeyRoundTrip(t *testing.T) {
	c := NewContext()
	if testTotals.Has(c) {
		t.Fatal("Has on an empty context = true")
	}
	if _, err := testTotals.Get(c); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("Get of an absent key = %v, want ErrKeyNotFound", err)
	}
	if err := testTotals.Update(c, nil); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("Update of an absent key = %v, want ErrKeyNotFound", err)
	}
	if err := testTotals.Insert(c, map[string]int{"acme": 3}); err != nil {
		t.Fatal(err)
	}
	if err := testTotals.Insert(c, map[string]int{}); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("second Insert = %v, want ErrKeyExists", err)
	}
	got, err := testTotals.Get(c)
	if err != nil || !reflect.DeepEqual(got, map[string]int{"acme": 3}) {
		t.Fatalf("Get = %v, %v", got, err)
	}
	// The key is its name: string-keyed calls see the same value.
	if n, err := Get[map[string]int](c, "totals"); err != nil || n["acme"] != 3 {
		t.Fatalf("Get[map[string]int](c, %q) = %v, %v", "totals", n, err)
	}
	if err := testTotals.Update(c, map[string]int{"acme": 4}); err != nil {
		t.Fatal(err)
	}
	if err := testTotals.Set(c, map[string]int{"globex": 1}); err != nil {
		t.Fatal(err)
	}
	if got, _ := testTotals.Get(c); !reflect.DeepEqual(got, map[string]int{"globex": 1}) {
		t.Fatalf("after Set, Get = %v", got)
	}
	if !testTotals.Remove(c) || testTotals.Has(c) || testTotals.Remove(c) {
		t.Fatal("Remove did not delete the key exactly once")
	}
	if testTotals.Name() != "totals" || testTotals.String() != "totals" {
		t.Fatalf("Name, String = %q, %q", testTotals.Name(), testTotals.String())
	}
}

func TestKeyDecodeError(t *testing.T) {
	c := NewContext()
	if err := c.Set("totals", []int{1}); err != nil {
		t.Fatal(err)
	}
	_, err := testTotals.Get(c)
	var ce *ContextError
	if !errors.As(err, &ce) || ce.Key != "totals" || ce.Op != "get" {
		t.Fatalf("Get of a value of another shape = %v, want a *ContextError for get totals", err)
	}
}
