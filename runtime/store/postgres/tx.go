package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/internal/engine"
)

// tx is one write transaction: the engine.Tx of this backend. Sets of rows
// travel as arrays and are read with unnest, so each method is one
// statement. Statements that return nothing are deferred: they travel in
// the same round trip as the next statement that returns rows, or with
// the final batch, which also carries the COMMIT. A CompleteTasks that
// records outcomes and claims is then four round trips whatever its size:
// the outcomes, the dependents, the claim (after the decisions), and the
// events, counters and notifications with the commit.
//
// Every statement that needs the time takes it as $1 (see nowSQL): the
// caller's time, or NULL for the server's clock (now(), or
// clock_timestamp() for heartbeats, so that a heartbeat is never stale on
// arrival).
type tx struct {
	s        *Store
	ctx      context.Context
	c        *txConn
	runner   string
	now      *time.Time
	copyAt   time.Time // the transaction's time, once copyIn read it
	deferred []deferred
	// What to notify once the transaction commits (see notifier).
	ready             bool
	finished, changed []string
	schedules         bool
	appended          bool // events were appended
}

var _ engine.Tx = (*tx)(nil)

// deferred is a statement waiting for the next round trip. read, when set,
// reads its result; otherwise it is executed for its effect.
type deferred struct {
	sql  string
	args []any
	read func(pgx.Rows) error
}

// nowSQL is the transaction's time in SQL; see tx.
const nowSQL = `coalesce($1::timestamptz, now())`

// later defers a statement.
func (t *tx) later(query string, args ...any) {
	t.deferred = append(t.deferred, deferred{sql: t.s.q(query), args: args})
}

// flush queues the deferred statements on b and returns a function that
// reads their results from the batch's results, in order.
func (t *tx) flush(b *pgx.Batch) func(br pgx.BatchResults) error {
	ds := t.deferred
	t.deferred = nil
	for _, d := range ds {
		b.Queue(d.sql, d.args...)
	}
	return func(br pgx.BatchResults) error {
		for _, d := range ds {
			if d.read == nil {
				if _, err := br.Exec(); err != nil {
					return err
				}
				continue
			}
			rows, err := br.Query()
			if err != nil {
				return err
			}
			err = readAll(rows, d.read)
			if err != nil {
				return err
			}
		}
		return nil
	}
}

func readAll(rows pgx.Rows, read func(pgx.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := read(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// query runs a statement after the deferred ones, in one round trip, and
// calls scan for each of its rows.
func (t *tx) query(scan func(pgx.Rows) error, query string, args ...any) error {
	b := &pgx.Batch{}
	readDeferred := t.flush(b)
	b.Queue(t.s.q(query), args...)
	br, err := t.c.SendBatch(t.ctx, b)
	if err != nil {
		return err
	}
	defer br.Close()
	if err := readDeferred(br); err != nil {
		return err
	}
	rows, err := br.Query()
	if err != nil {
		return err
	}
	if err := readAll(rows, scan); err != nil {
		return err
	}
	return br.Close()
}

// exec runs a statement after the deferred ones and returns the rows it
// affected.
func (t *tx) exec(query string, args ...any) (int64, error) {
	b := &pgx.Batch{}
	readDeferred := t.flush(b)
	b.Queue(t.s.q(query), args...)
	br, err := t.c.SendBatch(t.ctx, b)
	if err != nil {
		return 0, err
	}
	defer br.Close()
	if err := readDeferred(br); err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), br.Close()
}

func keyArrays(keys []engine.Key) (execs, tasks []string) {
	execs, tasks = make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		execs[i], tasks[i] = k.Exec, k.Task
	}
	return execs, tasks
}

// taskRowColumns are the columns engine.ScanTaskRow reads, qualified with t.
const taskRowColumns = `t.id, t.execution_id, t.task_id, t.workflow_name, t.workflow_version, t.deps, t.rule_tasks, t.dependents`

// largeValue is the size from which a value is inserted by a statement of
// its own: passed inside a bytea array and unnested, an 8 MiB value took
// the server twice as long to store as passed as a parameter by itself.
const largeValue = 64 << 10

// InsertValues implements engine.Tx: large values one statement each,
// the others in one.
func (t *tx) InsertValues(vals []engine.ExecValue) error {
	var execs, hashes []string
	var datas [][]byte
	for _, v := range vals {
		if len(v.Value.Data) >= largeValue {
			t.later(`INSERT INTO cloacina_values (execution_id, hash, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				v.Exec, v.Value.Hash, v.Value.Data)
			continue
		}
		execs, hashes, datas = append(execs, v.Exec), append(hashes, v.Value.Hash), append(datas, v.Value.Data)
	}
	if len(execs) > 0 {
		t.later(`INSERT INTO cloacina_values (execution_id, hash, data)
			SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[]) ON CONFLICT DO NOTHING`, execs, hashes, datas)
	}
	return nil
}

// ExecutionsByKey implements engine.Tx.
func (t *tx) ExecutionsByKey(keys []string) (map[string]*store.Execution, error) {
	out := map[string]*store.Execution{}
	err := t.query(func(r pgx.Rows) error {
		ex, err := engine.ScanKeyedExecution(r.Scan)
		if err != nil {
			return err
		}
		out[ex.IdempotencyKey] = ex
		return nil
	}, `SELECT `+engine.KeyedExecutionColumns+` FROM cloacina_executions
		WHERE idempotency_key = ANY($1)`, keys)
	return out, err
}

// InsertExecutions implements engine.Tx: a few rows from arrays, in the
// next round trip; copyRowsMin rows or more by COPY.
func (t *tx) InsertExecutions(rows []*engine.ExecRow) error {
	if len(rows) >= copyRowsMin {
		return t.copyExecutions(rows)
	}
	n := len(rows)
	ids, names, versions, tenants, inputs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	origins, originNames := make([]string, n), make([]string, n)
	refs, keys, metas := make([]*string, n), make([]*string, n), make([]*string, n)
	totals, leaves := make([]int32, n), make([]int32, n)
	timeouts := make([]*int64, n)
	byID := make(map[string]*engine.ExecRow, n)
	for i, r := range rows {
		ids[i], names[i], versions[i], tenants[i], inputs[i] = r.ID, r.WorkflowName, r.WorkflowVersion, r.Tenant, engine.DocText(&r.Input)
		origins[i], originNames[i], refs[i], totals[i], leaves[i] = r.Origin, r.OriginName, engine.DocRefs(&r.Input), int32(r.TasksTotal), int32(r.Leaves)
		if r.Timeout > 0 {
			us := r.Timeout.Microseconds()
			timeouts[i] = &us
		}
		if r.IdempotencyKey != "" {
			k := r.IdempotencyKey
			keys[i] = &k
		}
		if r.Meta != nil {
			m := string(r.Meta)
			metas[i] = &m
		}
		byID[r.ID] = r
	}
	t.deferred = append(t.deferred, deferred{
		sql: t.s.q(`INSERT INTO cloacina_executions (id, workflow_name, workflow_version, tenant, state, input, input_refs,
				tasks_total, leaves_remaining, created_at, deadline_at, idempotency_key, origin, origin_name, meta)
			SELECT u.id, u.name, u.version, u.tenant, 'pending', u.input::json, u.refs::json, u.total, u.leaves, ` + nowSQL + `,
				` + nowSQL + ` + u.timeout * interval '1 microsecond', u.key, u.origin, u.origin_name, u.meta::json
			FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::bigint[],
				$10::text[], $11::text[], $12::text[], $13::text[], $14::int[])
				AS u(id, name, version, tenant, input, refs, total, timeout, key, origin, origin_name, meta, leaves)
			RETURNING id, created_at, deadline_at`),
		args: []any{t.now, ids, names, versions, tenants, inputs, refs, totals, timeouts, keys, origins, originNames, metas, leaves},
		read: func(r pgx.Rows) error {
			var id string
			var created time.Time
			var deadline *time.Time
			if err := r.Scan(&id, &created, &deadline); err != nil {
				return err
			}
			if row := byID[id]; row != nil {
				row.CreatedAt = created
				if deadline != nil {
					row.Deadline = *deadline
				}
			}
			return nil
		},
	})
	return nil
}

// InsertTasks implements engine.Tx: a few rows from arrays, in the next
// round trip; copyRowsMin rows or more by COPY.
func (t *tx) InsertTasks(rows []*engine.NewTaskRow) error {
	if len(rows) >= copyRowsMin {
		return t.copyTasks(rows)
	}
	n := len(rows)
	var (
		execs, ids, names, versions, deps, rules, dependents, states, reasons, errs = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		positions, pending, maxAttempts                                             = make([]int32, n), make([]int32, n), make([]int32, n)
		inputs, inputRefs                                                           = make([]*string, n), make([]*string, n)
	)
	for i, r := range rows {
		execs[i], ids[i], names[i], versions[i] = r.Exec, r.Task, r.WorkflowName, r.Version
		deps[i], rules[i], dependents[i] = engine.JoinList(r.Deps), engine.JoinList(r.RuleTasks), engine.JoinList(r.Dependents)
		positions[i], maxAttempts[i], states[i] = int32(r.Position), int32(r.MaxAttempts), string(r.State)
		if r.State == store.TaskNotStarted {
			pending[i] = int32(len(r.Deps))
		}
		switch r.State {
		case store.TaskReady:
			in := engine.DocText(r.Input)
			inputs[i], inputRefs[i] = &in, engine.DocRefs(r.Input)
		case store.TaskSkipped:
			in := engine.DocText(r.Input)
			inputs[i], inputRefs[i], reasons[i] = &in, engine.DocRefs(r.Input), r.Reason
		case store.TaskFailed:
			errs[i] = r.Reason
		}
	}
	t.later(`INSERT INTO cloacina_tasks
			(execution_id, task_id, workflow_name, workflow_version, position, deps, rule_tasks, dependents, pending_deps,
			 max_attempts, state, retry_at, input, input_refs, output, output_refs, skip_reason, error, completed_at)
		SELECT u.e, u.k, u.name, u.version, u.pos, u.deps, u.rules, u.dependents, u.pending, u.max, u.state,
			CASE WHEN u.state = 'ready' THEN `+nowSQL+` END, u.i::json, u.r::json,
			CASE WHEN u.state = 'skipped' THEN u.i::json END, CASE WHEN u.state = 'skipped' THEN u.r::json END,
			u.reason, u.err, CASE WHEN u.state IN ('skipped', 'failed') THEN `+nowSQL+` END
		FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::text[],
			$10::int[], $11::int[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
			AS u(e, k, name, version, pos, deps, rules, dependents, pending, max, state, i, r, reason, err)`,
		t.now, execs, ids, names, versions, positions, deps, rules, dependents, pending, maxAttempts, states, inputs, inputRefs, reasons, errs)
	return nil
}

// copyRowsMin is the number of rows from which InsertTasks and
// InsertExecutions copy them into the table (COPY) instead of inserting
// them from arrays: the server takes the rows as they are, without
// unpacking arrays and casting each value, which on 20,000 task rows
// saves about 40% of the insert. COPY needs a round trip of its own,
// which a few rows do not repay.
const copyRowsMin = 1000

// copyIn copies n rows into one of the schema's tables by COPY; row
// gives the i-th, for the transaction's time, which copied rows take.
// The statements deferred so far run first, so that what was written
// before a COPY is written before it, in the round trip that reads the
// time; a later COPY with nothing deferred in between reuses it.
func (t *tx) copyIn(table string, columns []string, n int, row func(i int, now time.Time) []any) error {
	if !t.c.begun || len(t.deferred) > 0 || t.copyAt.IsZero() {
		if err := t.query(func(r pgx.Rows) error { return r.Scan(&t.copyAt) }, `SELECT `+nowSQL, t.now); err != nil {
			return err
		}
	}
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = row(i, t.copyAt)
	}
	_, err := t.c.c.CopyFrom(t.ctx, pgx.Identifier{t.s.schema, table}, columns, pgx.CopyFromRows(rows))
	return err
}

// copiedExecutionColumns are the columns copyExecutions fills, in the order of
// its rows.
var copiedExecutionColumns = []string{"id", "workflow_name", "workflow_version", "tenant", "state", "input", "input_refs",
	"tasks_total", "leaves_remaining", "created_at", "deadline_at", "idempotency_key", "origin", "origin_name", "meta"}

// copyExecutions is InsertExecutions by COPY. The rows' creation and
// deadline are the transaction's time, as the INSERT gives them.
func (t *tx) copyExecutions(rows []*engine.ExecRow) error {
	err := t.copyIn("cloacina_executions", copiedExecutionColumns, len(rows), func(i int, now time.Time) []any {
		r := rows[i]
		r.CreatedAt = now
		var deadline *time.Time
		if r.Timeout > 0 {
			r.Deadline = now.Add(time.Duration(r.Timeout.Microseconds()) * time.Microsecond)
			deadline = &r.Deadline
		}
		var key, meta *string
		if r.IdempotencyKey != "" {
			key = &r.IdempotencyKey
		}
		if r.Meta != nil {
			m := string(r.Meta)
			meta = &m
		}
		return []any{r.ID, r.WorkflowName, r.WorkflowVersion, r.Tenant, string(store.ExecutionPending),
			engine.DocText(&r.Input), engine.DocRefs(&r.Input), int32(r.TasksTotal), int32(r.Leaves), now, deadline,
			key, r.Origin, r.OriginName, meta}
	})
	if err != nil {
		return fmt.Errorf("insert executions: %w", err)
	}
	return nil
}

// copiedTaskColumns are the columns copyTasks fills, in the order of its rows.
var copiedTaskColumns = []string{"execution_id", "task_id", "workflow_name", "workflow_version", "position", "deps", "rule_tasks",
	"dependents", "pending_deps", "max_attempts", "state", "retry_at", "input", "input_refs", "output", "output_refs",
	"skip_reason", "error", "completed_at"}

// copyTasks is InsertTasks by COPY (see copyIn).
func (t *tx) copyTasks(rows []*engine.NewTaskRow) error {
	err := t.copyIn("cloacina_tasks", copiedTaskColumns, len(rows), func(i int, now time.Time) []any {
		r := rows[i]
		var pending int32
		var retryAt, completedAt *time.Time
		var input, inputRefs, output, outputRefs *string
		var reason, failure string
		switch r.State {
		case store.TaskNotStarted:
			pending = int32(len(r.Deps))
		case store.TaskReady:
			in := engine.DocText(r.Input)
			input, inputRefs, retryAt = &in, engine.DocRefs(r.Input), &now
		case store.TaskSkipped:
			in := engine.DocText(r.Input)
			input, inputRefs, reason, completedAt = &in, engine.DocRefs(r.Input), r.Reason, &now
			output, outputRefs = input, inputRefs
		case store.TaskFailed:
			failure, completedAt = r.Reason, &now
		}
		return []any{r.Exec, r.Task, r.WorkflowName, r.Version, int32(r.Position), engine.JoinList(r.Deps),
			engine.JoinList(r.RuleTasks), engine.JoinList(r.Dependents), pending, int32(r.MaxAttempts), string(r.State),
			retryAt, input, inputRefs, output, outputRefs, reason, failure, completedAt}
	})
	if err != nil {
		return fmt.Errorf("insert tasks: %w", err)
	}
	return nil
}

// RecordOutcomes implements engine.Tx: one guarded UPDATE, whose rows are
// locked in id order (see Lock order in the package documentation). The
// rows are found by key alone and the claim is checked by the update: a
// filter on the state next to the join would let the planner scan the
// partial index of every running row, dead versions included, instead of
// probing the key's index once per row, and on a table without fresh
// statistics it does, at milliseconds a statement. An outcome whose claim
// was lost locks its row for nothing, which is rare.
func (t *tx) RecordOutcomes(kind store.OutcomeKind, outs []*engine.OutcomeRow) ([]*engine.TaskRow, error) {
	var set string
	switch kind {
	case store.OutcomeSucceeded:
		set = `state = 'completed', output = COALESCE(d.o::json, t.input),
			output_refs = CASE WHEN d.o IS NULL THEN t.input_refs ELSE d.r::json END,
			completed_at = ` + nowSQL + `, error = '', error_detail = ''`
	case store.OutcomeRetry:
		set = `state = 'ready', retry_at = ` + nowSQL + ` + d.delay * interval '1 microsecond', ready_at = NULL,
			error = d.m, error_detail = d.x`
	case store.OutcomeFailed:
		set = `state = 'failed', output = t.input, output_refs = t.input_refs, completed_at = ` + nowSQL + `,
			error = d.m, error_detail = d.x`
	default:
		return nil, fmt.Errorf("unknown outcome kind %d", kind)
	}
	n := len(outs)
	execs, tasks, msgs, details := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	outputs, refs := make([]*string, n), make([]*string, n)
	attempts := make([]int32, n)
	delays := make([]int64, n)
	for i, o := range outs {
		execs[i], tasks[i], attempts[i], msgs[i], details[i] = o.Exec, o.Task, int32(o.Attempt), o.Error, string(o.ErrorDetail)
		delays[i] = o.RetryDelay.Microseconds()
		if o.Output != nil {
			out := engine.DocText(o.Output)
			outputs[i], refs[i] = &out, engine.DocRefs(o.Output)
		}
	}
	var done []*engine.TaskRow
	err := t.query(func(r pgx.Rows) error {
		row, err := engine.ScanTaskRow(r.Scan)
		done = append(done, row)
		return err
	}, `WITH d AS MATERIALIZED (
			SELECT t.id, u.* FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[])
				AS u(e, k, a, o, r, m, x, delay)
			JOIN cloacina_tasks t ON t.execution_id = u.e AND t.task_id = u.k
			ORDER BY t.id FOR UPDATE OF t)
		UPDATE cloacina_tasks AS t SET `+set+`, claimed_by = NULL, heartbeat_at = NULL
		FROM d WHERE t.id = d.id AND t.state = 'running' AND t.claimed_by = $10 AND t.attempt = d.a
		RETURNING `+taskRowColumns, t.now, execs, tasks, attempts, outputs, refs, msgs, details, delays, t.runner)
	return done, err
}

// Unblock implements engine.Tx in one statement: it locks the tasks in id
// order and reads, for those left with no pending dependency, the
// dependencies' states and outputs. Only the tasks still blocked have
// their count written (deferred): the others are about to be decided, and
// updating them twice would write every one of them twice.
func (t *tx) Unblock(keys []engine.Key, n []int) ([]*engine.TaskRow, map[engine.Key]*store.DepResult, error) {
	execs, tasks := keyArrays(keys)
	ns := make([]int32, len(n))
	for i, v := range n {
		ns[i] = int32(v)
	}
	var unblocked []*engine.TaskRow
	deps := map[engine.Key]*store.DepResult{}
	var blockedIDs []int64
	var blockedCounts []int32
	seen := map[int64]bool{}
	err := t.query(func(r pgx.Rows) error {
		var pending int32
		var depTask, depState, depData, depRefs, meta *string
		var deadline *time.Time
		ci := &engine.ClaimInfo{}
		row, err := engine.ScanTaskRow(r.Scan, &pending, &ci.Held, &ci.Attempt, &ci.MaxAttempts, &deadline, &ci.FirstClaim,
			&meta, &ci.Now, &ci.Created, &depTask, &depState, &depData, &depRefs)
		if err != nil {
			return err
		}
		if deadline != nil {
			ci.Deadline = *deadline
		}
		if meta != nil {
			ci.Meta = []byte(*meta)
		}
		row.Claim = ci
		if pending > 0 {
			blockedIDs, blockedCounts = append(blockedIDs, row.ID), append(blockedCounts, pending)
			return nil
		}
		if !seen[row.ID] {
			seen[row.ID] = true
			unblocked = append(unblocked, row)
		}
		if depTask != nil {
			d := &store.DepResult{TaskID: *depTask, State: store.TaskState(*depState)}
			if d.Output, err = engine.ScanDoc(depData, depRefs); err != nil {
				return err
			}
			deps[engine.Key{Exec: row.Exec, Task: *depTask}] = d
		}
		return nil
	}, `WITH lk AS MATERIALIZED (
			SELECT t.id, t.execution_id, t.task_id, t.workflow_name, t.workflow_version, t.deps, t.rule_tasks, t.dependents,
				t.pending_deps - d.n AS pending, t.held, t.attempt, t.max_attempts,
				e.deadline_at, e.started_at IS NULL AS first, e.meta::text AS meta, e.created_at
			FROM unnest($2::text[], $3::text[], $4::int[]) AS d(e, k, n)
			JOIN cloacina_tasks t ON t.execution_id = d.e AND t.task_id = d.k
			-- OFFSET 0 keeps the lookup a probe of the primary key per task:
			-- as a plain join, a table without statistics was hashed whole.
			CROSS JOIN LATERAL (SELECT * FROM cloacina_executions x WHERE x.id = t.execution_id OFFSET 0) AS e
			WHERE t.state = 'not_started' ORDER BY t.id FOR UPDATE OF t)
		SELECT lk.id, lk.execution_id, lk.task_id, lk.workflow_name, lk.workflow_version, lk.deps, lk.rule_tasks, lk.dependents,
			lk.pending, lk.held, lk.attempt, lk.max_attempts, lk.deadline_at, lk.first, lk.meta, `+nowSQL+`, lk.created_at,
			x.task_id, x.state, x.output::text, x.output_refs::text
		FROM lk LEFT JOIN LATERAL (
			SELECT x.task_id, x.state, x.output, x.output_refs FROM cloacina_tasks x
			WHERE lk.pending = 0 AND x.execution_id = lk.execution_id
			  AND x.task_id = ANY(string_to_array(concat_ws(',', NULLIF(lk.deps, ''), NULLIF(lk.rule_tasks, '')), ','))
		) AS x ON true`, t.now, execs, tasks, ns)
	if err != nil {
		return nil, nil, err
	}
	if len(blockedIDs) > 0 {
		t.later(`UPDATE cloacina_tasks AS t SET pending_deps = d.p FROM unnest($1::bigint[], $2::int[]) AS d(id, p) WHERE t.id = d.id`,
			blockedIDs, blockedCounts)
	}
	// The dependencies were read with the statement's snapshot. A task
	// whose lock was waited for may have been unblocked by a transaction
	// that committed after it: its dependencies finished there, and a
	// statement of its own, with a snapshot taken now, reads them.
	var stale []engine.Key
	for _, row := range unblocked {
		for _, names := range [][]string{row.Deps, row.RuleTasks} {
			for _, name := range names {
				k := engine.Key{Exec: row.Exec, Task: name}
				if d := deps[k]; d == nil || !d.State.Terminal() {
					stale = append(stale, k)
				}
			}
		}
	}
	if len(stale) > 0 {
		fresh, err := t.loadDeps(stale)
		if err != nil {
			return nil, nil, err
		}
		for k, d := range fresh {
			deps[k] = d
		}
	}
	return unblocked, deps, nil
}

// loadDeps returns the state and output of the given tasks.
func (t *tx) loadDeps(keys []engine.Key) (map[engine.Key]*store.DepResult, error) {
	out := make(map[engine.Key]*store.DepResult, len(keys))
	execs, tasks := keyArrays(keys)
	err := t.query(func(r pgx.Rows) error {
		k, d, err := engine.ScanDep(r.Scan)
		out[k] = d
		return err
	}, `SELECT t.execution_id, t.task_id, t.state, t.output::text, t.output_refs::text
		FROM unnest($1::text[], $2::text[]) AS d(e, k)
		JOIN cloacina_tasks t ON t.execution_id = d.e AND t.task_id = d.k`, execs, tasks)
	return out, err
}

// LoadInputs implements engine.Tx.
func (t *tx) LoadInputs(ids []string) (map[string]store.Doc, error) {
	out := make(map[string]store.Doc, len(ids))
	err := t.query(func(r pgx.Rows) error {
		id, doc, err := engine.ScanInput(r.Scan)
		if err == nil {
			out[id] = doc
		}
		return err
	}, `SELECT id, input::text, input_refs::text FROM cloacina_executions WHERE id = ANY($1)`, ids)
	return out, err
}

// LoadValues implements engine.Tx.
func (t *tx) LoadValues(exec string, hashes []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(hashes))
	err := t.query(func(r pgx.Rows) error {
		var h string
		var data []byte
		err := r.Scan(&h, &data)
		out[h] = data
		return err
	}, `SELECT hash, data FROM cloacina_values WHERE execution_id = $1 AND hash = ANY($2)`, exec, hashes)
	return out, err
}

// SetDecided implements engine.Tx: one deferred statement per kind of
// decision. The rows were locked by LowerPending.
func (t *tx) SetDecided(ds []*engine.Decided) error {
	var readyIDs, claimIDs, skipIDs, failIDs []int64
	var readyIn, claimIn, skipIn, skipReason, failMsg []string
	var readyRefs, claimRefs, skipRefs []*string
	var readyQueue []*time.Time
	for _, d := range ds {
		switch {
		case d.State == store.TaskReady && d.Claim:
			claimIDs, claimIn, claimRefs = append(claimIDs, d.ID), append(claimIn, engine.DocText(d.Input)), append(claimRefs, engine.DocRefs(d.Input))
		case d.State == store.TaskReady:
			readyIDs, readyIn, readyRefs = append(readyIDs, d.ID), append(readyIn, engine.DocText(d.Input)), append(readyRefs, engine.DocRefs(d.Input))
			var q *time.Time // NULL: now
			if !d.Queue.IsZero() {
				q = &d.Queue
			}
			readyQueue = append(readyQueue, q)
		case d.State == store.TaskSkipped:
			skipIDs, skipIn, skipRefs = append(skipIDs, d.ID), append(skipIn, engine.DocText(d.Input)), append(skipRefs, engine.DocRefs(d.Input))
			skipReason = append(skipReason, d.Reason)
		default:
			failIDs, failMsg = append(failIDs, d.ID), append(failMsg, d.Reason)
		}
	}
	if len(readyIDs) > 0 {
		t.later(`UPDATE cloacina_tasks AS t SET state = 'ready', retry_at = coalesce(d.q, `+nowSQL+`), ready_at = `+nowSQL+`,
				input = d.i::json, input_refs = d.r::json
			FROM unnest($2::bigint[], $3::text[], $4::text[], $5::timestamptz[]) AS d(id, i, r, q) WHERE t.id = d.id`,
			t.now, readyIDs, readyIn, readyRefs, readyQueue)
	}
	if len(claimIDs) > 0 {
		// As Claim sets a claimed row, in the same write that readies it.
		t.later(`UPDATE cloacina_tasks AS t SET state = 'running', retry_at = `+nowSQL+`, input = d.i::json, input_refs = d.r::json,
				claimed_by = $5, attempt = t.attempt + 1, heartbeat_at = coalesce($1::timestamptz, clock_timestamp()),
				started_at = COALESCE(t.started_at, `+nowSQL+`)
			FROM unnest($2::bigint[], $3::text[], $4::text[]) AS d(id, i, r) WHERE t.id = d.id`, t.now, claimIDs, claimIn, claimRefs, t.runner)
	}
	if len(skipIDs) > 0 {
		t.later(`UPDATE cloacina_tasks AS t SET state = 'skipped', input = d.i::json, input_refs = d.r::json,
				output = d.i::json, output_refs = d.r::json, skip_reason = d.s, completed_at = `+nowSQL+`
			FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) AS d(id, i, r, s) WHERE t.id = d.id`,
			t.now, skipIDs, skipIn, skipRefs, skipReason)
	}
	if len(failIDs) > 0 {
		t.later(`UPDATE cloacina_tasks AS t SET state = 'failed', error = d.m, completed_at = `+nowSQL+`
			FROM unnest($2::bigint[], $3::text[]) AS d(id, m) WHERE t.id = d.id`, t.now, failIDs, failMsg)
	}
	return nil
}

// Claim implements engine.Tx. Rows other runners hold are skipped. Ready
// rows of paused executions are held, and cancelled and ended executions
// have none, so the choice reads one table.
func (t *tx) Claim(limit int, workflows []string) ([]*engine.Claimed, time.Time, error) {
	filter := workflows
	if filter == nil {
		filter = []string{}
	}
	var got []*engine.Claimed
	var next time.Time
	// The claim walks the ready index in order and stops at its limit
	// (bitmap scans are off in write transactions: see opening).
	err := t.query(func(r pgx.Rows) error {
		var exec, task, name, version, input *string
		var attempt, maxAttempts *int
		var refs, meta *string
		var readyAt, deadline, nx *time.Time
		var first *bool
		if err := r.Scan(&exec, &task, &name, &version, &attempt, &maxAttempts, &input, &refs, &readyAt,
			&deadline, &first, &meta, &nx); err != nil {
			return err
		}
		if nx != nil {
			next = *nx
		}
		if exec == nil { // nothing claimed: the row carries only the next retry time
			return nil
		}
		doc, err := engine.ScanDoc(input, refs)
		if err != nil {
			return err
		}
		c := &engine.Claimed{FirstClaim: *first}
		c.ExecutionID, c.TaskID, c.WorkflowName, c.WorkflowVersion = *exec, *task, *name, *version
		c.Attempt, c.MaxAttempts, c.Input, c.ReadyAt = *attempt, *maxAttempts, *doc, *readyAt
		if deadline != nil {
			c.Deadline = *deadline
		}
		if meta != nil {
			c.Meta = []byte(*meta)
		}
		got = append(got, c)
		return nil
	}, `WITH c AS (
			SELECT id FROM cloacina_tasks
			WHERE state = 'ready' AND NOT held AND retry_at <= `+nowSQL+` AND (NOT $3 OR workflow_name = ANY($4))
			ORDER BY retry_at, id LIMIT $5
			FOR UPDATE SKIP LOCKED),
		u AS (
			UPDATE cloacina_tasks AS t SET state = 'running', claimed_by = $2, attempt = t.attempt + 1,
				heartbeat_at = coalesce($1::timestamptz, clock_timestamp()), started_at = COALESCE(t.started_at, `+nowSQL+`)
			FROM c WHERE t.id = c.id
			RETURNING t.execution_id, t.task_id, t.workflow_name, t.workflow_version, t.attempt, t.max_attempts,
				COALESCE(t.input::text, '{}') AS input, t.input_refs::text AS refs, COALESCE(t.ready_at, t.retry_at) AS ready_at),
		nx AS (SELECT min(retry_at) AS next FROM cloacina_tasks WHERE state = 'ready' AND NOT held AND retry_at > `+nowSQL+`)
		SELECT u.execution_id, u.task_id, u.workflow_name, u.workflow_version, u.attempt, u.max_attempts, u.input, u.refs,
			u.ready_at, e.deadline_at, e.started_at IS NULL, e.meta::text, nx.next
		FROM nx LEFT JOIN (u JOIN cloacina_executions e ON e.id = u.execution_id) ON true`,
		t.now, t.runner, workflows != nil, filter, limit)
	return got, next, err
}

// Heartbeat implements engine.Tx. The claims still held are read without
// locks; the heartbeat is written only to rows nobody else has locked. A
// row another transaction holds is being completed by this runner or taken
// back by a sweeper: waiting for it would only block both, and whether it
// is still held is known from the read.
func (t *tx) Heartbeat(refs []store.TaskRef) (map[engine.Key]bool, error) {
	n := len(refs)
	execs, tasks, attempts := make([]string, n), make([]string, n), make([]int32, n)
	for i, r := range refs {
		execs[i], tasks[i], attempts[i] = r.ExecutionID, r.TaskID, int32(r.Attempt)
	}
	held := map[engine.Key]bool{}
	err := t.query(func(r pgx.Rows) error {
		var k engine.Key
		err := r.Scan(&k.Exec, &k.Task)
		held[k] = true
		return err
	}, `WITH j AS MATERIALIZED ( -- no state filter here: see RecordOutcomes
			SELECT t.id, t.execution_id, t.task_id, t.attempt, t.claimed_by, t.state, d.a
			FROM unnest($2::text[], $3::text[], $4::int[]) AS d(e, k, a)
			JOIN cloacina_tasks t ON t.execution_id = d.e AND t.task_id = d.k),
		held AS (SELECT id, execution_id, task_id FROM j WHERE attempt = a AND claimed_by = $5 AND state = 'running'),
		lk AS (SELECT t.id FROM cloacina_tasks t JOIN held ON held.id = t.id
			WHERE t.claimed_by = $5 AND t.state = 'running' ORDER BY t.id FOR UPDATE OF t SKIP LOCKED),
		upd AS (UPDATE cloacina_tasks AS t SET heartbeat_at = coalesce($1::timestamptz, clock_timestamp()) FROM lk WHERE t.id = lk.id)
		SELECT execution_id, task_id FROM held`, t.now, execs, tasks, attempts, t.runner)
	return held, err
}

// StaleClaims implements engine.Tx. Stale rows are locked with SKIP
// LOCKED, so runners sweeping at the same time split them.
func (t *tx) StaleClaims(staleAfter time.Duration) ([]*engine.StaleRow, error) {
	var out []*engine.StaleRow
	err := t.query(func(r pgx.Rows) error {
		st := &engine.StaleRow{}
		row, err := engine.ScanTaskRow(r.Scan, &st.Attempt, &st.Recoveries, &st.Owner)
		if err == nil {
			st.TaskRow = *row
			out = append(out, st)
		}
		return err
	}, `SELECT `+taskRowColumns+`, t.attempt, t.recoveries, COALESCE(t.claimed_by, '') FROM cloacina_tasks t
		WHERE t.state = 'running' AND t.heartbeat_at < `+nowSQL+` - $2 * interval '1 microsecond'
		ORDER BY t.id FOR UPDATE SKIP LOCKED`, t.now, staleAfter.Microseconds())
	return out, err
}

// Requeue implements engine.Tx.
func (t *tx) Requeue(ids []int64) error {
	t.later(`UPDATE cloacina_tasks SET state = 'ready', retry_at = `+nowSQL+`, ready_at = NULL, claimed_by = NULL, heartbeat_at = NULL,
		recoveries = recoveries + 1 WHERE id = ANY($2)`, t.now, ids)
	return nil
}

// Abandon implements engine.Tx.
func (t *tx) Abandon(ids []int64, errs []string) error {
	t.later(`UPDATE cloacina_tasks AS t SET state = 'failed', output = t.input, output_refs = t.input_refs,
			completed_at = `+nowSQL+`, claimed_by = NULL, heartbeat_at = NULL, error = d.m
		FROM unnest($2::bigint[], $3::text[]) AS d(id, m) WHERE t.id = d.id`, t.now, ids, errs)
	return nil
}

// ExecutionState implements engine.Tx.
func (t *tx) ExecutionState(id string) (store.ExecutionState, error) {
	var state store.ExecutionState
	found := false
	err := t.query(func(r pgx.Rows) error {
		found = true
		return r.Scan(&state)
	}, `SELECT state FROM cloacina_executions WHERE id = $1`, id)
	if err == nil && !found {
		return "", fmt.Errorf("execution %s: %w", id, store.ErrNotFound)
	}
	return state, err
}

// EndTasks implements engine.Tx. The tasks are locked in id order.
func (t *tx) EndTasks(exec, reason string) ([]*engine.EndedTask, error) {
	var out []*engine.EndedTask
	err := t.query(func(r pgx.Rows) error {
		e := &engine.EndedTask{}
		err := r.Scan(&e.Task, &e.Attempt, &e.State)
		out = append(out, e)
		return err
	}, `UPDATE cloacina_tasks
		SET state = CASE WHEN state = 'running' OR attempt > 0 THEN 'cancelled' ELSE 'skipped' END,
			skip_reason = $2, claimed_by = NULL, heartbeat_at = NULL, held = false, output = input, output_refs = input_refs,
			completed_at = `+nowSQL+`
		WHERE id IN (SELECT id FROM cloacina_tasks WHERE execution_id = $3 AND state IN ('not_started', 'ready', 'running')
			ORDER BY id FOR UPDATE)
		RETURNING task_id, attempt, state`, t.now, reason, exec)
	return out, err
}

// EndExecution implements engine.Tx.
func (t *tx) EndExecution(exec string, state store.ExecutionState, reason string) (bool, error) {
	n, err := t.exec(`UPDATE cloacina_executions SET state = $2, error = $3, completed_at = `+nowSQL+`, leaves_remaining = 0
		WHERE id = $4 AND state IN ('pending', 'running', 'paused')`, t.now, string(state), reason, exec)
	return n > 0, err
}

// SetHeld implements engine.Tx. The tasks are locked in id order.
func (t *tx) SetHeld(exec string, held bool) error {
	t.later(`UPDATE cloacina_tasks SET held = $1 WHERE id IN (SELECT id FROM cloacina_tasks
		WHERE execution_id = $2 AND held <> $1 AND state IN ('not_started', 'ready', 'running') ORDER BY id FOR UPDATE)`, held, exec)
	return nil
}

// SetPausedState implements engine.Tx.
func (t *tx) SetPausedState(exec string, paused bool) (bool, error) {
	q := `UPDATE cloacina_executions SET state = CASE WHEN started_at IS NULL THEN 'pending' ELSE 'running' END
		WHERE id = $1 AND state = 'paused'`
	if paused {
		q = `UPDATE cloacina_executions SET state = 'paused' WHERE id = $1 AND state IN ('pending', 'running')`
	}
	n, err := t.exec(q, exec)
	return n > 0, err
}

// counterUpdate applies the counters of a Final (see engine.CounterSet) to
// the executions rows that {from} names, appends the events of the
// executions it ended and returns those. The statement ended the execution
// if it is now finished with no leaf left and had some left before
// (leaves_remaining + d.n is the count before). A row updated
// by a transaction that committed while this one waited for its lock is
// updated in its newest version, the SET expressions and RETURNING
// evaluated against it.
var counterUpdate = `{with},
	upd AS (
		UPDATE cloacina_executions AS e SET ` + engine.CounterSet(nowSQL) + `
		{from}
		RETURNING e.id, e.state, e.workflow_name, e.created_at, e.completed_at,
			e.leaves_remaining <= 0 AND e.leaves_remaining + d.n > 0 AS ended),
	done AS (SELECT id, state, workflow_name, created_at, completed_at FROM upd WHERE ended AND state IN ('completed', 'failed')),
	ev AS (INSERT INTO cloacina_events (execution_id, n, events, runner_id, at)
		SELECT id, 1, '[{"k":"execution_' || state || '"}]', $7, ` + nowSQL + ` FROM done ORDER BY id)
	SELECT id, state, workflow_name, created_at, completed_at FROM done`

var (
	// counterSQL updates one execution, by its primary key.
	counterSQL = strings.NewReplacer(
		"{with}", `WITH d AS (SELECT $2::text AS id, $3::int AS n, $4::int AS f, $5::text AS m, $6::bool AS s)`,
		"{from}", `FROM d WHERE e.id = d.id`,
	).Replace(counterUpdate)
	// countersSQL updates several executions from arrays. The lk CTE
	// locks their rows in id order first, one probe of the primary key
	// each: an UPDATE ... FROM reaches its rows in the plan's order, which
	// two transactions need not share.
	countersSQL = strings.NewReplacer(
		"{with}", `WITH d AS (
		SELECT * FROM unnest($2::text[], $3::int[], $4::int[], $5::text[], $6::bool[]) AS d(id, n, f, m, s)),
	lk AS MATERIALIZED (
		SELECT x.id FROM (SELECT id FROM d ORDER BY id COLLATE "C") AS u
		CROSS JOIN LATERAL (SELECT e.id FROM cloacina_executions e WHERE e.id = u.id FOR UPDATE) AS x)`,
		"{from}", `FROM lk JOIN d ON d.id = lk.id WHERE e.id = lk.id`,
	).Replace(counterUpdate)
)

// Finish implements engine.Tx: the deferred statements, the events, the
// counters (one statement for the executions touched, locking them in id
// order, that ends those with nothing left to run and writes their events)
// and COMMIT, in one round trip. The notifications follow the commit (see
// notifier).
func (t *tx) Finish(f *engine.Final) ([]store.FinishedExecution, error) {
	b := &pgx.Batch{}
	readDeferred := t.flush(b)
	if len(f.Events) > 0 {
		rows, err := engine.PackEvents(f.Events)
		if err != nil {
			return nil, err
		}
		n := len(rows)
		execs, counts, events := make([]string, n), make([]int32, n), make([]string, n)
		for i, r := range rows {
			execs[i], counts[i], events[i] = r.Exec, int32(r.N), r.Events
		}
		b.Queue(t.s.q(`INSERT INTO cloacina_events (execution_id, n, events, runner_id, at)
			SELECT e, c, d, $5, `+nowSQL+` FROM unnest($2::text[], $3::int[], $4::text[])
			WITH ORDINALITY AS u(e, c, d, o) ORDER BY o`), t.now, execs, counts, events, t.runner)
	}
	if len(f.Counters) > 0 {
		n := len(f.Counters)
		ids, errs := make([]string, n), make([]string, n)
		terminal, failed := make([]int32, n), make([]int32, n)
		start := make([]bool, n)
		for i, c := range f.Counters {
			ids[i], terminal[i], failed[i], errs[i], start[i] = c.Exec, int32(c.Terminal), int32(c.Failed), c.FirstError, c.Start
		}
		// One statement, in the final batch so that it costs no round trip.
		// One execution's row is updated by its primary key. Several are
		// locked first, in id order, so two transactions lock executions in
		// the same order whatever plan the update gets (see countersSQL).
		if n == 1 {
			b.Queue(t.s.q(counterSQL), t.now, ids[0], terminal[0], failed[0], errs[0], start[0], t.runner)
		} else {
			b.Queue(t.s.q(countersSQL), t.now, ids, terminal, failed, errs, start, t.runner)
		}
	}
	t.ready, t.changed, t.finished, t.schedules = f.Ready, f.Changed, f.Ended, f.Schedules
	t.appended = len(f.Events) > 0
	if b.Len() == 0 {
		return nil, nil // nothing was written; the caller's commit ends the transaction
	}
	b.Queue("commit")
	t.c.committing = true
	br, err := t.c.SendBatch(t.ctx, b)
	if err != nil {
		return nil, err
	}
	defer br.Close()
	if err := readDeferred(br); err != nil {
		return nil, err
	}
	if len(f.Events) > 0 {
		if _, err := br.Exec(); err != nil {
			return nil, fmt.Errorf("append events: %w", err)
		}
	}
	var ended []store.FinishedExecution
	if len(f.Counters) > 0 {
		rows, err := br.Query()
		if err != nil {
			return nil, fmt.Errorf("update executions: %w", err)
		}
		if err := readAll(rows, func(r pgx.Rows) error {
			var fe store.FinishedExecution
			err := r.Scan(&fe.ID, &fe.State, &fe.WorkflowName, &fe.CreatedAt, &fe.CompletedAt)
			ended = append(ended, fe)
			return err
		}); err != nil {
			return nil, fmt.Errorf("update executions: %w", err)
		}
	}
	if err := readCommit(br); err != nil {
		return nil, err
	}
	t.c.done = true
	sort.Slice(ended, func(i, j int) bool { return ended[i].ID < ended[j].ID })
	for _, fe := range ended {
		t.finished = append(t.finished, fe.ID)
	}
	return ended, nil
}

// readCommit reads the result of the COMMIT that ends a batch. Once the
// server has answered COMMIT the transaction is durable, whatever happens
// to the connection next: an error closing the batch (the session was
// terminated before the server said it was ready for the next query) must
// not report the transaction as failed, or its caller would take stored
// work for lost (claimed tasks would sit until recovered as stale, and
// count against their recoveries). It closes br.
func readCommit(br pgx.BatchResults) error {
	tag, err := br.Exec()
	if err != nil {
		br.Close()
		return fmt.Errorf("commit: %w", err)
	}
	if tag.String() != "COMMIT" {
		br.Close()
		return fmt.Errorf("commit: the transaction was rolled back (%s)", tag)
	}
	_ = br.Close() // committed; a broken connection is discarded when released
	return nil
}

// Write implements engine.Backend. A transaction the server aborts to
// break a deadlock (or a serialization failure) is run again from the
// start, up to three times; so is one that failed on a broken connection
// before its COMMIT was sent, when nothing can have been stored: a server
// restart or a terminated backend leaves idle connections in the pool that
// fail on first use, and each should cost a retry on a fresh connection,
// not an error to the runner.
func (w writer) Write(ctx context.Context, now time.Time, runner string, fn func(engine.Tx) error) error {
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		var retry bool
		if retry, err = w.s.writeOnce(ctx, now, runner, fn); err == nil || !retry || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// writer is the store's engine.Backend.
type writer struct{ s *Store }

// writeOnce runs fn in one transaction. On failure it reports whether the
// whole operation may be run again: nothing was stored and another try can
// succeed.
func (s *Store) writeOnce(ctx context.Context, now time.Time, runner string, fn func(engine.Tx) error) (retry bool, _ error) {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	conn := &txConn{c: c}
	defer conn.Release(ctx)
	t := &tx{s: s, ctx: ctx, c: conn, runner: runner}
	if !now.IsZero() {
		t.now = &now
	}
	if err := fn(t); err != nil {
		return isRetryable(err) || (!conn.committing && isConnectionLost(err, conn)), mapError(err)
	}
	if len(t.deferred) > 0 { // Finish sends them; an operation that returned early has none left
		return false, errors.New("internal error: an operation left statements unsent")
	}
	if err := conn.Commit(ctx, conn.done); err != nil {
		return !conn.committing && isConnectionLost(err, conn), fmt.Errorf("commit: %w", err)
	}
	s.notify.add(t.ready, t.appended || len(t.finished) > 0, t.finished, t.changed)
	if t.schedules {
		s.notify.addSchedules()
	}
	return false, nil
}

// isRetryable reports a deadlock or serialization failure, after which the
// server rolled the transaction back.
func isRetryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// isConnectionLost reports an error that broke the connection: it was
// closed, or the server ended the session (class 57P, such as an
// administrator's pg_terminate_backend, or class 08).
func isConnectionLost(err error, c *txConn) bool {
	if c.c.Conn().IsClosed() || pgconn.SafeToRetry(err) {
		return true
	}
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "57P") || strings.HasPrefix(pgErr.Code, "08"))
}

// mapError maps PostgreSQL's errors to the store's sentinels.
func mapError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		switch pgErr.ConstraintName {
		case "cloacina_executions_pkey":
			return fmt.Errorf("%w: %w", store.ErrDuplicateID, err)
		case "cloacina_executions_idempotency":
			return fmt.Errorf("%w: %w", engine.ErrKeyTaken, err)
		}
	}
	return err
}
