package runtime

// Key is a context key with the Go type of its value: a typed alternative
// to passing a string and a type at every call.
//
// Declare keys as constants, once, next to the tasks that share them:
//
//	const Totals runtime.Key[map[string]int] = "totals"
//
//	err := Totals.Insert(c, map[string]int{"acme": 3})  // in one task
//	totals, err := Totals.Get(c)                         // in a task downstream
//
// A Key is its name: Totals.Get(c) is runtime.Get[map[string]int](c,
// "totals"), and the value is stored as JSON like any other. Because the
// name is a constant, cloacina-gen and cloacina-vet see through it: the
// key's reads and writes are checked against the workflow's graph and the
// types of its writers like the string-keyed calls, across packages too.
// A Key converted from a string that is not a constant
// (runtime.Key[int](name)) is not checked.
type Key[T any] string

// Name returns the key's name in the context.
func (k Key[T]) Name() string { return string(k) }

// String returns the key's name.
func (k Key[T]) String() string { return string(k) }

// Get returns the key's value decoded as a T. It fails with ErrKeyNotFound
// if the key is absent (see Context.Get).
func (k Key[T]) Get(c *Context) (T, error) { return Get[T](c, string(k)) }

// Insert stores v under the key, which must be absent (see Context.Insert).
func (k Key[T]) Insert(c *Context, v T) error { return c.Insert(string(k), v) }

// Update replaces the key's value, which must be present (see
// Context.Update).
func (k Key[T]) Update(c *Context, v T) error { return c.Update(string(k), v) }

// Set stores v under the key, replacing any previous value.
func (k Key[T]) Set(c *Context, v T) error { return c.Set(string(k), v) }

// Has reports whether the key is present.
func (k Key[T]) Has(c *Context) bool { return c.Has(string(k)) }

// Remove deletes the key and reports whether it was present.
func (k Key[T]) Remove(c *Context) bool { return c.Remove(string(k)) }
