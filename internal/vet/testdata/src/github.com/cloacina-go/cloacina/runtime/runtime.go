// Package runtime is a stand-in for the real runtime package with the API
// the analyzer recognises, so that the analyzer's tests need not load the
// real one's database drivers from source.
package runtime

import "encoding/json"

// Context is the data that flows between tasks.
type Context struct{ m map[string]json.RawMessage }

func (c *Context) Get(key string, out any) error          { return nil }
func (c *Context) Insert(key string, value any) error     { return nil }
func (c *Context) Update(key string, value any) error     { return nil }
func (c *Context) Set(key string, value any) error        { return nil }
func (c *Context) Has(key string) bool                    { return false }
func (c *Context) Remove(key string) bool                 { return false }
func (c *Context) Raw(key string) (json.RawMessage, bool) { return nil, false }

// Get returns the value of key decoded as a T.
func Get[T any](c *Context, key string) (T, error) {
	var out T
	return out, c.Get(key, &out)
}

// Key is a typed context key.
type Key[T any] string

func (k Key[T]) Get(c *Context) (T, error)    { return Get[T](c, string(k)) }
func (k Key[T]) Insert(c *Context, v T) error { return c.Insert(string(k), v) }
func (k Key[T]) Update(c *Context, v T) error { return c.Update(string(k), v) }
func (k Key[T]) Set(c *Context, v T) error    { return c.Set(string(k), v) }
func (k Key[T]) Has(c *Context) bool          { return c.Has(string(k)) }
func (k Key[T]) Remove(c *Context) bool       { return c.Remove(string(k)) }

// AttemptInfo describes a finished attempt.
type AttemptInfo struct{}
