package backend

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// DepKey names a task of an execution.
type DepKey struct{ Exec, Task string }

// Less orders keys by execution, then task. Backends lock rows in this
// order, so two transactions never wait for each other in a circle.
func (k DepKey) Less(o DepKey) bool {
	if k.Exec != o.Exec {
		return k.Exec < o.Exec
	}
	return k.Task < o.Task
}

// TaskRow is the part of a stored task the write paths need.
type TaskRow struct {
	ID         int64
	ExecID     string
	TaskID     string
	Deps       []string
	RuleTasks  []string
	Dependents []string
}

// Event is an event to append when the transaction ends.
type Event struct {
	ExecID, TaskID, Kind, Message string
	Attempt                       int
}

// ExecDelta is what a transaction changes in an execution's counters.
type ExecDelta struct {
	Terminal, Failed int
	FirstError       string
	Start            bool // a task was claimed: Pending becomes Running
}

// Ledger is the bookkeeping of one write operation, shared by the
// backends: the events to append, the counters of the executions touched,
// the tasks that became terminal and whose dependents need a look, and what
// the operation readied and finished.
type Ledger struct {
	Events   []Event
	Readied  int
	Finished []store.FinishedExecution
	// Contexts are contexts stored or read by the operation, for the
	// backend to cache once it commits (contexts never change once
	// committed, so a cached one is always right).
	Contexts []store.ContextRef

	deltas map[string]*ExecDelta
	order  []string // executions in the order they were first touched
	queue  []*TaskRow
}

// RememberContext records a context to cache after the commit.
func (l *Ledger) RememberContext(id int64, data []byte) {
	l.Contexts = append(l.Contexts, store.ContextRef{ID: id, Data: data})
}

// ForgetContexts drops contexts the operation deletes from those to cache.
func (l *Ledger) ForgetContexts(ids ...int64) {
	drop := make(map[int64]bool, len(ids))
	for _, id := range ids {
		drop[id] = true
	}
	kept := l.Contexts[:0]
	for _, c := range l.Contexts {
		if !drop[c.ID] {
			kept = append(kept, c)
		}
	}
	l.Contexts = kept
}

// Event records an event.
func (l *Ledger) Event(execID, taskID, kind string, attempt int, message string) {
	l.Events = append(l.Events, Event{ExecID: execID, TaskID: taskID, Kind: kind, Attempt: attempt, Message: message})
}

// Delta returns the counters of an execution, creating them on first use.
func (l *Ledger) Delta(execID string) *ExecDelta {
	if l.deltas == nil {
		l.deltas = map[string]*ExecDelta{}
	}
	d, ok := l.deltas[execID]
	if !ok {
		d = &ExecDelta{}
		l.deltas[execID] = d
		l.order = append(l.order, execID)
	}
	return d
}

// Terminal records that a task reached a terminal state and queues its
// dependents for a look.
func (l *Ledger) Terminal(row *TaskRow, state store.TaskState, errMsg string) {
	d := l.Delta(row.ExecID)
	d.Terminal++
	if state == store.TaskFailed {
		d.Failed++
		if d.FirstError == "" {
			d.FirstError = fmt.Sprintf("task %q failed: %s", row.TaskID, errMsg)
		}
	}
	if len(row.Dependents) > 0 {
		l.queue = append(l.queue, row)
	}
}

// NextWave takes the queue: for every dependent of the tasks that became
// terminal, how many of its dependencies did, sorted by DepKey. It returns
// nothing when the queue is empty.
func (l *Ledger) NextWave() ([]DepKey, []int) {
	counts := map[DepKey]int{}
	var keys []DepKey
	for _, row := range l.queue {
		for _, d := range row.Dependents {
			k := DepKey{Exec: row.ExecID, Task: d}
			if counts[k] == 0 {
				keys = append(keys, k)
			}
			counts[k]++
		}
	}
	l.queue = nil
	sort.Slice(keys, func(i, j int) bool { return keys[i].Less(keys[j]) })
	n := make([]int, len(keys))
	for i, k := range keys {
		n[i] = counts[k]
	}
	return keys, n
}

// Touched are the executions whose counters a transaction changes, taken
// from the ledger by TakeDeltas.
type Touched struct {
	IDs    []string // sorted, the order to lock them in
	Deltas []*ExecDelta
	pos    map[string]int
}

// TakeDeltas returns the executions touched and their counters, and resets
// them.
func (l *Ledger) TakeDeltas() Touched {
	t := Touched{IDs: append([]string(nil), l.order...), pos: make(map[string]int, len(l.order))}
	for i, id := range l.order {
		t.pos[id] = i
	}
	sort.Strings(t.IDs)
	for _, id := range t.IDs {
		t.Deltas = append(t.Deltas, l.deltas[id])
	}
	l.deltas, l.order = nil, nil
	return t
}

// Ended records executions the counters update finished, in the order they
// were touched: in the Finished list and, unless the backend wrote them
// already, as an event each.
func (l *Ledger) Ended(t Touched, ended []store.FinishedExecution, events bool) {
	sort.Slice(ended, func(i, j int) bool { return t.pos[ended[i].ID] < t.pos[ended[j].ID] })
	if events {
		for _, f := range ended {
			kind := store.EventExecutionCompleted
			if f.State == store.ExecutionFailed {
				kind = store.EventExecutionFailed
			}
			l.Event(f.ID, "", kind, 0, "")
		}
	}
	l.Finished = append(l.Finished, ended...)
}

// Decision is a DecideFunc's answer for one task, ready to be stored.
type Decision struct {
	State  store.TaskState // ready, skipped or failed
	Ctx    int64           // input context id (0 for failed)
	Reason string          // skip reason or error
}

// DecideFailed does the bookkeeping of a DecideFunc error: the task fails.
func (l *Ledger) DecideFailed(row *TaskRow, err error) Decision {
	msg := "cannot decide whether to run: " + err.Error()
	l.Event(row.ExecID, row.TaskID, store.EventTaskFailed, 0, msg)
	l.Terminal(row, store.TaskFailed, msg)
	return Decision{State: store.TaskFailed, Reason: msg}
}

// Decided does the bookkeeping of a DecideFunc answer whose input context
// is stored as inputID.
func (l *Ledger) Decided(row *TaskRow, dec *store.Decision, inputID int64) Decision {
	if dec.Run {
		l.Readied++
		return Decision{State: store.TaskReady, Ctx: inputID}
	}
	l.Event(row.ExecID, row.TaskID, store.EventTaskSkipped, 0, dec.Reason)
	l.Terminal(row, store.TaskSkipped, "")
	return Decision{State: store.TaskSkipped, Ctx: inputID, Reason: dec.Reason}
}

// DepKeys lists, once each, the tasks whose state and output deciding rows
// needs: their dependencies and the tasks their trigger rules name.
func DepKeys(rows []*TaskRow) []DepKey {
	var keys []DepKey
	seen := map[DepKey]bool{}
	for _, row := range rows {
		for _, names := range [][]string{row.Deps, row.RuleTasks} {
			for _, n := range names {
				k := DepKey{Exec: row.ExecID, Task: n}
				if !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
		}
	}
	return keys
}

// NewDecideInput assembles what the DecideFunc sees for one task, from the
// loaded dependencies; execInput is the execution's input, needed only for
// a task without dependencies.
func NewDecideInput(row *TaskRow, workflow, version string, execInput *store.ContextRef, deps map[DepKey]store.DepResult) (*store.DecideInput, error) {
	in := &store.DecideInput{ExecutionID: row.ExecID, WorkflowName: workflow, WorkflowVersion: version, TaskID: row.TaskID}
	if len(row.Deps) == 0 {
		in.ExecutionInput = execInput
	}
	for i, name := range append(append([]string(nil), row.Deps...), row.RuleTasks...) {
		d, ok := deps[DepKey{Exec: row.ExecID, Task: name}]
		if !ok {
			return nil, fmt.Errorf("task %s names %s, which is not part of execution %s", row.TaskID, name, row.ExecID)
		}
		d.Direct = i < len(row.Deps)
		in.Deps = append(in.Deps, d)
	}
	return in, nil
}

// Migration is one numbered schema migration.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads the files matching pattern (such as
// "migrations/*.up.sql") from fsys, numbered by the digits before the first
// underscore of their names, in version order.
func LoadMigrations(fsys fs.FS, pattern string) ([]Migration, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, n := range names {
		base := path.Base(n)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: file name must start with a number", base)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(base, ".up.sql"), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// LatestVersion returns the highest version of ms, or 0.
func LatestVersion(ms []Migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// Rows is what both database libraries' result sets offer (*sql.Rows and
// pgx.Rows); the caller closes it.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ScanUnblocked reads the rows returned by lowering the pending-dependency
// counts of a wave (id, execution_id, task_id, deps, rule_tasks,
// dependents, pending_deps) and returns the tasks left with none, in id
// order: the ones to decide now.
func ScanUnblocked(rows Rows) ([]*TaskRow, error) {
	var unblocked []*TaskRow
	for rows.Next() {
		row := &TaskRow{}
		var deps, ruleTasks, dependents string
		var pending int
		if err := rows.Scan(&row.ID, &row.ExecID, &row.TaskID, &deps, &ruleTasks, &dependents, &pending); err != nil {
			return nil, err
		}
		if pending == 0 {
			row.Deps, row.RuleTasks, row.Dependents = SplitList(deps), SplitList(ruleTasks), SplitList(dependents)
			unblocked = append(unblocked, row)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(unblocked, func(i, j int) bool { return unblocked[i].ID < unblocked[j].ID })
	return unblocked, nil
}
