package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/internal/backend"
)

// txn is one write transaction and the bookkeeping that is flushed at its
// end: events, per-execution counters, and the queue of tasks whose
// dependents must be looked at.
type txn struct {
	backend.Ledger
	s          *Store
	unprepared []string // statements to prepare store-wide after the transaction
	learned    []string // executions whose facts to cache once committed
	ctx        context.Context
	tx         *sql.Tx
	now        int64
	runner     string
	decide     store.DecideFunc
	execs      map[string]*execInfo
}

type execInfo struct {
	name, version string
	inputCtx      int64
	deadline      int64  // Unix microseconds; 0 for none
	started       bool   // started_at is set, so the execution is no longer pending
	input         []byte // loaded on demand, per transaction
}

// finalize decides the dependents of every task that became terminal,
// finishes executions with nothing left to run and appends the events. It
// runs at the end of every write operation, before the commit.
func (t *txn) finalize() error {
	if err := t.drain(); err != nil {
		return err
	}
	if err := t.finishExecutions(); err != nil {
		return err
	}
	return t.flushEvents()
}

// exec, query and queryRow run a statement prepared once per store: the
// write connection keeps it compiled, so the hot path never re-parses SQL.
func (t *txn) exec(query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

func (t *txn) query(query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}

// queryRow is QueryRow on a prepared statement. A preparation error is
// returned by Scan.
func (t *txn) queryRow(query string, args ...any) rowScanner {
	st, err := t.stmt(query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(t.ctx, args...)
}

func (t *txn) stmt(query string) (*sql.Stmt, error) {
	if st := t.s.cached(query); st != nil {
		return t.tx.StmtContext(t.ctx, st), nil
	}
	// Preparing on the store now would need a second connection while this
	// transaction holds the only one; prepare within the transaction and
	// keep a store-wide copy once it ends.
	t.unprepared = append(t.unprepared, query)
	st, err := t.tx.PrepareContext(t.ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare statement: %w", err)
	}
	return st, nil
}

type rowScanner interface{ Scan(...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func (t *txn) execInfo(execID string) (*execInfo, error) {
	if e, ok := t.execs[execID]; ok {
		return e, nil
	}
	if e, ok := t.s.execInfos.Get(execID); ok {
		info := &execInfo{name: e.WorkflowName, version: e.WorkflowVersion, inputCtx: e.InputCtx, deadline: e.Deadline, started: e.Started}
		t.execs[execID] = info
		return info, nil
	}
	e := &execInfo{}
	var deadline, started sql.NullInt64
	err := t.queryRow(`SELECT workflow_name, workflow_version, input_ctx, deadline_at, started_at
		FROM cloacina_executions WHERE id = ?`, execID).
		Scan(&e.name, &e.version, &e.inputCtx, &deadline, &started)
	if err != nil {
		return nil, fmt.Errorf("load execution %s: %w", execID, err)
	}
	e.deadline, e.started = deadline.Int64, started.Valid
	t.execs[execID] = e
	t.learned = append(t.learned, execID)
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
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	t.RememberContext(id, data)
	return id, nil
}

func (t *txn) loadContext(id int64) ([]byte, error) {
	if data, ok := t.s.contexts.Get(id); ok {
		return data, nil
	}
	var data []byte
	if err := t.queryRow(`SELECT data FROM cloacina_contexts WHERE id = ?`, id).Scan(&data); err != nil {
		return nil, fmt.Errorf("load context %d: %w", id, err)
	}
	t.RememberContext(id, data)
	return data, nil
}

// drain walks the queue in waves: every dependent of the tasks that became
// terminal has its count of pending dependencies lowered (one statement for
// the wave), and those left with none are decided together. Skipped tasks
// are terminal in turn and form the next wave.
func (t *txn) drain() error {
	for {
		keys, counts := t.NextWave()
		if len(keys) == 0 {
			return nil
		}
		payload := make([][]any, len(keys))
		for i, k := range keys {
			payload[i] = []any{k.Exec, k.Task, counts[i]}
		}
		rows, err := t.query(`UPDATE cloacina_tasks AS t SET pending_deps = t.pending_deps - d.n
			FROM (SELECT value->>0 AS e, value->>1 AS k, value->>2 AS n FROM json_each(?)) AS d
			WHERE t.execution_id = d.e AND t.task_id = d.k AND t.state = 'not_started'
			RETURNING id, execution_id, task_id, deps, rule_tasks, dependents, pending_deps`, jsonArg(payload))
		if err != nil {
			return fmt.Errorf("update dependents: %w", err)
		}
		unblocked, err := backend.ScanUnblocked(rows)
		rows.Close()
		if err != nil {
			return fmt.Errorf("update dependents: %w", err)
		}
		if err := t.decideAll(unblocked); err != nil {
			return err
		}
	}
}

// decideAll asks the DecideFunc about tasks whose dependencies are all
// terminal and records the answers, with one statement to load every
// dependency and one per kind of answer.
func (t *txn) decideAll(rows []*backend.TaskRow) error {
	if len(rows) == 0 {
		return nil
	}
	deps, err := t.loadDeps(rows)
	if err != nil {
		return err
	}
	var ready, skipped, failed [][]any
	for _, row := range rows {
		in, err := t.decideInput(row, deps)
		if err != nil {
			return err
		}
		d, err := t.decideOne(row, in)
		if err != nil {
			return err
		}
		switch d.State {
		case store.TaskReady:
			ready = append(ready, []any{row.ID, d.Ctx})
		case store.TaskSkipped:
			skipped = append(skipped, []any{row.ID, d.Ctx, d.Reason})
		default:
			failed = append(failed, []any{row.ID, d.Reason})
		}
	}
	if len(ready) > 0 {
		if _, err := t.exec(`UPDATE cloacina_tasks AS t SET state = 'ready', retry_at = ?1, input_ctx = d.c
			FROM (SELECT value->>0 AS id, value->>1 AS c FROM json_each(?2)) AS d WHERE t.id = d.id`,
			t.now, jsonArg(ready)); err != nil {
			return fmt.Errorf("ready tasks: %w", err)
		}
	}
	if len(skipped) > 0 {
		if _, err := t.exec(`UPDATE cloacina_tasks AS t
			SET state = 'skipped', input_ctx = d.c, output_ctx = d.c, skip_reason = d.r, completed_at = ?1
			FROM (SELECT value->>0 AS id, value->>1 AS c, value->>2 AS r FROM json_each(?2)) AS d WHERE t.id = d.id`,
			t.now, jsonArg(skipped)); err != nil {
			return fmt.Errorf("skip tasks: %w", err)
		}
	}
	if len(failed) > 0 {
		if _, err := t.exec(`UPDATE cloacina_tasks AS t SET state = 'failed', error = d.m, completed_at = ?1
			FROM (SELECT value->>0 AS id, value->>1 AS m FROM json_each(?2)) AS d WHERE t.id = d.id`,
			t.now, jsonArg(failed)); err != nil {
			return fmt.Errorf("fail tasks: %w", err)
		}
	}
	return nil
}

// decideOne asks the DecideFunc about one task, stores a new input context
// if the answer has one, and does the bookkeeping of the answer (events,
// counters, the queue of terminal tasks). The caller stores the state.
func (t *txn) decideOne(row *backend.TaskRow, in *store.DecideInput) (backend.Decision, error) {
	dec, err := t.decide(in)
	if err != nil {
		return t.DecideFailed(row, err), nil
	}
	inputID := dec.ReuseContextID
	if inputID == 0 {
		if inputID, err = t.insertContext(row.ExecID, dec.Input); err != nil {
			return backend.Decision{}, err
		}
	}
	return t.Decided(row, dec, inputID), nil
}

// loadDeps reads the state and output of every task the rows depend on or
// whose state their trigger rules read.
func (t *txn) loadDeps(rows []*backend.TaskRow) (map[backend.DepKey]store.DepResult, error) {
	keys := backend.DepKeys(rows)
	out := make(map[backend.DepKey]store.DepResult, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	pairs := make([][]string, len(keys))
	for i, k := range keys {
		pairs[i] = []string{k.Exec, k.Task}
	}
	res, err := t.query(`SELECT t.execution_id, t.task_id, t.state, t.output_ctx, c.data
		FROM cloacina_tasks t LEFT JOIN cloacina_contexts c ON c.id = t.output_ctx
		WHERE (t.execution_id, t.task_id) IN (SELECT value->>0, value->>1 FROM json_each(?))`, jsonArg(pairs))
	if err != nil {
		return nil, fmt.Errorf("load dependencies: %w", err)
	}
	defer res.Close()
	for res.Next() {
		var exec string
		var d store.DepResult
		var ctxID sql.NullInt64
		var data []byte
		if err := res.Scan(&exec, &d.TaskID, &d.State, &ctxID, &data); err != nil {
			return nil, fmt.Errorf("load dependencies: %w", err)
		}
		if ctxID.Valid {
			d.Output = &store.ContextRef{ID: ctxID.Int64, Data: data}
		}
		out[backend.DepKey{Exec: exec, Task: d.TaskID}] = d
	}
	return out, res.Err()
}

// decideInput assembles what the DecideFunc sees for one task.
func (t *txn) decideInput(row *backend.TaskRow, deps map[backend.DepKey]store.DepResult) (*store.DecideInput, error) {
	info, err := t.execInfo(row.ExecID)
	if err != nil {
		return nil, err
	}
	var input *store.ContextRef
	if len(row.Deps) == 0 {
		if info.input == nil {
			if info.input, err = t.loadContext(info.inputCtx); err != nil {
				return nil, err
			}
		}
		input = &store.ContextRef{ID: info.inputCtx, Data: info.input}
	}
	return backend.NewDecideInput(row, info.name, info.version, input, deps)
}

// jsonArg encodes v as a JSON text parameter for json_each.
func jsonArg(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sqlite: encode statement argument: %v", err)) // only strings and numbers are passed
	}
	return string(b)
}

// finishExecutions applies the counters of every execution touched, starts
// those whose first task was claimed, and ends those with nothing left to
// run, in one statement. SET expressions
// see the row as it was, so the CASEs test the counts before this update.
// An execution ended here is recognised in RETURNING by its completion
// time, which is this operation's own (each operation's time is unique,
// see Store.tick).
func (t *txn) finishExecutions() error {
	touched := t.TakeDeltas()
	if len(touched.IDs) == 0 {
		return nil
	}
	payload := make([][]any, len(touched.IDs))
	for i, id := range touched.IDs {
		d := touched.Deltas[i]
		start := 0
		if d.Start {
			start = 1
		}
		payload[i] = []any{id, d.Terminal, d.Failed, d.FirstError, start}
	}
	rows, err := t.query(`UPDATE cloacina_executions AS e SET
			tasks_remaining = e.tasks_remaining - d.n,
			tasks_failed = e.tasks_failed + d.f,
			error = CASE WHEN e.error = '' THEN d.m ELSE e.error END,
			state = CASE WHEN e.tasks_remaining - d.n <= 0 AND e.state IN ('pending', 'running', 'paused')
				THEN CASE WHEN e.tasks_failed + d.f > 0 THEN 'failed' ELSE 'completed' END
				WHEN d.s = 1 AND e.state = 'pending' THEN 'running'
				ELSE e.state END,
			started_at = CASE WHEN d.s = 1 AND e.started_at IS NULL THEN ?1 ELSE e.started_at END,
			completed_at = CASE WHEN e.tasks_remaining - d.n <= 0 AND e.state IN ('pending', 'running', 'paused')
				THEN ?1 ELSE e.completed_at END
		FROM (SELECT value->>0 AS id, value->>1 AS n, value->>2 AS f, value->>3 AS m, value->>4 AS s
			FROM json_each(?2)) AS d
		WHERE e.id = d.id
		RETURNING id, state, completed_at`, t.now, jsonArg(payload))
	if err != nil {
		return fmt.Errorf("update executions: %w", err)
	}
	defer rows.Close()
	var ended []store.FinishedExecution
	for rows.Next() {
		var id string
		var state store.ExecutionState
		var completed sql.NullInt64
		if err := rows.Scan(&id, &state, &completed); err != nil {
			return fmt.Errorf("update executions: %w", err)
		}
		if completed.Valid && completed.Int64 == t.now && (state == store.ExecutionCompleted || state == store.ExecutionFailed) {
			ended = append(ended, store.FinishedExecution{ID: id, State: state})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("update executions: %w", err)
	}
	t.Ended(touched, ended, true)
	return nil
}

// flushEvents appends the transaction's events, many rows per statement.
// Statements are cached by text, so each batch size is compiled once.
func (t *txn) flushEvents() error {
	const perStatement = 64
	for len(t.Events) > 0 {
		n := min(len(t.Events), perStatement)
		var b strings.Builder
		b.WriteString(`INSERT INTO cloacina_events (execution_id, task_id, kind, attempt, runner_id, message, at) VALUES `)
		args := make([]any, 0, n*5+2)
		args = append(args, t.runner, t.now)
		for i, e := range t.Events[:n] {
			if i > 0 {
				b.WriteByte(',')
			}
			p := 3 + 5*i // ?1 is the runner and ?2 the time, shared by every row
			fmt.Fprintf(&b, "(?%d,?%d,?%d,?%d,?1,?%d,?2)", p, p+1, p+2, p+3, p+4)
			args = append(args, e.ExecID, e.TaskID, e.Kind, e.Attempt, e.Message)
		}
		if _, err := t.exec(b.String(), args...); err != nil {
			return fmt.Errorf("append events: %w", err)
		}
		t.Events = t.Events[n:]
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
		rows, err := t.query(`UPDATE cloacina_tasks
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
		if len(got) > 0 {
			ctxIDs, execIDs := make([]int64, 0, len(got)), make([]string, 0, len(got))
			for _, c := range got {
				ctxIDs = append(ctxIDs, c.ctx)
				execIDs = append(execIDs, c.c.ExecutionID)
			}
			ctxs, err := t.loadContexts(ctxIDs)
			if err != nil {
				return nil, err
			}
			execs, err := t.startExecutions(execIDs)
			if err != nil {
				return nil, err
			}
			for _, c := range got {
				e := execs[c.c.ExecutionID]
				if e == nil || ctxs[c.ctx] == nil {
					return nil, fmt.Errorf("claim tasks: task %s/%s refers to missing rows", c.c.ExecutionID, c.c.TaskID)
				}
				c.c.Input = ctxs[c.ctx]
				c.c.WorkflowName, c.c.WorkflowVersion, c.c.Deadline = e.WorkflowName, e.WorkflowVersion, e.Deadline
				t.Event(c.c.ExecutionID, c.c.TaskID, store.EventTaskStarted, c.c.Attempt, "")
				res.Tasks = append(res.Tasks, c.c)
			}
		}
	}
	// Look for a waiting retry only when this store scheduled one: retries
	// scheduled by another process sharing the file are found by the
	// runners' fallback poll.
	if t.s.retriesPending.Load() {
		var next sql.NullInt64
		if err := t.queryRow(`SELECT MIN(retry_at) FROM cloacina_tasks WHERE state = 'ready' AND retry_at > ?`, t.now).
			Scan(&next); err != nil {
			return nil, fmt.Errorf("next retry time: %w", err)
		}
		res.NextRetryAt = fromMicros(next)
		if !next.Valid {
			t.s.retriesPending.Store(false)
		}
	}
	return res, nil
}

// loadContexts returns the given contexts, from the cache when it has them
// and otherwise with one statement.
func (t *txn) loadContexts(ids []int64) (map[int64]*store.ContextRef, error) {
	out := make(map[int64]*store.ContextRef, len(ids))
	var missing []int64
	for _, id := range ids {
		if _, seen := out[id]; seen {
			continue
		}
		if data, ok := t.s.contexts.Get(id); ok {
			out[id] = &store.ContextRef{ID: id, Data: data}
		} else {
			out[id] = nil
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	rows, err := t.query(`SELECT id, data FROM cloacina_contexts WHERE id IN (SELECT value FROM json_each(?))`, jsonArg(missing))
	if err != nil {
		return nil, fmt.Errorf("load contexts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		ref := &store.ContextRef{}
		if err := rows.Scan(&ref.ID, &ref.Data); err != nil {
			return nil, fmt.Errorf("load contexts: %w", err)
		}
		out[ref.ID] = ref
		t.RememberContext(ref.ID, ref.Data)
	}
	return out, rows.Err()
}

// startExecutions arranges for the given executions to become Running if
// they were Pending, and returns their workflow and deadline. Both usually come from the
// cache of execution facts, so a claim costs no statement for them.
func (t *txn) startExecutions(ids []string) (map[string]*store.ClaimedTask, error) {
	out := make(map[string]*store.ClaimedTask, len(ids))
	var toStart []string
	for _, id := range ids {
		if _, done := out[id]; done {
			continue
		}
		e, err := t.execInfo(id)
		if err != nil {
			return nil, err
		}
		out[id] = &store.ClaimedTask{ExecutionID: id, WorkflowName: e.name, WorkflowVersion: e.version,
			Deadline: fromMicros(sql.NullInt64{Int64: e.deadline, Valid: e.deadline != 0})}
		if !e.started {
			toStart = append(toStart, id)
		}
	}
	for _, id := range toStart {
		t.Delta(id).Start = true // applied with the counters, see finishExecutions
		t.execs[id].started = true
		t.learned = append(t.learned, id)
	}
	return out, nil
}

func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64)
}
