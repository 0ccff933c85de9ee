package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/internal/backend"
)

// CreateExecution implements store.Store.
func (s *Store) CreateExecution(ctx context.Context, p *store.CreateExecutionParams) (*store.Execution, error) {
	c, err := backend.PrepareCreate(p)
	if err != nil {
		return nil, err
	}
	dependents, input, tenant := c.Dependents, c.Input, c.Tenant
	var created *store.Execution
	_, err = s.run(ctx, p.RunnerID, p.Decide, func(t *txn) error {
		inputID, err := t.insertContext(p.ID, input)
		if err != nil {
			return err
		}
		var timeout *int64
		if p.Timeout > 0 {
			us := p.Timeout.Microseconds()
			timeout = &us
		}
		created = &store.Execution{ID: p.ID, WorkflowName: p.WorkflowName, WorkflowVersion: p.WorkflowVersion, Tenant: tenant,
			State: store.ExecutionPending, Input: input, TasksTotal: len(p.Tasks)}
		var deadline *time.Time
		if err := t.queryRow(`INSERT INTO cloacina_executions
			(id, workflow_name, workflow_version, tenant, state, input_ctx, tasks_total, tasks_remaining, created_at, deadline_at)
			VALUES ($1, $2, $3, $4, 'pending', $5, $6, $6, now(), now() + $7 * interval '1 microsecond')
			RETURNING created_at, deadline_at`,
			p.ID, p.WorkflowName, p.WorkflowVersion, tenant, inputID, len(p.Tasks), timeout).Scan(&created.CreatedAt, &deadline); err != nil {
			return fmt.Errorf("create execution %s: %w", p.ID, err)
		}
		info := &execInfo{ExecInfo: backend.ExecInfo{WorkflowName: p.WorkflowName, WorkflowVersion: p.WorkflowVersion, InputCtx: inputID}, input: input}
		if deadline != nil {
			created.Deadline, info.Deadline = *deadline, deadline.UnixMicro()
		}
		t.execs[p.ID] = info
		t.learned = append(t.learned, p.ID)
		t.Event(p.ID, "", store.EventExecutionCreated, 0, p.WorkflowName+" "+p.WorkflowVersion)

		// Roots are decided before the insert, so they are stored in their
		// first state (ready, or skipped by a trigger rule) directly.
		var roots []*backend.TaskRow
		for _, spec := range p.Tasks {
			if len(spec.Deps) == 0 {
				roots = append(roots, &backend.TaskRow{ExecID: p.ID, TaskID: spec.TaskID, Dependents: dependents[spec.TaskID]})
			}
		}
		decisions := make([]backend.Decision, len(roots))
		if err := t.decideMany(roots, func(i int) (*store.DecideInput, error) {
			return &store.DecideInput{ExecutionID: p.ID, WorkflowName: p.WorkflowName, WorkflowVersion: p.WorkflowVersion,
				TaskID: roots[i].TaskID, ExecutionInput: &store.ContextRef{ID: inputID, Data: input}}, nil
		}, decisions); err != nil {
			return err
		}
		root := make(map[string]backend.Decision, len(roots))
		for i, r := range roots {
			root[r.TaskID] = decisions[i]
		}
		n := len(p.Tasks)
		var (
			ids, deps, ruleTasks, dependentsCol, states, reasons, errs = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			positions, pending, maxAttempts                            = make([]int32, n), make([]int32, n), make([]int32, n)
			inCtx, outCtx                                              = make([]*int64, n), make([]*int64, n)
		)
		for i, spec := range p.Tasks {
			ids[i], positions[i], pending[i], maxAttempts[i] = spec.TaskID, int32(i), int32(len(spec.Deps)), int32(spec.MaxAttempts)
			deps[i], ruleTasks[i], dependentsCol[i] = backend.JoinList(spec.Deps), backend.JoinList(spec.RuleTasks), backend.JoinList(dependents[spec.TaskID])
			states[i] = string(store.TaskNotStarted)
			if d, ok := root[spec.TaskID]; ok {
				states[i] = string(d.State)
				c := d.Ctx
				switch d.State {
				case store.TaskReady:
					inCtx[i] = &c
				case store.TaskSkipped:
					inCtx[i], outCtx[i], reasons[i] = &c, &c, d.Reason
				default:
					errs[i] = d.Reason
				}
			}
		}
		if _, err := t.exec(`INSERT INTO cloacina_tasks
			(execution_id, workflow_name, task_id, position, deps, rule_tasks, dependents, pending_deps, max_attempts,
			 state, retry_at, input_ctx, output_ctx, skip_reason, error, completed_at)
			SELECT $1, $14, u.k, u.pos, u.deps, u.rules, u.dependents, u.pending, u.max, u.state,
				CASE WHEN u.state = 'ready' THEN now() END, u.ic, u.oc, u.reason, u.err,
				CASE WHEN u.state IN ('skipped', 'failed') THEN now() END
			FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[],
				$9::text[], $10::bigint[], $11::bigint[], $12::text[], $13::text[])
				AS u(k, pos, deps, rules, dependents, pending, max, state, ic, oc, reason, err)`,
			p.ID, ids, positions, deps, ruleTasks, dependentsCol, pending, maxAttempts, states, inCtx, outCtx, reasons, errs,
			p.WorkflowName); err != nil {
			return fmt.Errorf("create execution %s: %w", p.ID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return created, nil
}

// ClaimTasks implements store.Store.
func (s *Store) ClaimTasks(ctx context.Context, p *store.ClaimTasksParams) (*store.ClaimTasksResult, error) {
	var res *store.ClaimTasksResult
	_, err := s.run(ctx, p.RunnerID, nil, func(t *txn) (err error) {
		res, err = t.claim(p.Limit, p.Workflows)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// CompleteTasks implements store.Store.
func (s *Store) CompleteTasks(ctx context.Context, p *store.CompleteTasksParams) (*store.CompleteTasksResult, error) {
	if p.Decide == nil && len(p.Outcomes) > 0 {
		return nil, errors.New("complete tasks: Decide is nil")
	}
	var res *store.CompleteTasksResult
	ledger, err := s.run(ctx, p.RunnerID, p.Decide, func(t *txn) error {
		res = &store.CompleteTasksResult{}
		lost, err := t.complete(p.Outcomes)
		if err != nil {
			return err
		}
		res.Lost = lost
		// Decide dependents before claiming, so tasks made ready by these
		// outcomes can be claimed at once; the counters and the starts the
		// claims cause follow, in one statement, when the operation ends.
		if err := t.drain(); err != nil {
			return err
		}
		if p.ClaimLimit > 0 {
			if res.Claimed, err = t.claim(p.ClaimLimit, p.ClaimWorkflows); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Finished, res.Readied = ledger.Finished, ledger.Readied
	return res, nil
}

// complete records outcomes with one guarded UPDATE per kind: a row changes
// only if its task is Running, claimed by this runner, at the attempt
// given. Outcomes that match no row are returned as lost; the contexts
// stored for them are deleted.
func (t *txn) complete(outcomes []store.Outcome) ([]store.TaskRef, error) {
	var lost []store.TaskRef
	byKind := map[store.OutcomeKind][]*store.Outcome{}
	for i := range outcomes {
		o := &outcomes[i]
		if o.Kind < store.OutcomeSucceeded || o.Kind > store.OutcomeFailed {
			return nil, fmt.Errorf("complete task %s: unknown outcome kind %d", o.TaskID, o.Kind)
		}
		byKind[o.Kind] = append(byKind[o.Kind], o)
	}
	for _, os := range byKind { // lock order, see drain
		sort.Slice(os, func(i, j int) bool {
			return backend.DepKey{Exec: os[i].ExecutionID, Task: os[i].TaskID}.Less(backend.DepKey{Exec: os[j].ExecutionID, Task: os[j].TaskID})
		})
	}
	for _, kind := range []store.OutcomeKind{store.OutcomeSucceeded, store.OutcomeRetry, store.OutcomeFailed} {
		os := byKind[kind]
		if len(os) == 0 {
			continue
		}
		n := len(os)
		execs, tasks, msgs := make([]string, n), make([]string, n), make([]string, n)
		attempts := make([]int32, n)
		delays := make([]int64, n)
		outs := make([]*int64, n)
		var newExecs []string
		var newData [][]byte
		var newFor []int
		for i, o := range os {
			execs[i], tasks[i], attempts[i], msgs[i], delays[i] = o.ExecutionID, o.TaskID, int32(o.Attempt), o.Error, o.RetryDelay.Microseconds()
			if kind == store.OutcomeSucceeded && !o.OutputUnchanged {
				newExecs, newData, newFor = append(newExecs, o.ExecutionID), append(newData, o.Output), append(newFor, i)
			}
		}
		ids, err := t.insertContexts(newExecs, newData)
		if err != nil {
			return nil, err
		}
		for k, i := range newFor {
			outs[i] = &ids[k]
		}
		var set string
		switch kind {
		case store.OutcomeSucceeded:
			set = `state = 'completed', output_ctx = COALESCE(d.o, t.input_ctx), completed_at = now(), error = ''`
		case store.OutcomeRetry:
			set = `state = 'ready', retry_at = now() + d.delay * interval '1 microsecond', error = d.m`
		case store.OutcomeFailed:
			set = `state = 'failed', output_ctx = t.input_ctx, completed_at = now(), error = d.m`
		}
		// Rows are locked in id order (see the package documentation, Lock order).
		rows, err := t.query(`WITH d AS MATERIALIZED (
				SELECT t.id, u.o, u.m, u.delay
				FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::bigint[]) AS u(e, k, a, o, m, delay)
				JOIN cloacina_tasks t ON t.execution_id = u.e AND t.task_id = u.k
				WHERE t.state = 'running' AND t.claimed_by = $7 AND t.attempt = u.a
				ORDER BY t.id FOR UPDATE OF t)
			UPDATE cloacina_tasks AS t SET `+set+`, claimed_by = NULL, heartbeat_at = NULL
			FROM d WHERE t.id = d.id
			RETURNING t.id, t.execution_id, t.task_id, t.dependents`, execs, tasks, attempts, outs, msgs, delays, t.runner)
		if err != nil {
			return nil, fmt.Errorf("record outcomes: %w", err)
		}
		done := make(map[backend.DepKey]*backend.TaskRow, n)
		for rows.Next() {
			row := &backend.TaskRow{}
			var dependents string
			if err := rows.Scan(&row.ID, &row.ExecID, &row.TaskID, &dependents); err != nil {
				rows.Close()
				return nil, fmt.Errorf("record outcomes: %w", err)
			}
			row.Dependents = backend.SplitList(dependents)
			done[backend.DepKey{Exec: row.ExecID, Task: row.TaskID}] = row
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("record outcomes: %w", err)
		}
		var discard []int64
		for i, o := range os {
			k := backend.DepKey{Exec: o.ExecutionID, Task: o.TaskID}
			row, ok := done[k]
			if !ok {
				lost = append(lost, store.TaskRef{ExecutionID: o.ExecutionID, TaskID: o.TaskID, Attempt: o.Attempt})
				if outs[i] != nil {
					discard = append(discard, *outs[i])
				}
				continue
			}
			delete(done, k) // a duplicate outcome in the batch counts once
			switch kind {
			case store.OutcomeSucceeded:
				t.Event(o.ExecutionID, o.TaskID, store.EventTaskCompleted, o.Attempt, "")
				t.Terminal(row, store.TaskCompleted, "")
			case store.OutcomeRetry:
				t.Event(o.ExecutionID, o.TaskID, store.EventTaskRetrying, o.Attempt,
					fmt.Sprintf("%s (next attempt in %s)", o.Error, o.RetryDelay.Round(time.Millisecond)))
				if o.RetryDelay <= 0 {
					t.notify["r"] = true
				}
			case store.OutcomeFailed:
				t.Event(o.ExecutionID, o.TaskID, store.EventTaskFailed, o.Attempt, o.Error)
				t.Terminal(row, store.TaskFailed, o.Error)
			}
		}
		if len(discard) > 0 {
			if _, err := t.exec(`DELETE FROM cloacina_contexts WHERE id = ANY($1)`, discard); err != nil {
				return nil, fmt.Errorf("discard outputs of lost claims: %w", err)
			}
			t.ForgetContexts(discard...)
		}
	}
	return lost, nil
}

// Heartbeat implements store.Store.
func (s *Store) Heartbeat(ctx context.Context, p *store.HeartbeatParams) (*store.HeartbeatResult, error) {
	res := &store.HeartbeatResult{}
	if len(p.Tasks) == 0 {
		return res, nil
	}
	_, err := s.run(ctx, p.RunnerID, nil, func(t *txn) error {
		n := len(p.Tasks)
		execs, tasks, attempts := make([]string, n), make([]string, n), make([]int32, n)
		for i, r := range p.Tasks {
			execs[i], tasks[i], attempts[i] = r.ExecutionID, r.TaskID, int32(r.Attempt)
		}
		// The claims still held are read without locks; the heartbeat is
		// written only to rows nobody else has locked. A row another
		// transaction holds is being completed by this runner or taken
		// back by a sweeper: waiting for it would only block both (the
		// lock order of a heartbeat, which follows no batch, is arbitrary),
		// and whether it is still held is known from the read. The time is
		// the clock's, not the transaction's start, so it is never stale
		// on arrival.
		rows, err := t.query(`WITH held AS (
				SELECT t.id, t.execution_id, t.task_id
				FROM unnest($1::text[], $2::text[], $3::int[]) AS d(e, k, a)
				JOIN cloacina_tasks t ON t.execution_id = d.e AND t.task_id = d.k
				WHERE t.attempt = d.a AND t.claimed_by = $4 AND t.state = 'running'),
			lk AS (SELECT t.id FROM cloacina_tasks t JOIN held ON held.id = t.id
				WHERE t.claimed_by = $4 AND t.state = 'running' ORDER BY t.id FOR UPDATE OF t SKIP LOCKED),
			upd AS (UPDATE cloacina_tasks AS t SET heartbeat_at = clock_timestamp() FROM lk WHERE t.id = lk.id)
			SELECT execution_id, task_id FROM held`, execs, tasks, attempts, p.RunnerID)
		if err != nil {
			return fmt.Errorf("heartbeat: %w", err)
		}
		held := map[backend.DepKey]bool{}
		for rows.Next() {
			var k backend.DepKey
			if err := rows.Scan(&k.Exec, &k.Task); err != nil {
				rows.Close()
				return fmt.Errorf("heartbeat: %w", err)
			}
			held[k] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("heartbeat: %w", err)
		}
		for _, r := range p.Tasks {
			if !held[backend.DepKey{Exec: r.ExecutionID, Task: r.TaskID}] {
				res.Lost = append(res.Lost, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// RecoverStale implements store.Store. Stale rows are locked with SKIP
// LOCKED, so runners sweeping at the same time split them.
func (s *Store) RecoverStale(ctx context.Context, p *store.RecoverStaleParams) (*store.RecoverStaleResult, error) {
	if p.Decide == nil {
		return nil, errors.New("recover stale tasks: Decide is nil")
	}
	var res *store.RecoverStaleResult
	ledger, err := s.run(ctx, p.RunnerID, p.Decide, func(t *txn) error {
		res = &store.RecoverStaleResult{}
		rows, err := t.query(`WITH stale AS (
				SELECT id, claimed_by AS owner, recoveries AS before FROM cloacina_tasks
				WHERE state = 'running' AND heartbeat_at < now() - $1 * interval '1 microsecond'
				ORDER BY id FOR UPDATE SKIP LOCKED)
			UPDATE cloacina_tasks AS t SET
				state = CASE WHEN stale.before >= $2 THEN 'failed' ELSE 'ready' END,
				retry_at = CASE WHEN stale.before >= $2 THEN t.retry_at ELSE now() END,
				recoveries = CASE WHEN stale.before >= $2 THEN t.recoveries ELSE t.recoveries + 1 END,
				output_ctx = CASE WHEN stale.before >= $2 THEN t.input_ctx ELSE t.output_ctx END,
				completed_at = CASE WHEN stale.before >= $2 THEN now() ELSE t.completed_at END,
				error = CASE WHEN stale.before >= $2
					THEN 'abandoned: runner ' || COALESCE(stale.owner, '') || ' stopped heartbeating, and the task was already recovered ' || stale.before || ' times'
					ELSE t.error END,
				claimed_by = NULL, heartbeat_at = NULL
			FROM stale WHERE t.id = stale.id
			RETURNING t.id, t.execution_id, t.task_id, t.attempt, stale.before, COALESCE(stale.owner, ''), t.state, t.error, t.dependents`,
			p.StaleAfter.Microseconds(), p.MaxRecoveries)
		if err != nil {
			return fmt.Errorf("recover stale tasks: %w", err)
		}
		type stale struct {
			row     *backend.TaskRow
			attempt int
			before  int
			owner   string
			state   string
			errMsg  string
		}
		var found []stale
		for rows.Next() {
			st := stale{row: &backend.TaskRow{}}
			var dependents string
			if err := rows.Scan(&st.row.ID, &st.row.ExecID, &st.row.TaskID, &st.attempt, &st.before, &st.owner, &st.state, &st.errMsg, &dependents); err != nil {
				rows.Close()
				return fmt.Errorf("recover stale tasks: %w", err)
			}
			st.row.Dependents = backend.SplitList(dependents)
			found = append(found, st)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("recover stale tasks: %w", err)
		}
		for _, st := range found {
			ref := store.TaskRef{ExecutionID: st.row.ExecID, TaskID: st.row.TaskID, Attempt: st.attempt}
			if st.state == string(store.TaskFailed) {
				t.Event(st.row.ExecID, st.row.TaskID, store.EventTaskAbandoned, st.attempt, st.errMsg)
				t.Terminal(st.row, store.TaskFailed, st.errMsg)
				res.Abandoned = append(res.Abandoned, ref)
				continue
			}
			t.Event(st.row.ExecID, st.row.TaskID, store.EventTaskRecovered, st.attempt,
				fmt.Sprintf("runner %s stopped heartbeating; recovery %d of %d", st.owner, st.before+1, p.MaxRecoveries))
			t.notify["r"] = true
			res.Requeued = append(res.Requeued, ref)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Finished = ledger.Finished
	return res, nil
}

// FinishExecution implements store.Store.
func (s *Store) FinishExecution(ctx context.Context, p *store.FinishExecutionParams) (bool, error) {
	kind := map[store.ExecutionState]string{
		store.ExecutionCancelled: store.EventExecutionCancelled,
		store.ExecutionFailed:    store.EventExecutionFailed,
	}[p.State]
	if kind == "" {
		return false, fmt.Errorf("finish execution: state must be cancelled or failed, not %q", p.State)
	}
	changed := false
	_, err := s.run(ctx, p.RunnerID, nil, func(t *txn) error {
		changed = false
		// Task rows are locked before the execution row, as every other
		// write does (outcomes, then counters): a different order could
		// deadlock against a runner recording outcomes.
		var state store.ExecutionState
		if err := t.queryRow(`SELECT state FROM cloacina_executions WHERE id = $1`, p.ExecutionID).Scan(&state); err != nil {
			if isNoRows(err) {
				return fmt.Errorf("execution %s: %w", p.ExecutionID, store.ErrNotFound)
			}
			return fmt.Errorf("finish execution %s: %w", p.ExecutionID, err)
		}
		if state.Terminal() {
			return nil
		}
		rows, err := t.query(`UPDATE cloacina_tasks SET state = 'skipped', skip_reason = $1, claimed_by = NULL,
			heartbeat_at = NULL, output_ctx = input_ctx, completed_at = now()
			WHERE id IN (SELECT id FROM cloacina_tasks WHERE execution_id = $2 AND state IN ('not_started', 'ready', 'running')
				ORDER BY id FOR UPDATE)
			RETURNING task_id, attempt`, p.Reason, p.ExecutionID)
		if err != nil {
			return fmt.Errorf("finish execution %s: %w", p.ExecutionID, err)
		}
		type skipped struct {
			task    string
			attempt int
		}
		var done []skipped
		for rows.Next() {
			var sk skipped
			if err := rows.Scan(&sk.task, &sk.attempt); err != nil {
				rows.Close()
				return fmt.Errorf("finish execution %s: %w", p.ExecutionID, err)
			}
			done = append(done, sk)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("finish execution %s: %w", p.ExecutionID, err)
		}
		n, err := t.exec(`UPDATE cloacina_executions SET state = $1, error = $2, completed_at = now(), tasks_remaining = 0
			WHERE id = $3 AND state IN ('pending', 'running', 'paused')`, string(p.State), p.Reason, p.ExecutionID)
		if err != nil {
			return fmt.Errorf("finish execution %s: %w", p.ExecutionID, err)
		}
		if n == 0 {
			return errEndedMeanwhile // roll back the skips: someone ended it first
		}
		changed = true
		sort.Slice(done, func(i, j int) bool { return done[i].task < done[j].task })
		for _, sk := range done {
			t.Event(p.ExecutionID, sk.task, store.EventTaskSkipped, sk.attempt, p.Reason)
		}
		t.Event(p.ExecutionID, "", kind, 0, p.Reason)
		t.notify["c:"+p.ExecutionID] = true
		t.notify["f:"+p.ExecutionID] = true
		return nil
	})
	if errors.Is(err, errEndedMeanwhile) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return changed, nil
}

// errEndedMeanwhile rolls back a FinishExecution that lost a race with
// another ending of the same execution.
var errEndedMeanwhile = errors.New("execution ended meanwhile")

// SetPaused implements store.Store.
func (s *Store) SetPaused(ctx context.Context, p *store.SetPausedParams) (bool, error) {
	changed := false
	_, err := s.run(ctx, p.RunnerID, nil, func(t *txn) error {
		changed = false
		// Task rows first, then the execution row; see FinishExecution.
		from := store.ExecutionPaused
		var state store.ExecutionState
		if err := t.queryRow(`SELECT state FROM cloacina_executions WHERE id = $1`, p.ExecutionID).Scan(&state); err != nil {
			if isNoRows(err) {
				return fmt.Errorf("execution %s: %w", p.ExecutionID, store.ErrNotFound)
			}
			return fmt.Errorf("pause execution %s: %w", p.ExecutionID, err)
		}
		if (p.Paused && state != store.ExecutionPending && state != store.ExecutionRunning) || (!p.Paused && state != from) {
			return nil
		}
		if _, err := t.exec(`UPDATE cloacina_tasks SET held = $1 WHERE id IN (SELECT id FROM cloacina_tasks
			WHERE execution_id = $2 AND held <> $1 AND state IN ('not_started', 'ready', 'running') ORDER BY id FOR UPDATE)`,
			p.Paused, p.ExecutionID); err != nil {
			return fmt.Errorf("pause execution %s: %w", p.ExecutionID, err)
		}
		var n int64
		var err error
		if p.Paused {
			n, err = t.exec(`UPDATE cloacina_executions SET state = 'paused' WHERE id = $1 AND state IN ('pending', 'running')`, p.ExecutionID)
		} else {
			n, err = t.exec(`UPDATE cloacina_executions SET state = CASE WHEN started_at IS NULL THEN 'pending' ELSE 'running' END
				WHERE id = $1 AND state = 'paused'`, p.ExecutionID)
		}
		if err != nil {
			return fmt.Errorf("pause execution %s: %w", p.ExecutionID, err)
		}
		if n == 0 {
			return errEndedMeanwhile // its state changed after the read; nothing is kept
		}
		changed = true
		kind := store.EventExecutionResumed
		if p.Paused {
			kind = store.EventExecutionPaused
		} else {
			t.notify["r"] = true
		}
		t.Event(p.ExecutionID, "", kind, 0, "")
		t.notify["c:"+p.ExecutionID] = true
		return nil
	})
	if errors.Is(err, errEndedMeanwhile) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return changed, nil
}
