// Package backend holds what every storage backend needs beyond the seam
// itself: checking CreateExecution's parameters, and bounded caches for the
// facts that never change once committed (execution metadata, contexts).
package backend

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// Create is what a backend stores for CreateExecution, derived from its
// parameters once they are checked.
type Create struct {
	// Dependents maps each task id to the ids of the tasks that depend on
	// it, in task order.
	Dependents map[string][]string
	// Input is the input context, "{}" when none was given.
	Input []byte
	// Tenant is the tenant, "public" when none was given.
	Tenant string
}

// PrepareCreate checks the parameters of CreateExecution and derives what
// a backend stores.
func PrepareCreate(p *store.CreateExecutionParams) (*Create, error) {
	dependents, err := validateCreate(p)
	if err != nil {
		return nil, err
	}
	c := &Create{Dependents: dependents, Input: p.Input, Tenant: p.Tenant}
	if c.Input == nil {
		c.Input = []byte("{}")
	}
	if c.Tenant == "" {
		c.Tenant = "public"
	}
	return c, nil
}

// validateCreate checks the parameters of CreateExecution and returns, for
// each task id, the ids of the tasks that depend on it, in task order.
func validateCreate(p *store.CreateExecutionParams) (map[string][]string, error) {
	switch {
	case p.ID == "":
		return nil, errors.New("create execution: ID is empty")
	case p.WorkflowName == "":
		return nil, errors.New("create execution: WorkflowName is empty")
	case len(p.Tasks) == 0:
		return nil, errors.New("create execution: no tasks")
	case p.Decide == nil:
		return nil, errors.New("create execution: Decide is nil")
	}
	known := make(map[string]bool, len(p.Tasks))
	dependents := make(map[string][]string, len(p.Tasks))
	for _, spec := range p.Tasks {
		if spec.TaskID == "" || strings.Contains(spec.TaskID, ",") {
			return nil, fmt.Errorf("create execution: invalid task id %q", spec.TaskID)
		}
		if known[spec.TaskID] {
			return nil, fmt.Errorf("create execution: duplicate task id %q", spec.TaskID)
		}
		for _, d := range append(append([]string(nil), spec.Deps...), spec.RuleTasks...) {
			if !known[d] {
				return nil, fmt.Errorf("create execution: task %q names %q, which is not an earlier task (tasks must be in topological order)", spec.TaskID, d)
			}
		}
		for _, d := range spec.Deps {
			dependents[d] = append(dependents[d], spec.TaskID)
		}
		known[spec.TaskID] = true
	}
	return dependents, nil
}

// SplitList splits a stored comma-separated list of task ids; "" is empty.
func SplitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// JoinList stores a list of task ids as one comma-separated string. Task
// ids never contain commas (see ValidateCreate).
func JoinList(ids []string) string { return strings.Join(ids, ",") }

// Cache is a concurrency-safe map bounded by a total cost: when adding an
// entry would exceed the budget, the cache is emptied and refills from what
// is in use. It suits values that never change once known, where a miss
// only costs a read.
type Cache[K comparable, V any] struct {
	mu     sync.Mutex
	m      map[K]V
	cost   int
	budget int
	costOf func(V) int
}

// NewCache returns a cache holding up to budget, measuring each value with
// costOf (nil counts 1 per entry).
func NewCache[K comparable, V any](budget int, costOf func(V) int) *Cache[K, V] {
	if costOf == nil {
		costOf = func(V) int { return 1 }
	}
	return &Cache[K, V]{budget: budget, costOf: costOf}
}

// Get returns the value for k.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

// Put stores v for k, replacing any earlier value.
func (c *Cache[K, V]) Put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cost := c.costOf(v)
	if c.m == nil || c.cost+cost > c.budget {
		c.m, c.cost = make(map[K]V, 256), 0
	}
	if old, ok := c.m[k]; ok {
		c.cost -= c.costOf(old)
	}
	c.m[k] = v
	c.cost += cost
}

// ExecInfo is what a backend caches about an execution: facts fixed at
// creation, and whether it has started (it never stops having started).
type ExecInfo struct {
	WorkflowName    string
	WorkflowVersion string
	InputCtx        int64
	Deadline        int64 // Unix microseconds; 0 for none
	Started         bool
}

// NewExecInfoCache returns a cache for up to 4,096 executions.
func NewExecInfoCache() *Cache[string, ExecInfo] { return NewCache[string, ExecInfo](4096, nil) }

// NewContextCache returns a cache for up to 32 MiB of contexts by id.
func NewContextCache() *Cache[int64, []byte] {
	return NewCache[int64, []byte](32<<20, func(b []byte) int { return len(b) + 64 })
}
