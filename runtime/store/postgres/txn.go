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
	"github.com/cloacina-go/cloacina/runtime/store/internal/backend"
)

// txn is one write transaction and the bookkeeping flushed at its end:
// events, per-execution counters, the queue of tasks whose dependents must
// be looked at, and the notifications to send on commit.
type txn struct {
	backend.Ledger
	s       *Store
	ctx     context.Context
	tx      *txConn
	runner  string
	decide  store.DecideFunc
	execs   map[string]*execInfo
	notify  map[string]bool // payloads to NOTIFY on commit
	learned []string        // executions whose facts to cache once committed
}

type execInfo struct {
	backend.ExecInfo
	input []byte // loaded on demand
}

// run executes fn in a transaction and commits it with its bookkeeping. A
// transaction the server aborts to break a deadlock (or a serialization
// failure) is run again from the start, up to three times: fn must not
// keep state across calls except what it sets afresh.
//
// The same goes for a transaction that failed on a broken connection
// before its COMMIT was sent, when nothing can have been stored: a server
// restart or a terminated backend leaves idle connections in the pool that
// fail on first use, and each one should cost a retry on a fresh connection,
// not an error to the runner.
func (s *Store) run(ctx context.Context, runner string, decide store.DecideFunc, fn func(t *txn) error) (*backend.Ledger, error) {
	var err error
	var l *backend.Ledger
	for attempt := 0; attempt < 4; attempt++ {
		var retry bool
		if l, retry, err = s.runOnce(ctx, runner, decide, fn); err == nil || !retry || ctx.Err() != nil {
			return l, err
		}
	}
	return nil, err
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

// runOnce runs fn in one transaction. On failure it reports whether the
// whole operation may be run again: nothing was stored and another try can
// succeed.
func (s *Store) runOnce(ctx context.Context, runner string, decide store.DecideFunc, fn func(t *txn) error) (_ *backend.Ledger, retry bool, _ error) {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("connect: %w", err)
	}
	tx := &txConn{c: c}
	defer tx.Release(ctx)
	t := &txn{s: s, ctx: ctx, tx: tx, runner: runner, decide: decide,
		execs: map[string]*execInfo{}, notify: map[string]bool{}}
	failed := func(err error) (*backend.Ledger, bool, error) {
		return nil, isRetryable(err) || (!tx.committing && isConnectionLost(err, tx)), err
	}
	if err := fn(t); err != nil {
		return failed(err)
	}
	committed, err := t.finalize()
	if err != nil {
		return failed(err)
	}
	if err := tx.Commit(ctx, committed); err != nil {
		return failed(fmt.Errorf("commit: %w", err))
	}
	for _, id := range t.learned {
		s.execInfos.Put(id, t.execs[id].ExecInfo)
	}
	for _, c := range t.Contexts {
		s.contexts.Put(c.ID, c.Data)
	}
	return &t.Ledger, false, nil
}

// finalize decides dependents, then appends the events, applies the
// execution counters (ending executions with their event and notification),
// sends the other notifications and commits, in one round trip. It runs at
// the end of every operation and reports whether it sent the COMMIT.
func (t *txn) finalize() (committed bool, err error) {
	if err := t.drain(); err != nil {
		return false, err
	}
	if t.Readied > 0 {
		t.notify["r"] = true
	}
	touched := t.TakeDeltas()
	b := &pgx.Batch{}
	if len(t.Events) > 0 {
		t.queueEvents(b)
	}
	if len(touched.IDs) > 0 {
		t.queueCounters(b, touched)
	}
	notified := len(t.notify) > 0
	if notified {
		payloads := make([]string, 0, len(t.notify))
		for p := range t.notify {
			payloads = append(payloads, p)
		}
		sort.Strings(payloads)
		b.Queue(`SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, t.s.channel, payloads)
		t.notify = map[string]bool{}
	}
	if b.Len() == 0 {
		return false, nil
	}
	b.Queue("commit")
	t.tx.committing = true
	br, err := t.tx.SendBatch(t.ctx, b)
	if err != nil {
		return false, err
	}
	defer br.Close()
	if len(t.Events) > 0 {
		if _, err := br.Exec(); err != nil {
			return false, fmt.Errorf("append events: %w", err)
		}
		t.Events = t.Events[:0]
	}
	if len(touched.IDs) > 0 {
		var ended []store.FinishedExecution
		for range touched.IDs {
			rows, err := br.Query()
			if err != nil {
				return false, fmt.Errorf("update executions: %w", err)
			}
			for rows.Next() {
				var f store.FinishedExecution
				if err := rows.Scan(&f.ID, &f.State); err != nil {
					rows.Close()
					return false, fmt.Errorf("update executions: %w", err)
				}
				ended = append(ended, f)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return false, fmt.Errorf("update executions: %w", err)
			}
		}
		t.Ended(touched, ended, false) // their events are written by the statements
	}
	if notified {
		if _, err := br.Exec(); err != nil {
			return false, fmt.Errorf("notify: %w", err)
		}
	}
	tag, err := br.Exec()
	if err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	if tag.String() != "COMMIT" {
		return false, fmt.Errorf("commit: the transaction was rolled back (%s)", tag)
	}
	if err := br.Close(); err != nil {
		return false, fmt.Errorf("commit: %w", err)
	}
	return true, nil
}

func (t *txn) exec(query string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(t.ctx, t.s.q(query), args...)
	return tag.RowsAffected(), err
}

func (t *txn) query(query string, args ...any) (pgx.Rows, error) {
	return t.tx.Query(t.ctx, t.s.q(query), args...)
}

func (t *txn) queryRow(query string, args ...any) pgx.Row {
	return t.tx.QueryRow(t.ctx, t.s.q(query), args...)
}

func (t *txn) execInfo(execID string) (*execInfo, error) {
	if e, ok := t.execs[execID]; ok {
		return e, nil
	}
	if e, ok := t.s.execInfos.Get(execID); ok {
		info := &execInfo{ExecInfo: e}
		t.execs[execID] = info
		return info, nil
	}
	e := &execInfo{}
	var deadline, started *time.Time
	err := t.queryRow(`SELECT workflow_name, workflow_version, input_ctx, deadline_at, started_at
		FROM cloacina_executions WHERE id = $1`, execID).
		Scan(&e.WorkflowName, &e.WorkflowVersion, &e.InputCtx, &deadline, &started)
	if err != nil {
		return nil, fmt.Errorf("load execution %s: %w", execID, err)
	}
	if deadline != nil {
		e.Deadline = deadline.UnixMicro()
	}
	e.Started = started != nil
	t.execs[execID] = e
	t.learned = append(t.learned, execID)
	return e, nil
}

// insertContexts stores contexts and returns their ids in order. Ids are
// taken from the sequence first, so the order is exact.
func (t *txn) insertContexts(execIDs []string, datas [][]byte) ([]int64, error) {
	if len(datas) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(datas))
	rows, err := t.query(`SELECT nextval(pg_get_serial_sequence('cloacina_contexts', 'id')) FROM generate_series(1, $1)`, len(datas))
	if err != nil {
		return nil, fmt.Errorf("store contexts: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store contexts: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store contexts: %w", err)
	}
	texts := make([]string, len(datas))
	for i, d := range datas {
		if d == nil {
			d = []byte("{}")
		}
		texts[i] = string(d)
		t.RememberContext(ids[i], d)
	}
	if _, err := t.exec(`INSERT INTO cloacina_contexts (id, execution_id, data)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::json[])`, ids, execIDs, texts); err != nil {
		return nil, fmt.Errorf("store contexts: %w", err)
	}
	return ids, nil
}

func (t *txn) insertContext(execID string, data []byte) (int64, error) {
	ids, err := t.insertContexts([]string{execID}, [][]byte{data})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// loadContexts returns the given contexts, from the cache when it has them.
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
	rows, err := t.query(`SELECT id, data::text FROM cloacina_contexts WHERE id = ANY($1)`, missing)
	if err != nil {
		return nil, fmt.Errorf("load contexts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		ref := &store.ContextRef{}
		var data string
		if err := rows.Scan(&ref.ID, &data); err != nil {
			return nil, fmt.Errorf("load contexts: %w", err)
		}
		ref.Data = []byte(data)
		out[ref.ID] = ref
		t.RememberContext(ref.ID, ref.Data)
	}
	return out, rows.Err()
}

// drain walks the queue in waves: the dependents of the tasks that became
// terminal have their pending counts lowered in one statement, and those
// left with none are decided together. Skipped tasks form the next wave.
func (t *txn) drain() error {
	for {
		keys, counts := t.NextWave()
		if len(keys) == 0 {
			return nil
		}
		execs, tasks, ns := make([]string, len(keys)), make([]string, len(keys)), make([]int32, len(keys))
		for i, k := range keys {
			execs[i], tasks[i], ns[i] = k.Exec, k.Task, int32(counts[i])
		}
		// Rows are locked in id order (see the package documentation, Lock order).
		rows, err := t.query(`WITH lk AS MATERIALIZED (
				SELECT t.id, d.n FROM unnest($1::text[], $2::text[], $3::int[]) AS d(e, k, n)
				JOIN cloacina_tasks t ON t.execution_id = d.e AND t.task_id = d.k
				WHERE t.state = 'not_started' ORDER BY t.id FOR UPDATE OF t)
			UPDATE cloacina_tasks AS t SET pending_deps = t.pending_deps - lk.n FROM lk WHERE t.id = lk.id
			RETURNING t.id, t.execution_id, t.task_id, t.deps, t.rule_tasks, t.dependents, t.pending_deps`, execs, tasks, ns)
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

// decideAll decides tasks whose dependencies are all terminal and stores
// the answers: one statement to load every dependency, one for new input
// contexts, one per kind of answer.
func (t *txn) decideAll(rows []*backend.TaskRow) error {
	if len(rows) == 0 {
		return nil
	}
	deps, err := t.loadDeps(rows)
	if err != nil {
		return err
	}
	decisions := make([]backend.Decision, len(rows))
	if err := t.decideMany(rows, func(i int) (*store.DecideInput, error) { return t.decideInput(rows[i], deps) }, decisions); err != nil {
		return err
	}
	var readyIDs, readyCtx, skipIDs, skipCtx, failIDs []int64
	var skipReason, failMsg []string
	for i, d := range decisions {
		switch d.State {
		case store.TaskReady:
			readyIDs, readyCtx = append(readyIDs, rows[i].ID), append(readyCtx, d.Ctx)
		case store.TaskSkipped:
			skipIDs, skipCtx, skipReason = append(skipIDs, rows[i].ID), append(skipCtx, d.Ctx), append(skipReason, d.Reason)
		default:
			failIDs, failMsg = append(failIDs, rows[i].ID), append(failMsg, d.Reason)
		}
	}
	if len(readyIDs) > 0 {
		if _, err := t.exec(`UPDATE cloacina_tasks AS t SET state = 'ready', retry_at = now(), input_ctx = d.c
			FROM unnest($1::bigint[], $2::bigint[]) AS d(id, c) WHERE t.id = d.id`, readyIDs, readyCtx); err != nil {
			return fmt.Errorf("ready tasks: %w", err)
		}
	}
	if len(skipIDs) > 0 {
		if _, err := t.exec(`UPDATE cloacina_tasks AS t
			SET state = 'skipped', input_ctx = d.c, output_ctx = d.c, skip_reason = d.r, completed_at = now()
			FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS d(id, c, r) WHERE t.id = d.id`, skipIDs, skipCtx, skipReason); err != nil {
			return fmt.Errorf("skip tasks: %w", err)
		}
	}
	if len(failIDs) > 0 {
		if _, err := t.exec(`UPDATE cloacina_tasks AS t SET state = 'failed', error = d.m, completed_at = now()
			FROM unnest($1::bigint[], $2::text[]) AS d(id, m) WHERE t.id = d.id`, failIDs, failMsg); err != nil {
			return fmt.Errorf("fail tasks: %w", err)
		}
	}
	return nil
}

// decideMany asks the DecideFunc about rows and fills decisions, storing
// new input contexts in one statement and doing the bookkeeping of each
// answer (events, counters, the queue of terminal tasks).
func (t *txn) decideMany(rows []*backend.TaskRow, input func(i int) (*store.DecideInput, error), decisions []backend.Decision) error {
	answers := make([]*store.Decision, len(rows))
	var newExecs []string
	var newData [][]byte
	var newFor []int
	for i, row := range rows {
		in, err := input(i)
		if err != nil {
			return err
		}
		dec, derr := t.decide(in)
		if derr != nil {
			decisions[i] = t.DecideFailed(row, derr)
			continue
		}
		answers[i] = dec
		if dec.ReuseContextID == 0 {
			newExecs, newData, newFor = append(newExecs, row.ExecID), append(newData, dec.Input), append(newFor, i)
		}
	}
	ids, err := t.insertContexts(newExecs, newData)
	if err != nil {
		return err
	}
	for k, i := range newFor {
		answers[i].ReuseContextID = ids[k]
	}
	for i, dec := range answers {
		if dec != nil {
			decisions[i] = t.Decided(rows[i], dec, dec.ReuseContextID)
		}
	}
	return nil
}

// loadDeps reads the state and output of every task the rows depend on or
// whose state their trigger rules read.
func (t *txn) loadDeps(rows []*backend.TaskRow) (map[backend.DepKey]store.DepResult, error) {
	keys := backend.DepKeys(rows)
	out := make(map[backend.DepKey]store.DepResult, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	execs, tasks := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		execs[i], tasks[i] = k.Exec, k.Task
	}
	res, err := t.query(`SELECT t.execution_id, t.task_id, t.state, t.output_ctx, c.data::text
		FROM unnest($1::text[], $2::text[]) AS d(e, k)
		JOIN cloacina_tasks t ON t.execution_id = d.e AND t.task_id = d.k
		LEFT JOIN cloacina_contexts c ON c.id = t.output_ctx`, execs, tasks)
	if err != nil {
		return nil, fmt.Errorf("load dependencies: %w", err)
	}
	defer res.Close()
	for res.Next() {
		var exec string
		var d store.DepResult
		var ctxID *int64
		var data *string
		if err := res.Scan(&exec, &d.TaskID, &d.State, &ctxID, &data); err != nil {
			return nil, fmt.Errorf("load dependencies: %w", err)
		}
		if ctxID != nil && data != nil {
			d.Output = &store.ContextRef{ID: *ctxID, Data: []byte(*data)}
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
			ctxs, err := t.loadContexts([]int64{info.InputCtx})
			if err != nil {
				return nil, err
			}
			if ctxs[info.InputCtx] == nil {
				return nil, fmt.Errorf("execution %s has no input context", row.ExecID)
			}
			info.input = ctxs[info.InputCtx].Data
		}
		input = &store.ContextRef{ID: info.InputCtx, Data: info.input}
	}
	return backend.NewDecideInput(row, info.WorkflowName, info.WorkflowVersion, input, deps)
}

// queueCounters queues, for every execution touched, the statement that
// applies its counters, starts it if its first task was claimed, and ends
// it if nothing is left to run, writing its event and notifying its
// waiters. One statement per execution, in id order: each locks one row by
// its primary key, so executions are locked in a fixed order, which a
// single statement over many rows cannot promise. In the final batch they
// cost no round trip. SET expressions see the row as it was; an execution
// ended here is recognised by its completion time, now(), which is this
// transaction's own.
func (t *txn) queueCounters(b *pgx.Batch, touched backend.Touched) {
	query := t.s.q(`WITH upd AS (
			UPDATE cloacina_executions AS e SET
				tasks_remaining = e.tasks_remaining - $2,
				tasks_failed = e.tasks_failed + $3,
				error = CASE WHEN e.error = '' THEN $4 ELSE e.error END,
				state = CASE WHEN e.tasks_remaining - $2 <= 0 AND e.state IN ('pending', 'running', 'paused')
					THEN CASE WHEN e.tasks_failed + $3 > 0 THEN 'failed' ELSE 'completed' END
					WHEN $5 AND e.state = 'pending' THEN 'running'
					ELSE e.state END,
				started_at = CASE WHEN $5 AND e.started_at IS NULL THEN now() ELSE e.started_at END,
				completed_at = CASE WHEN e.tasks_remaining - $2 <= 0 AND e.state IN ('pending', 'running', 'paused')
					THEN now() ELSE e.completed_at END
			WHERE e.id = $1
			RETURNING e.id, e.state, e.completed_at IS NOT NULL AND e.completed_at = now() AS ended),
		done AS (SELECT id, state FROM upd WHERE ended AND state IN ('completed', 'failed')),
		ev AS (INSERT INTO cloacina_events (execution_id, task_id, kind, attempt, message, runner_id, at)
			SELECT id, '', 'execution_' || state, 0, '', $6, now() FROM done)
		SELECT done.id, done.state FROM done LEFT JOIN LATERAL (SELECT pg_notify($7, 'f:' || done.id)) AS n ON true`)
	for i, id := range touched.IDs {
		d := touched.Deltas[i]
		b.Queue(query, id, int32(d.Terminal), int32(d.Failed), d.FirstError, d.Start, t.runner, t.s.channel)
	}
}

// queueEvents queues the insert of the events recorded so far.
func (t *txn) queueEvents(b *pgx.Batch) {
	n := len(t.Events)
	execs, tasks, kinds, msgs, attempts := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]int32, n)
	for i, e := range t.Events {
		execs[i], tasks[i], kinds[i], msgs[i], attempts[i] = e.ExecID, e.TaskID, e.Kind, e.Message, int32(e.Attempt)
	}
	b.Queue(t.s.q(`INSERT INTO cloacina_events (execution_id, task_id, kind, attempt, message, runner_id, at)
		SELECT e, k, kd, a, m, $6, now() FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[])
		WITH ORDINALITY AS u(e, k, kd, a, m, n) ORDER BY n`), execs, tasks, kinds, attempts, msgs, t.runner)
}

// claim marks up to limit Ready tasks as Running for the runner, skipping
// rows other runners have locked.
func (t *txn) claim(limit int, workflows []string) (*store.ClaimTasksResult, error) {
	res := &store.ClaimTasksResult{}
	if limit > 0 {
		filter := workflows
		filtered := workflows != nil
		if filter == nil {
			filter = []string{}
		}
		// Ready rows of paused executions are held; cancelled and ended
		// executions have no ready rows. So the claim needs no join.
		rows, err := t.query(`WITH c AS (
				SELECT id FROM cloacina_tasks
				WHERE state = 'ready' AND NOT held AND retry_at <= now() AND (NOT $2 OR workflow_name = ANY($3))
				ORDER BY retry_at, id LIMIT $4
				FOR UPDATE SKIP LOCKED),
			u AS (
				UPDATE cloacina_tasks AS t SET state = 'running', claimed_by = $1, attempt = t.attempt + 1,
					heartbeat_at = clock_timestamp(), started_at = COALESCE(t.started_at, now())
				FROM c WHERE t.id = c.id
				RETURNING t.id, t.execution_id, t.task_id, t.attempt, t.max_attempts, t.input_ctx),
			nx AS (SELECT min(retry_at) AS next FROM cloacina_tasks WHERE state = 'ready' AND NOT held AND retry_at > now())
			SELECT u.id, u.execution_id, u.task_id, u.attempt, u.max_attempts, u.input_ctx, nx.next
			FROM nx LEFT JOIN u ON true`,
			t.runner, filtered, filter, limit)
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
			var id, ctxID *int64
			var exec, task *string
			var attempt, maxAttempts *int
			var next *time.Time
			if err := rows.Scan(&id, &exec, &task, &attempt, &maxAttempts, &ctxID, &next); err != nil {
				rows.Close()
				return nil, fmt.Errorf("claim tasks: %w", err)
			}
			if next != nil {
				res.NextRetryAt = *next
			}
			if id == nil { // nothing claimed: the row carries only the next retry time
				continue
			}
			got = append(got, claimed{id: *id, ctx: *ctxID, c: &store.ClaimedTask{
				ExecutionID: *exec, TaskID: *task, Attempt: *attempt, MaxAttempts: *maxAttempts}})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("claim tasks: %w", err)
		}
		sort.Slice(got, func(i, j int) bool { return got[i].id < got[j].id })
		if len(got) > 0 {
			ctxIDs := make([]int64, len(got))
			for i, c := range got {
				ctxIDs[i] = c.ctx
			}
			ctxs, err := t.loadContexts(ctxIDs)
			if err != nil {
				return nil, err
			}
			for _, c := range got {
				e, err := t.execInfo(c.c.ExecutionID)
				if err != nil {
					return nil, err
				}
				if ctxs[c.ctx] == nil {
					return nil, fmt.Errorf("claim tasks: task %s/%s has no input context", c.c.ExecutionID, c.c.TaskID)
				}
				if !e.Started {
					t.Delta(c.c.ExecutionID).Start = true // applied with the counters, see finishExecutions
					e.Started = true
					t.learned = append(t.learned, c.c.ExecutionID)
				}
				c.c.Input = ctxs[c.ctx]
				c.c.WorkflowName, c.c.WorkflowVersion = e.WorkflowName, e.WorkflowVersion
				if e.Deadline != 0 {
					c.c.Deadline = time.UnixMicro(e.Deadline)
				}
				t.Event(c.c.ExecutionID, c.c.TaskID, store.EventTaskStarted, c.c.Attempt, "")
				res.Tasks = append(res.Tasks, c.c)
			}
		}
	}
	return res, nil
}
