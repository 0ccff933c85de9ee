-- Contexts move into the rows that use them: an execution's input, a task's
-- input and output. Values larger than store.InlineLimit are stored once per
-- execution in cloacina_values and referred to by hash (the *_refs columns,
-- a JSON object of key -> hash, NULL when empty). Tasks carry their
-- workflow and a held flag, so claims read one table. An execution counts
-- its leaves left (the tasks nothing depends on, which end last) instead of
-- every task, so inner tasks finishing leave its row alone.
--
-- SQLite cannot drop columns that take part in foreign keys, so the tables
-- are rebuilt: new tables, the rows copied, the old tables dropped children
-- first, the new ones renamed (which also renames the references to them).

CREATE TABLE cloacina_values (
    execution_id TEXT NOT NULL,
    hash         TEXT NOT NULL, -- hex SHA-256 of data
    data         BLOB NOT NULL,
    PRIMARY KEY (execution_id, hash)
) WITHOUT ROWID;

CREATE TABLE cloacina_executions_v2 (
    id               TEXT    PRIMARY KEY,
    workflow_name    TEXT    NOT NULL,
    workflow_version TEXT    NOT NULL,
    tenant           TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    input            TEXT    NOT NULL,
    input_refs       TEXT,
    error            TEXT    NOT NULL DEFAULT '',
    tasks_total      INTEGER NOT NULL,
    leaves_remaining INTEGER NOT NULL,
    tasks_failed     INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL, -- Unix microseconds, like every time column
    started_at       INTEGER,
    completed_at     INTEGER,
    deadline_at      INTEGER,
    idempotency_key  TEXT,
    origin           TEXT    NOT NULL DEFAULT '',
    origin_name      TEXT    NOT NULL DEFAULT '',
    meta             TEXT
);

INSERT INTO cloacina_executions_v2 (id, workflow_name, workflow_version, tenant, state, input, error,
        tasks_total, leaves_remaining, tasks_failed, created_at, started_at, completed_at, deadline_at)
    SELECT e.id, e.workflow_name, e.workflow_version, e.tenant, e.state, CAST(c.data AS TEXT), e.error,
        e.tasks_total,
        (SELECT COUNT(*) FROM cloacina_tasks t WHERE t.execution_id = e.id AND t.dependents = ''
            AND t.state NOT IN ('completed', 'failed', 'skipped')),
        e.tasks_failed, e.created_at, e.started_at, e.completed_at, e.deadline_at
    FROM cloacina_executions e JOIN cloacina_contexts c ON c.id = e.input_ctx;

CREATE TABLE cloacina_tasks_v2 (
    id               INTEGER PRIMARY KEY,
    execution_id     TEXT    NOT NULL REFERENCES cloacina_executions_v2 (id),
    task_id          TEXT    NOT NULL,
    workflow_name    TEXT    NOT NULL,
    workflow_version TEXT    NOT NULL,
    position         INTEGER NOT NULL,
    state            TEXT    NOT NULL,
    deps             TEXT    NOT NULL DEFAULT '', -- comma-separated task ids, declared order
    rule_tasks       TEXT    NOT NULL DEFAULT '', -- non-dependencies named by the trigger rule
    dependents       TEXT    NOT NULL DEFAULT '',
    pending_deps     INTEGER NOT NULL,            -- dependencies not yet terminal
    held             INTEGER NOT NULL DEFAULT 0,  -- the execution is paused
    attempt          INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    recoveries       INTEGER NOT NULL DEFAULT 0,
    retry_at         INTEGER,                     -- claimable from, while ready
    claimed_by       TEXT,
    heartbeat_at     INTEGER,
    input            TEXT,                        -- NULL until decided
    input_refs       TEXT,
    output           TEXT,                        -- NULL until terminal
    output_refs      TEXT,
    error            TEXT    NOT NULL DEFAULT '',
    error_detail     TEXT    NOT NULL DEFAULT '',
    skip_reason      TEXT    NOT NULL DEFAULT '',
    started_at       INTEGER,
    completed_at     INTEGER,
    UNIQUE (execution_id, task_id)
);

INSERT INTO cloacina_tasks_v2 (id, execution_id, task_id, workflow_name, workflow_version, position, state,
        deps, rule_tasks, dependents, pending_deps, held, attempt, max_attempts, recoveries, retry_at, claimed_by,
        heartbeat_at, input, output, error, skip_reason, started_at, completed_at)
    SELECT t.id, t.execution_id, t.task_id, e.workflow_name, e.workflow_version, t.position, t.state,
        t.deps, t.rule_tasks, t.dependents, t.pending_deps,
        CASE WHEN e.state = 'paused' AND t.state IN ('not_started', 'ready', 'running') THEN 1 ELSE 0 END,
        t.attempt, t.max_attempts, t.recoveries, t.retry_at, t.claimed_by, t.heartbeat_at,
        (SELECT CAST(c.data AS TEXT) FROM cloacina_contexts c WHERE c.id = t.input_ctx),
        (SELECT CAST(c.data AS TEXT) FROM cloacina_contexts c WHERE c.id = t.output_ctx),
        t.error, t.skip_reason, t.started_at, t.completed_at
    FROM cloacina_tasks t JOIN cloacina_executions e ON e.id = t.execution_id;

DROP TABLE cloacina_tasks;
DROP TABLE cloacina_executions;
DROP TABLE cloacina_contexts;
ALTER TABLE cloacina_executions_v2 RENAME TO cloacina_executions;
ALTER TABLE cloacina_tasks_v2 RENAME TO cloacina_tasks;

CREATE INDEX cloacina_executions_created ON cloacina_executions (created_at);
CREATE INDEX cloacina_executions_deadline ON cloacina_executions (deadline_at)
    WHERE deadline_at IS NOT NULL AND state IN ('pending', 'running', 'paused');
CREATE UNIQUE INDEX cloacina_executions_idempotency ON cloacina_executions (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- The claim query reads only ready rows, so its cost does not grow with history.
CREATE INDEX cloacina_tasks_ready ON cloacina_tasks (retry_at, id) WHERE state = 'ready' AND held = 0;
CREATE INDEX cloacina_tasks_running ON cloacina_tasks (heartbeat_at) WHERE state = 'running';
