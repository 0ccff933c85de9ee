package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/internal/engine"
)

// tx is one operation's part of a write transaction: the engine.Tx of this
// backend. Times are Unix microseconds; sets of rows travel as VALUES lists
// of bound parameters (see rowSet), so each method is one statement per
// chunk of rows. On a local file a statement costs no round trip, so
// nothing is deferred.
type tx struct {
	s          *Store
	ctx        context.Context
	tx         *sql.Tx
	now        int64
	runner     string
	unprepared []string // statements to prepare store-wide after the transaction
	bound      int      // bytes of text and blob parameters bound, for the checkpointer
}

var _ engine.Tx = (*tx)(nil)

// exec, query and queryRow run a statement prepared once per store: the
// write connection keeps it compiled, so the hot path never re-parses SQL.
func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	t.count(args)
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

func (t *tx) query(query string, args ...any) (*sql.Rows, error) {
	t.count(args)
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}

// count adds the sizes of the text and blob arguments of a statement to
// t.bound: what a transaction binds is about what it writes, the measure
// by which the checkpointer is woken (see checkpoint.go).
func (t *tx) count(args []any) {
	for _, a := range args {
		switch v := a.(type) {
		case string:
			t.bound += len(v)
		case []byte:
			t.bound += len(v)
		}
	}
}

func (t *tx) stmt(query string) (*sql.Stmt, error) {
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

// each runs a query and calls scan for every row.
func (t *tx) each(scan func(r *sql.Rows) error, query string, args ...any) error {
	rows, err := t.query(query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// jsonArg encodes v as a JSON text parameter for json_each.
func jsonArg(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sqlite: encode statement argument: %v", err)) // only strings, numbers and nulls are passed
	}
	return string(b)
}

func keyRows(keys []engine.Key) *rowSet {
	rs := newRows(2, len(keys))
	for _, k := range keys {
		rs.add(k.Exec, k.Task)
	}
	return rs
}

func listRows(ids []string) *rowSet {
	rs := newRows(1, len(ids))
	for _, id := range ids {
		rs.add(id)
	}
	return rs
}

func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64)
}

// taskRowColumns are the columns engine.ScanTaskRow reads.
const taskRowColumns = `id, execution_id, task_id, workflow_name, workflow_version, deps, rule_tasks, dependents`

// InsertValues implements engine.Tx.
func (t *tx) InsertValues(vals []engine.ExecValue) error {
	for _, v := range vals {
		if _, err := t.exec(`INSERT INTO cloacina_values (execution_id, hash, data) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			v.Exec, v.Value.Hash, v.Value.Data); err != nil {
			return err
		}
	}
	return nil
}

// ExecutionsByKey implements engine.Tx.
func (t *tx) ExecutionsByKey(keys []string) (map[string]*store.Execution, error) {
	out := map[string]*store.Execution{}
	err := t.each(func(r *sql.Rows) error {
		ex, err := engine.ScanKeyedExecution(r.Scan)
		if err != nil {
			return err
		}
		out[ex.IdempotencyKey] = ex
		return nil
	}, `SELECT `+engine.KeyedExecutionColumns+` FROM cloacina_executions
		WHERE idempotency_key IN (SELECT value FROM json_each(?))`, jsonArg(keys))
	return out, err
}

// InsertExecutions implements engine.Tx.
func (t *tx) InsertExecutions(rows []*engine.ExecRow) error {
	rs := newRows(15, len(rows))
	for _, r := range rows {
		r.CreatedAt = time.UnixMicro(t.now)
		var deadline, key, meta any
		if r.Timeout > 0 {
			r.Deadline = r.CreatedAt.Add(r.Timeout)
			deadline = r.Deadline.UnixMicro()
		}
		if r.IdempotencyKey != "" {
			key = r.IdempotencyKey
		}
		if r.Meta != nil {
			meta = string(r.Meta)
		}
		rs.add(r.ID, r.WorkflowName, r.WorkflowVersion, r.Tenant, string(store.ExecutionPending), engine.DocText(&r.Input),
			engine.DocRefs(&r.Input), r.TasksTotal, r.Leaves, t.now, deadline, key, r.Origin, r.OriginName, meta)
	}
	_, err := t.execRows(`INSERT INTO cloacina_executions
		(id, workflow_name, workflow_version, tenant, state, input, input_refs, tasks_total, leaves_remaining, created_at,
		 deadline_at, idempotency_key, origin, origin_name, meta)
		VALUES {rows}`, nil, rs)
	return err
}

// InsertTasks implements engine.Tx.
func (t *tx) InsertTasks(rows []*engine.NewTaskRow) error {
	rs := newRows(19, len(rows))
	for _, r := range rows {
		var retryAt, completed, input, inputRefs, output, outputRefs any
		var reason, errMsg string
		switch r.State {
		case store.TaskReady:
			retryAt, input, inputRefs = t.now, engine.DocText(r.Input), engine.DocRefs(r.Input)
		case store.TaskSkipped:
			input, inputRefs, reason, completed = engine.DocText(r.Input), engine.DocRefs(r.Input), r.Reason, t.now
			output, outputRefs = input, inputRefs
		case store.TaskFailed:
			errMsg, completed = r.Reason, t.now
		}
		pending := len(r.Deps)
		if r.State != store.TaskNotStarted {
			pending = 0
		}
		rs.add(r.Exec, r.Task, r.WorkflowName, r.Version, r.Position, engine.JoinList(r.Deps), engine.JoinList(r.RuleTasks),
			engine.JoinList(r.Dependents), pending, r.MaxAttempts, string(r.State), retryAt, input, inputRefs, output, outputRefs,
			reason, errMsg, completed)
	}
	_, err := t.execRows(`INSERT INTO cloacina_tasks
		(execution_id, task_id, workflow_name, workflow_version, position, deps, rule_tasks, dependents, pending_deps,
		 max_attempts, state, retry_at, input, input_refs, output, output_refs, skip_reason, error, completed_at)
		VALUES {rows}`, nil, rs)
	return err
}

// RecordOutcomes implements engine.Tx. One guarded UPDATE per kind: a row
// changes only if its task is Running, claimed by this runner, at the
// attempt given.
func (t *tx) RecordOutcomes(kind store.OutcomeKind, outs []*engine.OutcomeRow) ([]*engine.TaskRow, error) {
	var set, cols string
	var rs *rowSet
	switch kind {
	case store.OutcomeSucceeded:
		set = `state = 'completed', output = COALESCE(d.o, t.input),
			output_refs = CASE WHEN d.o IS NULL THEN t.input_refs ELSE d.r END,
			completed_at = ?1, error = '', error_detail = ''`
		cols = `column4 AS o, column5 AS r`
		rs = newRows(5, len(outs))
		for _, o := range outs {
			var out, refs any // NULL: the output is the input, unchanged
			if o.Output != nil {
				out, refs = engine.DocText(o.Output), engine.DocRefs(o.Output)
			}
			rs.add(o.Exec, o.Task, o.Attempt, out, refs)
		}
	case store.OutcomeRetry:
		t.s.retriesPending.Store(true) // read by claims later in this transaction too
		set = `state = 'ready', retry_at = ?1 + d.delay, ready_at = NULL, error = d.m, error_detail = d.x`
		cols = `column4 AS m, column5 AS x, column6 AS delay`
		rs = newRows(6, len(outs))
		for _, o := range outs {
			rs.add(o.Exec, o.Task, o.Attempt, o.Error, string(o.ErrorDetail), o.RetryDelay.Microseconds())
		}
	case store.OutcomeFailed:
		set = `state = 'failed', output = t.input, output_refs = t.input_refs, completed_at = ?1, error = d.m, error_detail = d.x`
		cols = `column4 AS m, column5 AS x`
		rs = newRows(5, len(outs))
		for _, o := range outs {
			rs.add(o.Exec, o.Task, o.Attempt, o.Error, string(o.ErrorDetail))
		}
	default:
		return nil, fmt.Errorf("unknown outcome kind %d", kind)
	}
	var done []*engine.TaskRow
	err := t.eachRows(func(r *sql.Rows) error {
		row, err := engine.ScanTaskRow(r.Scan)
		done = append(done, row)
		return err
	}, `WITH fixed AS (SELECT ?1, ?2) -- the fixed parameters come first (see rowSet)
		UPDATE cloacina_tasks AS t SET `+set+`, claimed_by = NULL, heartbeat_at = NULL
		FROM (SELECT column1 AS e, column2 AS k, column3 AS a, `+cols+` FROM (VALUES {rows})) AS d
		WHERE t.execution_id = d.e AND t.task_id = d.k AND t.state = 'running' AND t.claimed_by = ?2 AND t.attempt = d.a
		RETURNING `+taskRowColumns, []any{t.now, t.runner}, rs)
	return done, err
}

// Unblock implements engine.Tx: one read finds the tasks with their
// counts lowered and their executions' claim facts; the tasks left with
// dependencies pending get their new counts in one update, and those left
// with none keep theirs (they are decided next, and a decided task's count
// is never read), so a task is written once when it is unblocked, by its
// decision. One more read loads the dependencies of the unblocked tasks.
func (t *tx) Unblock(keys []engine.Key, n []int) ([]*engine.TaskRow, map[engine.Key]*store.DepResult, error) {
	rs := newRows(3, len(keys))
	for i, k := range keys {
		rs.add(k.Exec, k.Task, n[i])
	}
	var unblocked []*engine.TaskRow
	blocked := newRows(2, 0)
	orphans := 0
	err := t.eachRows(func(r *sql.Rows) error {
		var pending int
		var exec sql.NullString
		var facts execFacts
		ci := &engine.ClaimInfo{Now: time.UnixMicro(t.now)}
		row, err := engine.ScanTaskRow(r.Scan, append([]any{&pending, &ci.Held, &ci.Attempt, &ci.MaxAttempts, &exec}, facts.dest()...)...)
		switch {
		case err != nil:
			return err
		case pending != 0:
			blocked.add(row.ID, pending)
		case !exec.Valid:
			orphans++
		default:
			facts.fill(ci)
			row.Claim = ci
			unblocked = append(unblocked, row)
		}
		return nil
	}, `SELECT t.id, t.execution_id, t.task_id, t.workflow_name, t.workflow_version, t.deps, t.rule_tasks, t.dependents,
			t.pending_deps - d.n, t.held, t.attempt, t.max_attempts, e.id, `+execFactColumns("e")+`
		FROM (SELECT column1 AS e, column2 AS k, column3 AS n FROM (VALUES {rows})) AS d
		JOIN cloacina_tasks AS t ON t.execution_id = d.e AND t.task_id = d.k
		LEFT JOIN cloacina_executions AS e ON e.id = t.execution_id
		WHERE t.state = 'not_started'`, nil, rs)
	if err != nil {
		return nil, nil, err
	}
	if orphans > 0 {
		return nil, nil, fmt.Errorf("%d unblocked task(s) have no execution row", orphans)
	}
	if blocked.len() > 0 {
		if _, err := t.execRows(`UPDATE cloacina_tasks AS t SET pending_deps = d.column2
			FROM (VALUES {rows}) AS d WHERE t.id = d.column1`, nil, blocked); err != nil {
			return nil, nil, err
		}
	}
	if len(unblocked) == 0 {
		return nil, nil, nil
	}
	var depKeys []engine.Key
	seen := map[engine.Key]bool{}
	for _, row := range unblocked {
		for _, names := range [][]string{row.Deps, row.RuleTasks} {
			for _, name := range names {
				if k := (engine.Key{Exec: row.Exec, Task: name}); !seen[k] {
					seen[k] = true
					depKeys = append(depKeys, k)
				}
			}
		}
	}
	deps := make(map[engine.Key]*store.DepResult, len(depKeys))
	err = t.eachRows(func(r *sql.Rows) error {
		k, d, err := engine.ScanDep(r.Scan)
		deps[k] = d
		return err
	}, `SELECT execution_id, task_id, state, output, output_refs FROM cloacina_tasks
		WHERE (execution_id, task_id) IN (VALUES {rows})`, nil, keyRows(depKeys))
	return unblocked, deps, err
}

// LoadInputs implements engine.Tx.
func (t *tx) LoadInputs(ids []string) (map[string]store.Doc, error) {
	out := make(map[string]store.Doc, len(ids))
	err := t.eachRows(func(r *sql.Rows) error {
		id, doc, err := engine.ScanInput(r.Scan)
		if err == nil {
			out[id] = doc
		}
		return err
	}, `SELECT id, input, input_refs FROM cloacina_executions WHERE id IN (VALUES {rows})`, nil, listRows(ids))
	return out, err
}

// LoadValues implements engine.Tx.
func (t *tx) LoadValues(exec string, hashes []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(hashes))
	err := t.eachRows(func(r *sql.Rows) error {
		var h string
		var data []byte
		err := r.Scan(&h, &data)
		out[h] = data
		return err
	}, `SELECT hash, data FROM cloacina_values WHERE execution_id = ?1 AND hash IN (VALUES {rows})`, []any{exec}, listRows(hashes))
	return out, err
}

// SetDecided implements engine.Tx: one statement per kind of decision.
func (t *tx) SetDecided(ds []*engine.Decided) error {
	ready, claimed, skipped, failed := newRows(4, len(ds)), newRows(3, 0), newRows(4, 0), newRows(2, 0)
	for _, d := range ds {
		switch {
		case d.State == store.TaskReady && d.Claim:
			claimed.add(d.ID, engine.DocText(d.Input), engine.DocRefs(d.Input))
		case d.State == store.TaskReady:
			var q any // NULL: now
			if !d.Queue.IsZero() {
				q = d.Queue.UnixMicro()
			}
			ready.add(d.ID, engine.DocText(d.Input), engine.DocRefs(d.Input), q)
		case d.State == store.TaskSkipped:
			skipped.add(d.ID, engine.DocText(d.Input), engine.DocRefs(d.Input), d.Reason)
		default:
			failed.add(d.ID, d.Reason)
		}
	}
	if ready.len() > 0 {
		if _, err := t.execRows(`UPDATE cloacina_tasks AS t SET state = 'ready', retry_at = COALESCE(d.q, ?1), ready_at = ?1,
				input = d.i, input_refs = d.r
			FROM (SELECT column1 AS id, column2 AS i, column3 AS r, column4 AS q FROM (VALUES {rows})) AS d WHERE t.id = d.id`,
			[]any{t.now}, ready); err != nil {
			return fmt.Errorf("ready tasks: %w", err)
		}
	}
	if claimed.len() > 0 {
		// As Claim sets a claimed row, in the same write that readies it.
		if _, err := t.execRows(`UPDATE cloacina_tasks AS t SET state = 'running', retry_at = ?1, input = d.i, input_refs = d.r,
				claimed_by = ?2, attempt = t.attempt + 1, heartbeat_at = ?1, started_at = COALESCE(t.started_at, ?1)
			FROM (SELECT column1 AS id, column2 AS i, column3 AS r FROM (VALUES {rows})) AS d WHERE t.id = d.id`,
			[]any{t.now, t.runner}, claimed); err != nil {
			return fmt.Errorf("claim ready tasks: %w", err)
		}
	}
	if skipped.len() > 0 {
		if _, err := t.execRows(`UPDATE cloacina_tasks AS t SET state = 'skipped', input = d.i, input_refs = d.r,
				output = d.i, output_refs = d.r, skip_reason = d.s, completed_at = ?1
			FROM (SELECT column1 AS id, column2 AS i, column3 AS r, column4 AS s FROM (VALUES {rows})) AS d WHERE t.id = d.id`,
			[]any{t.now}, skipped); err != nil {
			return fmt.Errorf("skip tasks: %w", err)
		}
	}
	if failed.len() > 0 {
		if _, err := t.execRows(`UPDATE cloacina_tasks AS t SET state = 'failed', error = d.m, completed_at = ?1
			FROM (SELECT column1 AS id, column2 AS m FROM (VALUES {rows})) AS d WHERE t.id = d.id`,
			[]any{t.now}, failed); err != nil {
			return fmt.Errorf("fail tasks: %w", err)
		}
	}
	return nil
}

// Claim implements engine.Tx.
func (t *tx) Claim(limit int, workflows []string) ([]*engine.Claimed, time.Time, error) {
	var filter any // NULL: no filter
	if workflows != nil {
		filter = jsonArg(workflows)
	}
	var got []*engine.Claimed
	err := t.each(func(r *sql.Rows) error {
		c := &engine.Claimed{}
		var data string
		var refs *string
		var readyAt sql.NullInt64
		if err := r.Scan(&c.ExecutionID, &c.TaskID, &c.WorkflowName, &c.WorkflowVersion, &c.Attempt, &c.MaxAttempts,
			&data, &refs, &readyAt); err != nil {
			return err
		}
		doc, err := engine.ScanDoc(&data, refs)
		if err != nil {
			return err
		}
		c.Input, c.ReadyAt = *doc, fromMicros(readyAt)
		got = append(got, c)
		return nil
	}, // "LIMIT ?4 + 0", not "LIMIT ?4": SQLite reads a bare bound LIMIT
		// into the plan and re-prepares the statement whenever it changes.
		`UPDATE cloacina_tasks
		SET state = 'running', claimed_by = ?1, attempt = attempt + 1, heartbeat_at = ?2, started_at = COALESCE(started_at, ?2)
		WHERE id IN (
			SELECT id FROM cloacina_tasks
			WHERE state = 'ready' AND held = 0 AND retry_at <= ?2
			  AND (?3 IS NULL OR workflow_name IN (SELECT value FROM json_each(?3)))
			ORDER BY retry_at, id LIMIT ?4 + 0)
		RETURNING execution_id, task_id, workflow_name, workflow_version, attempt, max_attempts,
			COALESCE(input, '{}'), input_refs, COALESCE(ready_at, retry_at)`, t.runner, t.now, filter, limit)
	if err != nil {
		return nil, time.Time{}, err
	}
	if len(got) > 0 {
		rows := make([]*engine.TaskRow, len(got))
		for i, c := range got {
			rows[i] = &engine.TaskRow{Exec: c.ExecutionID, Task: c.TaskID, Claim: &engine.ClaimInfo{}}
		}
		if err := t.executionFacts(rows); err != nil {
			return nil, time.Time{}, err
		}
		for i, c := range got {
			ci := rows[i].Claim
			c.Deadline, c.FirstClaim, c.Meta = ci.Deadline, ci.FirstClaim, ci.Meta
		}
	}
	// Look for a waiting retry only when this store scheduled one, or
	// another process sharing the file committed since (see watch.go).
	var next time.Time
	if t.s.retriesPending.Load() {
		var n sql.NullInt64
		if err := t.queryRow(`SELECT MIN(retry_at) FROM cloacina_tasks WHERE state = 'ready' AND held = 0 AND retry_at > ?`, t.now).
			Scan(&n); err != nil {
			return nil, time.Time{}, fmt.Errorf("next retry time: %w", err)
		}
		next = fromMicros(n)
		if !n.Valid {
			t.s.retriesPending.Store(false)
		}
	}
	return got, next, nil
}

// execFactColumns lists the claim facts of the executions table under
// alias, in the order execFacts scans them.
func execFactColumns(alias string) string {
	return alias + ".deadline_at, " + alias + ".started_at IS NULL, " + alias + ".meta, " + alias + ".created_at"
}

// execFacts is an execution's claim facts as read by execFactColumns.
type execFacts struct {
	deadline, created sql.NullInt64
	first             bool
	meta              sql.NullString
}

// dest returns the scan destinations of execFactColumns.
func (f *execFacts) dest() []any { return []any{&f.deadline, &f.first, &f.meta, &f.created} }

// fill copies the facts into ci.
func (f *execFacts) fill(ci *engine.ClaimInfo) {
	ci.Deadline, ci.FirstClaim, ci.Created = fromMicros(f.deadline), f.first, fromMicros(f.created)
	if f.meta.Valid {
		ci.Meta = []byte(f.meta.String)
	}
}

// executionFacts fills the claim facts of the rows' executions (deadline,
// not started yet, meta, creation time) in one read.
func (t *tx) executionFacts(rows []*engine.TaskRow) error {
	var execs []string
	byExec := map[string][]*engine.ClaimInfo{}
	for _, r := range rows {
		if byExec[r.Exec] == nil {
			execs = append(execs, r.Exec)
		}
		byExec[r.Exec] = append(byExec[r.Exec], r.Claim)
	}
	found := 0
	err := t.eachRows(func(r *sql.Rows) error {
		var id string
		var facts execFacts
		if err := r.Scan(append([]any{&id}, facts.dest()...)...); err != nil {
			return err
		}
		found++
		for _, ci := range byExec[id] {
			facts.fill(ci)
		}
		return nil
	}, `SELECT id, `+execFactColumns("cloacina_executions")+` FROM cloacina_executions WHERE id IN (VALUES {rows})`, nil, listRows(execs))
	if err != nil {
		return err
	}
	if found != len(execs) {
		return fmt.Errorf("tasks of %d execution(s) have no execution row", len(execs)-found)
	}
	return nil
}

// Heartbeat implements engine.Tx.
func (t *tx) Heartbeat(refs []store.TaskRef) (map[engine.Key]bool, error) {
	rs := newRows(3, len(refs))
	for _, r := range refs {
		rs.add(r.ExecutionID, r.TaskID, r.Attempt)
	}
	held := map[engine.Key]bool{}
	err := t.eachRows(func(r *sql.Rows) error {
		var k engine.Key
		err := r.Scan(&k.Exec, &k.Task)
		held[k] = true
		return err
	}, `WITH fixed AS (SELECT ?1, ?2) -- the fixed parameters come first (see rowSet)
		UPDATE cloacina_tasks AS t SET heartbeat_at = ?1
		FROM (SELECT column1 AS e, column2 AS k, column3 AS a FROM (VALUES {rows})) AS d
		WHERE t.execution_id = d.e AND t.task_id = d.k AND t.attempt = d.a AND t.claimed_by = ?2 AND t.state = 'running'
		RETURNING execution_id, task_id`, []any{t.now, t.runner}, rs)
	return held, err
}

// StaleClaims implements engine.Tx.
func (t *tx) StaleClaims(staleAfter time.Duration) ([]*engine.StaleRow, error) {
	var out []*engine.StaleRow
	err := t.each(func(r *sql.Rows) error {
		st := &engine.StaleRow{}
		var owner sql.NullString
		row, err := engine.ScanTaskRow(r.Scan, &st.Attempt, &st.Recoveries, &owner)
		if err == nil {
			st.TaskRow, st.Owner = *row, owner.String
			out = append(out, st)
		}
		return err
	}, `SELECT `+taskRowColumns+`, attempt, recoveries, claimed_by FROM cloacina_tasks
		WHERE state = 'running' AND heartbeat_at < ? ORDER BY id`, t.now-staleAfter.Microseconds())
	return out, err
}

// Requeue implements engine.Tx.
func (t *tx) Requeue(ids []int64) error {
	rs := newRows(1, len(ids))
	for _, id := range ids {
		rs.add(id)
	}
	_, err := t.execRows(`UPDATE cloacina_tasks SET state = 'ready', retry_at = ?1, ready_at = NULL, claimed_by = NULL, heartbeat_at = NULL,
		recoveries = recoveries + 1 WHERE id IN (VALUES {rows})`, []any{t.now}, rs)
	return err
}

// Abandon implements engine.Tx.
func (t *tx) Abandon(ids []int64, errs []string) error {
	rs := newRows(2, len(ids))
	for i, id := range ids {
		rs.add(id, errs[i])
	}
	_, err := t.execRows(`UPDATE cloacina_tasks AS t SET state = 'failed', output = t.input, output_refs = t.input_refs,
			completed_at = ?1, claimed_by = NULL, heartbeat_at = NULL, error = d.m
		FROM (SELECT column1 AS id, column2 AS m FROM (VALUES {rows})) AS d WHERE t.id = d.id`, []any{t.now}, rs)
	return err
}

// ExecutionState implements engine.Tx.
func (t *tx) ExecutionState(id string) (store.ExecutionState, error) {
	var state store.ExecutionState
	err := t.queryRow(`SELECT state FROM cloacina_executions WHERE id = ?`, id).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("execution %s: %w", id, store.ErrNotFound)
	}
	return state, err
}

// EndTasks implements engine.Tx.
func (t *tx) EndTasks(exec, reason string) ([]*engine.EndedTask, error) {
	var out []*engine.EndedTask
	err := t.each(func(r *sql.Rows) error {
		e := &engine.EndedTask{}
		err := r.Scan(&e.Task, &e.Attempt, &e.State)
		out = append(out, e)
		return err
	}, `UPDATE cloacina_tasks
		SET state = CASE WHEN state = 'running' OR attempt > 0 THEN 'cancelled' ELSE 'skipped' END,
			skip_reason = ?1, claimed_by = NULL, heartbeat_at = NULL, held = 0, output = input, output_refs = input_refs,
			completed_at = ?2
		WHERE execution_id = ?3 AND state IN ('not_started', 'ready', 'running')
		RETURNING task_id, attempt, state`, reason, t.now, exec)
	return out, err
}

// EndExecution implements engine.Tx.
func (t *tx) EndExecution(exec string, state store.ExecutionState, reason string) (bool, error) {
	r, err := t.exec(`UPDATE cloacina_executions SET state = ?, error = ?, completed_at = ?, leaves_remaining = 0
		WHERE id = ? AND state IN ('pending', 'running', 'paused')`, state, reason, t.now, exec)
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n > 0, err
}

// SetHeld implements engine.Tx.
func (t *tx) SetHeld(exec string, held bool) error {
	_, err := t.exec(`UPDATE cloacina_tasks SET held = ?1
		WHERE execution_id = ?2 AND held <> ?1 AND state IN ('not_started', 'ready', 'running')`, held, exec)
	return err
}

// SetPausedState implements engine.Tx.
func (t *tx) SetPausedState(exec string, paused bool) (bool, error) {
	q := `UPDATE cloacina_executions SET state = CASE WHEN started_at IS NULL THEN 'pending' ELSE 'running' END
		WHERE id = ? AND state = 'paused'`
	if paused {
		q = `UPDATE cloacina_executions SET state = 'paused' WHERE id = ? AND state IN ('pending', 'running')`
	}
	r, err := t.exec(q, exec)
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n > 0, err
}

// Finish implements engine.Tx: the counters in one statement, then the
// events in multi-row inserts. Notifications are for other processes;
// SQLite has none to send (other processes sharing the file poll).
func (t *tx) Finish(f *engine.Final) ([]store.FinishedExecution, error) {
	var ended []store.FinishedExecution
	if len(f.Counters) > 0 {
		rs := newRows(5, len(f.Counters))
		terminal := make(map[string]int, len(f.Counters))
		for _, c := range f.Counters {
			rs.add(c.Exec, c.Terminal, c.Failed, c.FirstError, c.Start)
			terminal[c.Exec] = c.Terminal
		}
		// The update (see engine.CounterSet) ended an execution that is
		// now finished with no leaf left and had some left before (its
		// count now plus this delta).
		err := t.eachRows(func(r *sql.Rows) error {
			var fe store.FinishedExecution
			var remaining int
			var created, completed sql.NullInt64
			if err := r.Scan(&fe.ID, &fe.State, &remaining, &fe.WorkflowName, &created, &completed); err != nil {
				return err
			}
			fe.CreatedAt, fe.CompletedAt = fromMicros(created), fromMicros(completed)
			if fe.State.Terminal() && remaining <= 0 && remaining+terminal[fe.ID] > 0 {
				ended = append(ended, fe)
			}
			return nil
		}, `UPDATE cloacina_executions AS e SET `+engine.CounterSet("?1")+`
			FROM (SELECT column1 AS id, column2 AS n, column3 AS f, column4 AS m, column5 AS s FROM (VALUES {rows})) AS d
			WHERE e.id = d.id
			RETURNING id, state, leaves_remaining, workflow_name, created_at, completed_at`, []any{t.now}, rs)
		if err != nil {
			return nil, fmt.Errorf("update executions: %w", err)
		}
	}
	sort.Slice(ended, func(i, j int) bool { return ended[i].ID < ended[j].ID })
	events := f.Events
	for _, fe := range ended {
		kind := store.EventExecutionCompleted
		if fe.State == store.ExecutionFailed {
			kind = store.EventExecutionFailed
		}
		events = append(events[:len(events):len(events)], engine.Event{Exec: fe.ID, Kind: kind})
	}
	if err := t.insertEvents(events); err != nil {
		return nil, err
	}
	return ended, nil
}

// insertEvents appends events, packed (see engine.PackEvents), many rows
// per statement. A row's id is the first multiple of engine.EventStride
// past the largest id the log ever held, plus its place in the statement;
// the store's one writer makes that safe. Statements are cached by text,
// so each batch size is compiled once.
func (t *tx) insertEvents(events []engine.Event) error {
	rows, err := engine.PackEvents(events)
	if err != nil {
		return err
	}
	rs := newRows(4, len(rows))
	for i, r := range rows {
		rs.add(i, r.Exec, r.N, r.Events)
	}
	_, err = t.execRows(`WITH fixed (runner, at, base) AS ( -- the fixed parameters come first (see rowSet)
			SELECT ?1, ?2, (`+lastEventRowSQL+` / ?3 + 1) * ?3)
		INSERT INTO cloacina_events (id, execution_id, runner_id, at, n, events)
		SELECT fixed.base + d.column1 * ?3, d.column2, fixed.runner, fixed.at, d.column3, d.column4
		FROM fixed, (VALUES {rows}) AS d`, []any{t.runner, t.now, engine.EventStride}, rs)
	if err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	return nil
}

// queryRow is QueryRow on a prepared statement. A preparation error is
// returned by Scan.
func (t *tx) queryRow(query string, args ...any) rowScanner {
	t.count(args)
	st, err := t.stmt(query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(t.ctx, args...)
}

type rowScanner interface{ Scan(...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
