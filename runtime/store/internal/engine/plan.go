package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// plan is a checked NewExecution with what the engine derives from it.
type plan struct {
	exec *store.NewExecution
	// dependents maps each task id to the ids of the tasks that depend on
	// it, in task order.
	dependents map[string][]string
	input      store.Doc // EmptyDoc when none was given
	leaves     int       // tasks nothing depends on
	tenant     string    // store.DefaultTenant when none was given
}

// planCreate checks the parameters of CreateExecutions.
func planCreate(p *store.CreateExecutionsParams) ([]*plan, error) {
	if p.Decide == nil {
		return nil, errors.New("create executions: Decide is nil")
	}
	if len(p.Executions) == 0 {
		return nil, errors.New("create executions: no executions")
	}
	ids := make(map[string]bool, len(p.Executions))
	plans := make([]*plan, len(p.Executions))
	for i, ne := range p.Executions {
		if ne == nil {
			return nil, fmt.Errorf("create executions: execution %d is nil", i)
		}
		if ids[ne.ID] {
			return nil, fmt.Errorf("create execution %s: %w (twice in one call)", ne.ID, store.ErrDuplicateID)
		}
		ids[ne.ID] = true
		dependents, err := checkExecution(ne)
		if err != nil {
			return nil, err
		}
		pl := &plan{exec: ne, dependents: dependents, input: ne.Input, tenant: ne.Tenant}
		for _, spec := range ne.Tasks {
			if len(dependents[spec.TaskID]) == 0 {
				pl.leaves++
			}
		}
		if pl.input.Data == nil {
			pl.input.Data = store.EmptyDoc.Data
		}
		if pl.tenant == "" {
			pl.tenant = store.DefaultTenant
		}
		if err := checkValues(pl.input, ne.Values); err != nil {
			return nil, fmt.Errorf("create execution %s: %w", ne.ID, err)
		}
		plans[i] = pl
	}
	return plans, nil
}

// checkExecution checks one new execution and returns, for each task id,
// the ids of the tasks that depend on it, in task order.
func checkExecution(ne *store.NewExecution) (map[string][]string, error) {
	switch {
	case ne.ID == "":
		return nil, errors.New("create execution: ID is empty")
	case ne.WorkflowName == "":
		return nil, fmt.Errorf("create execution %s: WorkflowName is empty", ne.ID)
	case len(ne.Tasks) == 0:
		return nil, fmt.Errorf("create execution %s: no tasks", ne.ID)
	}
	known := make(map[string]bool, len(ne.Tasks))
	dependents := make(map[string][]string, len(ne.Tasks))
	for _, spec := range ne.Tasks {
		if spec.TaskID == "" || strings.Contains(spec.TaskID, ",") {
			return nil, fmt.Errorf("create execution %s: invalid task id %q", ne.ID, spec.TaskID)
		}
		if known[spec.TaskID] {
			return nil, fmt.Errorf("create execution %s: duplicate task id %q", ne.ID, spec.TaskID)
		}
		for _, names := range [][]string{spec.Deps, spec.RuleTasks} {
			for _, d := range names {
				if !known[d] {
					return nil, fmt.Errorf("create execution %s: task %q names %q, which is not an earlier task (tasks must be in topological order)", ne.ID, spec.TaskID, d)
				}
			}
		}
		for _, d := range spec.Deps {
			dependents[d] = append(dependents[d], spec.TaskID)
		}
		known[spec.TaskID] = true
	}
	return dependents, nil
}

// checkValues checks that every reference of doc has its value in vals or
// is not there to check: an input's references must all come with it.
func checkValues(doc store.Doc, vals []store.Value) error {
	have := make(map[string]bool, len(vals))
	for _, v := range vals {
		have[v.Hash] = true
	}
	for key, h := range doc.Refs {
		if !have[h] {
			return fmt.Errorf("input key %q refers to value %s, which is not among the values given", key, h)
		}
	}
	return nil
}

// ScanTaskRow reads a TaskRow with scan (the Scan method of either
// driver's rows) from the columns id, execution_id, task_id,
// workflow_name, workflow_version, deps, rule_tasks and dependents, in that
// order, followed by the columns that extra receives.
func ScanTaskRow(scan func(dest ...any) error, extra ...any) (*TaskRow, error) {
	row := &TaskRow{}
	var deps, rules, dependents string
	dest := append([]any{&row.ID, &row.Exec, &row.Task, &row.WorkflowName, &row.WorkflowVersion, &deps, &rules, &dependents}, extra...)
	if err := scan(dest...); err != nil {
		return nil, err
	}
	row.Deps, row.RuleTasks, row.Dependents = SplitList(deps), SplitList(rules), SplitList(dependents)
	return row, nil
}

// ScanDep reads a dependency's state and output with scan (the Scan method
// of either driver's rows) from the columns execution_id, task_id, state,
// output and output_refs, in that order.
func ScanDep(scan func(dest ...any) error) (Key, *store.DepResult, error) {
	var k Key
	d := &store.DepResult{}
	var data, refs *string
	if err := scan(&k.Exec, &k.Task, &d.State, &data, &refs); err != nil {
		return k, nil, err
	}
	d.TaskID = k.Task
	var err error
	d.Output, err = ScanDoc(data, refs)
	return k, d, err
}

// ScanInput reads an execution's input with scan from the columns id,
// input and input_refs, in that order.
func ScanInput(scan func(dest ...any) error) (string, store.Doc, error) {
	var id, data string
	var refs *string
	if err := scan(&id, &data, &refs); err != nil {
		return "", store.Doc{}, err
	}
	doc, err := ScanDoc(&data, refs)
	if err != nil {
		return "", store.Doc{}, err
	}
	return id, *doc, nil
}

// KeyedExecutionColumns are the columns ScanKeyedExecution reads, for
// Tx.ExecutionsByKey.
const KeyedExecutionColumns = `id, workflow_name, workflow_version, tenant, state, idempotency_key`

// ScanKeyedExecution reads an execution found by its idempotency key with
// scan (the Scan method of either driver's rows) from KeyedExecutionColumns.
func ScanKeyedExecution(scan func(dest ...any) error) (*store.Execution, error) {
	ex := &store.Execution{}
	var state string
	if err := scan(&ex.ID, &ex.WorkflowName, &ex.WorkflowVersion, &ex.Tenant, &state, &ex.IdempotencyKey); err != nil {
		return nil, err
	}
	ex.State = store.ExecutionState(state)
	return ex, nil
}

// SplitList splits a stored comma-separated list of task ids; "" is empty.
func SplitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// JoinList stores a list of task ids as one comma-separated string. Task
// ids never contain commas (see checkExecution).
func JoinList(ids []string) string { return strings.Join(ids, ",") }
