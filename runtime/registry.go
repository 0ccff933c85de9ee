package runtime

import (
	"fmt"
	goruntime "runtime"
	"sort"
	"strings"
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
	sources   map[string]string   // workflow name -> import path of the package that registered it
	names     []string            // sorted; replaced, never changed in place, on Register
	byTenant  map[string][]string // tenant -> sorted names it may run; dropped on Register
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{workflows: map[string]*Workflow{}, sources: map[string]string{}}
}

var defaultRegistry = NewRegistry()

// DefaultRegistry returns the process-wide registry that generated code
// registers into and that a Runner uses unless its Config names another.
func DefaultRegistry() *Registry { return defaultRegistry }

// Register adds w. Registering a workflow whose name is taken fails with
// ErrWorkflowExists, naming the packages that registered both, unless the
// registered one has the same version, in which case Register does
// nothing.
func (r *Registry) Register(w *Workflow) error { return r.register(w, callerPackage(2)) }

func (r *Registry) register(w *Workflow, from string) error {
	if w == nil {
		return fmt.Errorf("register: nil workflow")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.workflows[w.name]; ok {
		if old.version == w.version {
			return nil
		}
		return fmt.Errorf("%w: workflow %q version %s was registered by package %s; package %s cannot register version %s under the same name (rename one of them)",
			ErrWorkflowExists, w.name, old.version, r.sources[w.name], from, w.version)
	}
	r.workflows[w.name] = w
	r.sources[w.name] = from
	names := append(append([]string(nil), r.names...), w.name)
	sort.Strings(names)
	r.names, r.byTenant = names, nil
	return nil
}

// MustRegister is Register that panics on error, for init functions.
func (r *Registry) MustRegister(w *Workflow) {
	if err := r.register(w, callerPackage(2)); err != nil {
		panic(err)
	}
}

// callerPackage returns the import path of the package of the function
// skip frames up the stack (as runtime.Caller counts), or "(unknown)".
func callerPackage(skip int) string {
	pc, _, _, ok := goruntime.Caller(skip)
	fn := goruntime.FuncForPC(pc)
	if !ok || fn == nil {
		return "(unknown)"
	}
	name := fn.Name() // such as example.com/etl.init.0
	slash := strings.LastIndex(name, "/")
	if dot := strings.Index(name[slash+1:], "."); dot >= 0 {
		return name[:slash+1+dot]
	}
	return name
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
	names := r.Names()
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: %q: no workflow is registered at all; import the package that holds the workflow's generated cloacina_gen.go (a blank import _ \"your/module/pkg\" will do), and run go generate in it if the file is missing",
			ErrWorkflowNotFound, name)
	}
	return nil, fmt.Errorf("%w: %q (registered: %s)%s", ErrWorkflowNotFound, name, strings.Join(names, ", "), suggest.DidYouMean(name, names))
}

// Names returns the registered names in sorted order.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]string(nil), r.names...)
}

// claimable returns the sorted names of the workflows a runner of tenant
// may run: those of that tenant and those of none. The slice must not be
// modified.
func (r *Registry) claimable(tenant string) []string {
	r.mu.RLock()
	names, ok := r.byTenant[tenant]
	r.mu.RUnlock()
	if ok {
		return names
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	names = []string{} // no workflow: claim nothing (nil would mean any)
	for _, n := range r.names {
		if t := r.workflows[n].tenant; t == "" || t == tenant {
			names = append(names, n)
		}
	}
	if r.byTenant == nil {
		r.byTenant = map[string][]string{}
	}
	r.byTenant[tenant] = names
	return names
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
func Register(w *Workflow) error { return defaultRegistry.register(w, callerPackage(2)) }

// MustRegister adds w to the default registry and panics on error; generated
// init functions use it.
func MustRegister(w *Workflow) {
	if err := defaultRegistry.register(w, callerPackage(2)); err != nil {
		panic(err)
	}
}

// Lookup returns the workflow with the given name from the default registry.
func Lookup(name string) (*Workflow, error) { return defaultRegistry.Lookup(name) }
