package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// txn is one write transaction and the bookkeeping that is flushed at its
// end: events, per-execution counters, and the queue of tasks whose
// dependents must be looked at.
type txn struct {
	ctx    context.Context
	tx     *sql.Tx
	now    int64
	runner string
	decide store.DecideFunc

	events   []eventRow
	deltas   map[string]*execDelta
	order    []string // executions in the order they were first touched
	execs    map[string]*execInfo
	queue    []*taskRow // became terminal; their dependents need a look
	readied  int
	finished []store.FinishedExecution
}

type eventRow struct {
	execID, taskID, kind, message string
	attempt                       int
}

type execDelta struct {
	terminal, failed int
	firstError       string
}

type execInfo struct {
	name, version string
	inputCtx      int64
	input         []byte // loaded on demand
}

// taskRow is the part of a task row the write paths need.
type taskRow struct {
	id         int64
	execID     string
	taskID     string
	deps       []string
	ruleTasks  []string
	dependents []string
}

func (s *Store) begin(ctx context.Context, runner string, decide store.DecideFunc) (*txn, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin write transaction: %w", err)
	}
	return &txn{
		ctx: ctx, tx: tx, now: time.Now().UnixMicro(), runner: runner, decide: decide,
		deltas: map[string]*execDelta{}, execs: map[string]*execInfo{},
	}, nil
}

// commit flushes the bookkeeping and commits.
func (t *txn) commit() error {
	if err := t.drain(); err != nil {
		return err
	}
	if err := t.finishExecutions(); err != nil {
		return err
	}
	if err := t.flushEvents(); err != nil {
		return err
	}
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (t *txn) rollback() { _ = t.tx.Rollback() }

func (t *txn) exec(query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, query, args...)
}

func (t *txn) event(execID, taskID, kind string, attempt int, message string) {
	t.events = append(t.events, eventRow{execID: execID, taskID: taskID, kind: kind, attempt: attempt, message: message})
}

func (t *txn) delta(execID string) *execDelta {
	d, ok := t.deltas[execID]
	if !ok {
		d = &execDelta{}
		t.deltas[execID] = d
		t.order = append(t.order, execID)
	}
	return d
}

func (t *txn) execInfo(execID string) (*execInfo, error) {
	if e, ok := t.execs[execID]; ok {
		return e, nil
	}
	e := &execInfo{}
	err := t.tx.QueryRowContext(t.ctx,
		`SELECT workflow_name, workflow_version, input_ctx FROM cloacina_executions WHERE id = ?`, execID).
		Scan(&e.name, &e.version, &e.inputCtx)
	if err != nil {
		return nil, fmt.Errorf("load execution %s: %w", execID, err)
	}
	t.execs[execID] = e
	return e, nil
}

func (t *txn) insertContext(execID string, data []byte) (int64, error) {
	if data == nil {
		data = []byte("{}")
	}
	res, err := t.exec(`INSERT INTO cloacina_contexts (execution_id, data) VALUES (?, ?)`, execID, data)
	if err != nil {
		return 0, fmt.Errorf("store context: %w", err)
	}
	return res.LastInsertId()
}

func (t *txn) loadContext(id int64) ([]byte, error) {
	var data []byte
	if err := t.tx.QueryRowContext(t.ctx, `SELECT data FROM cloacina_contexts WHERE id = ?`, id).Scan(&data); err != nil {
		return nil, fmt.Errorf("load context %d: %w", id, err)
	}
	return data, nil
}

// terminal records that a task reached a terminal state and queues its
// dependents for a look.
func (t *txn) terminal(row *taskRow, state store.TaskState, errMsg string) {
	d := t.delta(row.execID)
	d.terminal++
	if state == store.TaskFailed {
		d.failed++
		if d.firstError == "" {
			d.firstError = fmt.Sprintf("task %q failed: %s", row.taskID, errMsg)
		}
	}
	if len(row.dependents) > 0 {
		t.queue = append(t.queue, row)
	}
}

// drain walks the queue: each dependent of a terminal task has one fewer
// pending dependency; those left with none are decided. Skipped tasks are
// terminal in turn, so the walk continues until the queue is empty.
func (t *txn) drain() error {
	for len(t.queue) > 0 {
		row := t.queue[0]
		t.queue = t.queue[1:]
		for _, dep := range row.dependents {
			next := &taskRow{execID: row.execID}
			var pending int
			var deps, ruleTasks, dependents string
			err := t.tx.QueryRowContext(t.ctx, `UPDATE cloacina_tasks SET pending_deps = pending_deps - 1
				WHERE execution_id = ? AND task_id = ? AND state = 'not_started'
				RETURNING id, task_id, deps, rule_tasks, dependents, pending_deps`, row.execID, dep).
				Scan(&next.id, &next.taskID, &deps, &ruleTasks, &dependents, &pending)
			if errors.Is(err, sql.ErrNoRows) {
				continue // already decided or ended by FinishExecution
			}
			if err != nil {
				return fmt.Errorf("update dependent %s: %w", dep, err)
			}
			if pending > 0 {
				continue
			}
			next.deps, next.ruleTasks, next.dependents = splitList(deps), splitList(ruleTasks), splitList(dependents)
			if err := t.decideTask(next); err != nil {
				return err
			}
		}
	}
	return nil
}

// decideTask asks the DecideFunc whether a task whose dependencies are all
// terminal runs, and records the answer.
func (t *txn) decideTask(row *taskRow) error {
	info, err := t.execInfo(row.execID)
	if err != nil {
		return err
	}
	in := &store.DecideInput{ExecutionID: row.execID, WorkflowName: info.name, WorkflowVersion: info.version, TaskID: row.taskID}
	if len(row.deps) == 0 {
		if info.input == nil {
			if info.input, err = t.loadContext(info.inputCtx); err != nil {
				return err
			}
		}
		in.ExecutionInput = &store.ContextRef{ID: info.inputCtx, Data: info.input}
	}
	if names := append(append([]string(nil), row.deps...), row.ruleTasks...); len(names) > 0 {
		if in.Deps, err = t.loadDeps(row, names); err != nil {
			return err
		}
	}
	dec, derr := t.decide(in)
	if derr != nil {
		msg := "cannot decide whether to run: " + derr.Error()
		if _, err := t.exec(`UPDATE cloacina_tasks SET state = 'failed', error = ?, completed_at = ? WHERE id = ?`,
			msg, t.now, row.id); err != nil {
			return fmt.Errorf("fail task %s: %w", row.taskID, err)
		}
		t.event(row.execID, row.taskID, store.EventTaskFailed, 0, msg)
		t.terminal(row, store.TaskFailed, msg)
		return nil
	}
	inputID := dec.ReuseContextID
	if inputID == 0 {
		if inputID, err = t.insertContext(row.execID, dec.Input); err != nil {
			return err
		}
	}
	if dec.Run {
		if _, err := t.exec(`UPDATE cloacina_tasks SET state = 'ready', retry_at = ?, input_ctx = ? WHERE id = ?`,
			t.now, inputID, row.id); err != nil {
			return fmt.Errorf("ready task %s: %w", row.taskID, err)
		}
		t.readied++
		t.event(row.execID, row.taskID, store.EventTaskReady, 0, "")
		return nil
	}
	if _, err := t.exec(`UPDATE cloacina_tasks SET state = 'skipped', skip_reason = ?, input_ctx = ?, output_ctx = ?, completed_at = ?
		WHERE id = ?`, dec.Reason, inputID, inputID, t.now, row.id); err != nil {
		return fmt.Errorf("skip task %s: %w", row.taskID, err)
	}
	t.event(row.execID, row.taskID, store.EventTaskSkipped, 0, dec.Reason)
	t.terminal(row, store.TaskSkipped, "")
	return nil
}

func (t *txn) loadDeps(row *taskRow, names []string) ([]store.DepResult, error) {
	list, _ := json.Marshal(names)
	rows, err := t.tx.QueryContext(t.ctx, `SELECT t.task_id, t.state, t.output_ctx, c.data
		FROM cloacina_tasks t LEFT JOIN cloacina_contexts c ON c.id = t.output_ctx
		WHERE t.execution_id = ? AND t.task_id IN (SELECT value FROM json_each(?))`, row.execID, string(list))
	if err != nil {
		return nil, fmt.Errorf("load dependencies of %s: %w", row.taskID, err)
	}
	defer rows.Close()
	byID := make(map[string]store.DepResult, len(names))
	for rows.Next() {
		var d store.DepResult
		var ctxID sql.NullInt64
		var data []byte
		if err := rows.Scan(&d.TaskID, &d.State, &ctxID, &data); err != nil {
			return nil, fmt.Errorf("load dependencies of %s: %w", row.taskID, err)
		}
		if ctxID.Valid {
			d.Output = &store.ContextRef{ID: ctxID.Int64, Data: data}
		}
		byID[d.TaskID] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load dependencies of %s: %w", row.taskID, err)
	}
	out := make([]store.DepResult, 0, len(names))
	for i, n := range names {
		d, ok := byID[n]
		if !ok {
			return nil, fmt.Errorf("task %s names %s, which is not part of execution %s", row.taskID, n, row.execID)
		}
		d.Direct = i < len(row.deps)
		out = append(out, d)
	}
	return out, nil
}

// finishExecutions applies the counters and ends executions with nothing
// left to run.
func (t *txn) finishExecutions() error {
	for _, id := range t.order {
		d := t.deltas[id]
		var remaining, failed int
		var state store.ExecutionState
		err := t.tx.QueryRowContext(t.ctx, `UPDATE cloacina_executions
			SET tasks_remaining = tasks_remaining - ?, tasks_failed = tasks_failed + ?,
			    error = CASE WHEN error = '' THEN ? ELSE error END
			WHERE id = ? RETURNING tasks_remaining, tasks_failed, state`,
			d.terminal, d.failed, d.firstError, id).Scan(&remaining, &failed, &state)
		if err != nil {
			return fmt.Errorf("update execution %s: %w", id, err)
		}
		if remaining > 0 || state.Terminal() {
			continue
		}
		final, kind := store.ExecutionCompleted, store.EventExecutionCompleted
		if failed > 0 {
			final, kind = store.ExecutionFailed, store.EventExecutionFailed
		}
		if _, err := t.exec(`UPDATE cloacina_executions SET state = ?, completed_at = ? WHERE id = ?`, final, t.now, id); err != nil {
			return fmt.Errorf("finish execution %s: %w", id, err)
		}
		t.event(id, "", kind, 0, "")
		t.finished = append(t.finished, store.FinishedExecution{ID: id, State: final})
	}
	t.deltas, t.order = map[string]*execDelta{}, nil
	return nil
}

func (t *txn) flushEvents() error {
	const perStatement = 200 // 8 parameters each, well under SQLite's limit
	for len(t.events) > 0 {
		n := min(len(t.events), perStatement)
		var b strings.Builder
		b.WriteString(`INSERT INTO cloacina_events (execution_id, task_id, kind, attempt, runner_id, message, at) VALUES `)
		args := make([]any, 0, n*7)
		for i, e := range t.events[:n] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?,?,?,?,?,?,?)")
			args = append(args, e.execID, e.taskID, e.kind, e.attempt, t.runner, e.message, t.now)
		}
		if _, err := t.exec(b.String(), args...); err != nil {
			return fmt.Errorf("append events: %w", err)
		}
		t.events = t.events[n:]
	}
	return nil
}

// claim marks up to limit Ready tasks as Running for the runner.
func (t *txn) claim(limit int, workflows []string) (*store.ClaimTasksResult, error) {
	res := &store.ClaimTasksResult{}
	var filter any // NULL: no filter
	if workflows != nil {
		b, _ := json.Marshal(workflows)
		filter = string(b)
	}
	if limit > 0 {
		rows, err := t.tx.QueryContext(t.ctx, `UPDATE cloacina_tasks
			SET state = 'running', claimed_by = ?1, attempt = attempt + 1, heartbeat_at = ?2, started_at = COALESCE(started_at, ?2)
			WHERE id IN (
				SELECT t.id FROM cloacina_tasks t JOIN cloacina_executions e ON e.id = t.execution_id
				WHERE t.state = 'ready' AND t.retry_at <= ?2 AND e.state IN ('pending', 'running')
				  AND (?3 IS NULL OR e.workflow_name IN (SELECT value FROM json_each(?3)))
				ORDER BY t.retry_at, t.id LIMIT ?4)
			RETURNING id, execution_id, task_id, attempt, max_attempts, input_ctx`,
			t.runner, t.now, filter, limit)
		if err != nil {
			return nil, fmt.Errorf("claim tasks: %w", err)
		}
		type claimed struct {
			id  int64
			c   *store.ClaimedTask
			ctx int64
		}
		var got []claimed
		for rows.Next() {
			var c claimed
			c.c = &store.ClaimedTask{}
			if err := rows.Scan(&c.id, &c.c.ExecutionID, &c.c.TaskID, &c.c.Attempt, &c.c.MaxAttempts, &c.ctx); err != nil {
				rows.Close()
				return nil, fmt.Errorf("claim tasks: %w", err)
			}
			got = append(got, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("claim tasks: %w", err)
		}
		sort.Slice(got, func(i, j int) bool { return got[i].id < got[j].id })
		ctxs := map[int64]*store.ContextRef{}
		execs := map[string]*store.ClaimedTask{} // execution id -> a task carrying its fields
		for _, c := range got {
			if _, ok := ctxs[c.ctx]; !ok {
				data, err := t.loadContext(c.ctx)
				if err != nil {
					return nil, err
				}
				ctxs[c.ctx] = &store.ContextRef{ID: c.ctx, Data: data}
			}
			c.c.Input = ctxs[c.ctx]
			if e, ok := execs[c.c.ExecutionID]; ok {
				c.c.WorkflowName, c.c.WorkflowVersion, c.c.Deadline = e.WorkflowName, e.WorkflowVersion, e.Deadline
			} else {
				var deadline sql.NullInt64
				var state store.ExecutionState
				err := t.tx.QueryRowContext(t.ctx, `SELECT workflow_name, workflow_version, deadline_at, state
					FROM cloacina_executions WHERE id = ?`, c.c.ExecutionID).
					Scan(&c.c.WorkflowName, &c.c.WorkflowVersion, &deadline, &state)
				if err != nil {
					return nil, fmt.Errorf("claim tasks: load execution %s: %w", c.c.ExecutionID, err)
				}
				c.c.Deadline = fromMicros(deadline)
				execs[c.c.ExecutionID] = c.c
				if state == store.ExecutionPending {
					if _, err := t.exec(`UPDATE cloacina_executions SET state = 'running', started_at = ? WHERE id = ?`,
						t.now, c.c.ExecutionID); err != nil {
						return nil, fmt.Errorf("start execution %s: %w", c.c.ExecutionID, err)
					}
				}
			}
			t.event(c.c.ExecutionID, c.c.TaskID, store.EventTaskStarted, c.c.Attempt, "")
			res.Tasks = append(res.Tasks, c.c)
		}
	}
	var next sql.NullInt64
	if err := t.tx.QueryRowContext(t.ctx, `SELECT MIN(retry_at) FROM cloacina_tasks WHERE state = 'ready' AND retry_at > ?`, t.now).
		Scan(&next); err != nil {
		return nil, fmt.Errorf("next retry time: %w", err)
	}
	res.NextRetryAt = fromMicros(next)
	return res, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64)
}

func toMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}
