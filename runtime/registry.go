package runtime

import (
	"fmt"
	"sort"
	"sync"

	"github.com/cloacina-go/cloacina/internal/suggest"
)

// Registry maps workflow names to workflows. Generated code registers into
// the process-wide default registry (see Register); tests and multi-tenant
// programs can keep their own with NewRegistry. A Registry is safe for
// concurrent use.
type Registry struct {
	mu        sync.RWMutex
	workflows map[string]*Workflow
	names     []string // sorted; replaced, never changed in place, on Register
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{workflows: map[string]*Workflow{}}
}

var defaultRegistry = NewRegistry()

// DefaultRegistry returns the process-wide registry that generated code
// registers into and that a Runner uses unless its Config names another.
func DefaultRegistry() *Registry { return defaultRegistry }

// Register adds w. Registering a workflow whose name is taken fails with
// ErrWorkflowExists, unless the registered one has the same version, in
// which case Register does nothing.
func (r *Registry) Register(w *Workflow) error {
	if w == nil {
		return fmt.Errorf("register: nil workflow")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.workflows[w.name]; ok {
		if old.version == w.version {
			return nil
		}
		return fmt.Errorf("%w: %q has version %s, cannot register version %s", ErrWorkflowExists, w.name, old.version, w.version)
	}
	r.workflows[w.name] = w
	names := append(append([]string(nil), r.names...), w.name)
	sort.Strings(names)
	r.names = names
	return nil
}

// MustRegister is Register that panics on error, for init functions.
func (r *Registry) MustRegister(w *Workflow) {
	if err := r.Register(w); err != nil {
		panic(err)
	}
}

// Lookup returns the workflow with the given name, or an error wrapping
// ErrWorkflowNotFound that suggests close names.
func (r *Registry) Lookup(name string) (*Workflow, error) {
	r.mu.RLock()
	w, ok := r.workflows[name]
	r.mu.RUnlock()
	if ok {
		return w, nil
	}
	return nil, fmt.Errorf("%w: %q%s", ErrWorkflowNotFound, name, suggest.DidYouMean(name, r.Names()))
}

// Names returns the registered names in sorted order.
func (r *Registry) Names() []string {
	return append([]string(nil), r.sortedNames()...)
}

// sortedNames returns the registered names without copying them, for the
// runner's claims; the slice must not be modified.
func (r *Registry) sortedNames() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.names == nil {
		return []string{} // no workflow: claim nothing (nil would mean any)
	}
	return r.names
}

// Workflows returns the registered workflows sorted by name.
func (r *Registry) Workflows() []*Workflow {
	names := r.Names()
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*Workflow, 0, len(names))
	for _, n := range names {
		if w, ok := r.workflows[n]; ok {
			out = append(out, w)
		}
	}
	return out
}

// Register adds w to the default registry (see Registry.Register).
func Register(w *Workflow) error { return defaultRegistry.Register(w) }

// MustRegister adds w to the default registry and panics on error; generated
// init functions use it.
func MustRegister(w *Workflow) { defaultRegistry.MustRegister(w) }

// Lookup returns the workflow with the given name from the default registry.
func Lookup(name string) (*Workflow, error) { return defaultRegistry.Lookup(name) }
