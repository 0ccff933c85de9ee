package engine

import (
	"fmt"
	"sort"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// op is the bookkeeping of one write operation on its transaction: the
// events to append, the counters of the executions touched, the tasks
// that became terminal and whose dependents need a look, and what the
// operation readied and finished. A backend may run an operation more than
// once, so every run starts from a fresh op.
type op struct {
	tx     Tx
	decide store.DecideFunc

	events   []Event
	counters map[string]*Counter
	queue    []*TaskRow // terminal tasks whose dependents need a look
	readied  int
	ready    bool // tasks became claimable: notify, unless this operation's claim took them all
	drained  bool // a claim of this operation found fewer tasks than it could take
	changed  []string
	ended    []string

	// budget is how many of the tasks this operation readies it may claim
	// at once for its runner (see takes), restricted to workflows unless
	// that is nil; direct holds those it claimed.
	budget    int
	workflows map[string]bool
	direct    []*store.ClaimedTask
}

func newOp(tx Tx, decide store.DecideFunc) *op {
	return &op{tx: tx, decide: decide, counters: map[string]*Counter{}}
}

func (o *op) event(exec, task, kind string, attempt int, msg string) {
	o.events = append(o.events, Event{Exec: exec, Task: task, Kind: kind, Attempt: attempt, Message: msg})
}

func (o *op) counter(exec string) *Counter {
	c, ok := o.counters[exec]
	if !ok {
		c = &Counter{Exec: exec}
		o.counters[exec] = c
	}
	return c
}

// terminal records that a task reached a terminal state and queues its
// dependents for a look. Only leaves and failures touch the execution's
// counters (see Counter).
func (o *op) terminal(row *TaskRow, state store.TaskState, errMsg string) {
	if len(row.Dependents) == 0 {
		o.counter(row.Exec).Terminal++
	}
	if state == store.TaskFailed {
		c := o.counter(row.Exec)
		c.Failed++
		if c.FirstError == "" {
			c.FirstError = fmt.Sprintf("task %q failed: %s", row.Task, errMsg)
		}
	}
	if len(row.Dependents) > 0 {
		o.queue = append(o.queue, row)
	}
}

// drain walks the queue in waves: the dependents of the tasks that became
// terminal have their pending counts lowered in one statement, and those
// left with none are decided together. Skipped tasks are terminal in turn
// and form the next wave.
func (o *op) drain() error {
	for len(o.queue) > 0 {
		counts := map[Key]int{}
		var keys []Key
		for _, row := range o.queue {
			for _, d := range row.Dependents {
				k := Key{Exec: row.Exec, Task: d}
				if counts[k] == 0 {
					keys = append(keys, k)
				}
				counts[k]++
			}
		}
		o.queue = nil
		sort.Slice(keys, func(i, j int) bool { return keys[i].Less(keys[j]) })
		n := make([]int, len(keys))
		for i, k := range keys {
			n[i] = counts[k]
		}
		unblocked, deps, err := o.tx.Unblock(keys, n)
		if err != nil {
			return fmt.Errorf("update dependents: %w", err)
		}
		if err := o.decideAll(unblocked, deps); err != nil {
			return err
		}
	}
	return nil
}

// decideAll decides tasks whose dependencies are all terminal, given the
// state and output of those dependencies, and stores the answers: one
// statement for the execution inputs of roots, one for new values, one for
// the decisions.
func (o *op) decideAll(rows []*TaskRow, deps map[Key]*store.DepResult) error {
	if len(rows) == 0 {
		return nil
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ID < rows[j].ID })
	var roots []string
	for _, row := range rows {
		if len(row.Deps) == 0 {
			roots = append(roots, row.Exec)
		}
	}
	var err error
	var inputs map[string]store.Doc
	if len(roots) > 0 {
		if inputs, err = o.tx.LoadInputs(roots); err != nil {
			return fmt.Errorf("load execution inputs: %w", err)
		}
	}
	decided := make([]*Decided, 0, len(rows))
	var vals []ExecValue
	for _, row := range rows {
		in := &store.DecideInput{ExecutionID: row.Exec, WorkflowName: row.WorkflowName, WorkflowVersion: row.WorkflowVersion, TaskID: row.Task}
		if len(row.Deps) == 0 {
			doc, ok := inputs[row.Exec]
			if !ok {
				return fmt.Errorf("execution %s has no input context", row.Exec)
			}
			in.ExecutionInput = &doc
		}
		for i, name := range append(append([]string(nil), row.Deps...), row.RuleTasks...) {
			d, ok := deps[Key{Exec: row.Exec, Task: name}]
			if !ok {
				return fmt.Errorf("task %s names %s, which is not part of execution %s", row.Task, name, row.Exec)
			}
			dr := *d
			dr.Direct = i < len(row.Deps)
			in.Deps = append(in.Deps, dr)
		}
		d, v := o.decideOne(row, in)
		decided = append(decided, d)
		vals = append(vals, v...)
	}
	if err := o.insertValues(vals); err != nil {
		return err
	}
	if err := o.tx.SetDecided(decided); err != nil {
		return fmt.Errorf("store decisions: %w", err)
	}
	return nil
}

// decideOne asks the DecideFunc about one task and does the bookkeeping of
// the answer (events, counters, the queue). It returns the decision to
// store and the new values it needs. A DecideFunc error fails the task.
func (o *op) decideOne(row *TaskRow, in *store.DecideInput) (*Decided, []ExecValue) {
	in.LoadValues = func(hashes []string) (map[string][]byte, error) { return o.tx.LoadValues(row.Exec, hashes) }
	dec, err := o.decide(in)
	if err != nil {
		msg := "cannot decide whether to run: " + err.Error()
		o.event(row.Exec, row.Task, store.EventTaskFailed, 0, msg)
		o.terminal(row, store.TaskFailed, msg)
		return &Decided{ID: row.ID, State: store.TaskFailed, Reason: msg}, nil
	}
	input := dec.Input
	if input.Data == nil {
		input.Data = store.EmptyDoc.Data
	}
	vals := make([]ExecValue, len(dec.Values))
	for i, v := range dec.Values {
		vals[i] = ExecValue{Exec: row.Exec, Value: v}
	}
	if dec.Run {
		if o.takes(row, input) {
			return &Decided{ID: row.ID, State: store.TaskReady, Input: &input, Claim: true}, vals
		}
		o.readied++
		o.ready = true
		d := &Decided{ID: row.ID, State: store.TaskReady, Input: &input}
		if row.Claim != nil {
			d.Queue = row.Claim.Created
		}
		return d, vals
	}
	o.event(row.Exec, row.Task, store.EventTaskSkipped, 0, dec.Reason)
	o.terminal(row, store.TaskSkipped, "")
	return &Decided{ID: row.ID, State: store.TaskSkipped, Input: &input, Reason: dec.Reason}, vals
}

// takes claims a task this operation readies for the operation's runner,
// if its budget allows and a claim would take it (its execution is not
// paused, its workflow is the runner's). Claiming it here saves a second
// write of the row and its indexes: a task that becomes ready because its
// dependency just ended on this runner goes on on this runner, ahead of
// older ready tasks as far as the budget goes; the others are left ready.
func (o *op) takes(row *TaskRow, input store.Doc) bool {
	ci := row.Claim
	if o.budget <= 0 || ci == nil || ci.Held || (o.workflows != nil && !o.workflows[row.WorkflowName]) {
		return false
	}
	o.budget--
	if ci.FirstClaim {
		o.counter(row.Exec).Start = true
	}
	o.event(row.Exec, row.Task, store.EventTaskStarted, ci.Attempt+1, "")
	o.direct = append(o.direct, &store.ClaimedTask{ExecutionID: row.Exec, WorkflowName: row.WorkflowName,
		WorkflowVersion: row.WorkflowVersion, TaskID: row.Task, Attempt: ci.Attempt + 1, MaxAttempts: ci.MaxAttempts,
		Input: input, Deadline: ci.Deadline, ReadyAt: ci.Now, Meta: ci.Meta})
	return true
}

func (o *op) insertValues(vals []ExecValue) error {
	if len(vals) == 0 {
		return nil
	}
	sort.Slice(vals, func(i, j int) bool {
		if vals[i].Exec != vals[j].Exec {
			return vals[i].Exec < vals[j].Exec
		}
		return vals[i].Value.Hash < vals[j].Value.Hash
	})
	dedup := vals[:1]
	for _, v := range vals[1:] {
		if last := dedup[len(dedup)-1]; v.Exec != last.Exec || v.Value.Hash != last.Value.Hash {
			dedup = append(dedup, v)
		}
	}
	if err := o.tx.InsertValues(dedup); err != nil {
		return fmt.Errorf("store values: %w", err)
	}
	return nil
}

// claim claims up to limit tasks and does their bookkeeping.
func (o *op) claim(limit int, workflows []string) (*store.ClaimTasksResult, error) {
	res := &store.ClaimTasksResult{}
	if limit <= 0 {
		return res, nil
	}
	got, next, err := o.tx.Claim(limit, workflows)
	if err != nil {
		return nil, fmt.Errorf("claim tasks: %w", err)
	}
	res.NextRetryAt = next
	o.drained = len(got) < limit
	sort.Slice(got, func(i, j int) bool {
		return Key{Exec: got[i].ExecutionID, Task: got[i].TaskID}.Less(Key{Exec: got[j].ExecutionID, Task: got[j].TaskID})
	})
	for _, c := range got {
		if c.FirstClaim {
			o.counter(c.ExecutionID).Start = true
		}
		o.event(c.ExecutionID, c.TaskID, store.EventTaskStarted, c.Attempt, "")
		ct := c.ClaimedTask
		res.Tasks = append(res.Tasks, &ct)
	}
	return res, nil
}

// finish writes the operation's bookkeeping; it is the operation's last
// step. It returns the executions that ended.
func (o *op) finish() ([]store.FinishedExecution, error) {
	if err := o.drain(); err != nil {
		return nil, err
	}
	// Tasks this operation made claimable are news for other runners only
	// if its own claim left some behind: they belong to executions this
	// runner runs, so a claim that came back short took every one (a
	// NOTIFY costs each commit a turn at the server's one notification
	// queue lock).
	f := &Final{Events: o.events, Ready: o.ready && !o.drained, Changed: o.changed, Ended: o.ended}
	ids := make([]string, 0, len(o.counters))
	for id := range o.counters {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		f.Counters = append(f.Counters, *o.counters[id])
	}
	return o.tx.Finish(f)
}

// retryMessage is the event message of a retried attempt.
func retryMessage(err string, delay time.Duration) string {
	return fmt.Sprintf("%s (next attempt in %s)", err, delay.Round(time.Millisecond))
}
