-- Contexts are stored once and referenced by id: a task whose input is its
-- only dependency's output, or a skipped task passing its input through,
-- shares the row instead of copying it.
CREATE TABLE cloacina_contexts (
    id           INTEGER PRIMARY KEY,
    execution_id TEXT    NOT NULL,
    data         BLOB    NOT NULL
);

CREATE TABLE cloacina_executions (
    id               TEXT    PRIMARY KEY,
    workflow_name    TEXT    NOT NULL,
    workflow_version TEXT    NOT NULL,
    tenant           TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    input_ctx        INTEGER NOT NULL REFERENCES cloacina_contexts (id),
    error            TEXT    NOT NULL DEFAULT '',
    tasks_total      INTEGER NOT NULL,
    tasks_remaining  INTEGER NOT NULL,
    tasks_failed     INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL, -- Unix microseconds, like every time column
    started_at       INTEGER,
    completed_at     INTEGER,
    deadline_at      INTEGER
);
CREATE INDEX cloacina_executions_created ON cloacina_executions (created_at);
CREATE INDEX cloacina_executions_deadline ON cloacina_executions (deadline_at)
    WHERE deadline_at IS NOT NULL AND state IN ('pending', 'running', 'paused');

CREATE TABLE cloacina_tasks (
    id           INTEGER PRIMARY KEY,
    execution_id TEXT    NOT NULL REFERENCES cloacina_executions (id),
    task_id      TEXT    NOT NULL,
    position     INTEGER NOT NULL,
    state        TEXT    NOT NULL,
    deps         TEXT    NOT NULL DEFAULT '', -- comma-separated task ids, declared order
    rule_tasks   TEXT    NOT NULL DEFAULT '', -- non-dependencies named by the trigger rule
    dependents   TEXT    NOT NULL DEFAULT '',
    pending_deps INTEGER NOT NULL,            -- dependencies not yet terminal
    attempt      INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    recoveries   INTEGER NOT NULL DEFAULT 0,
    retry_at     INTEGER,                     -- claimable from, while ready
    claimed_by   TEXT,
    heartbeat_at INTEGER,
    input_ctx    INTEGER REFERENCES cloacina_contexts (id),
    output_ctx   INTEGER REFERENCES cloacina_contexts (id),
    error        TEXT    NOT NULL DEFAULT '',
    skip_reason  TEXT    NOT NULL DEFAULT '',
    started_at   INTEGER,
    completed_at INTEGER,
    UNIQUE (execution_id, task_id)
);
-- The claim query reads only ready rows, so its cost does not grow with history.
CREATE INDEX cloacina_tasks_ready ON cloacina_tasks (retry_at, id) WHERE state = 'ready';
CREATE INDEX cloacina_tasks_running ON cloacina_tasks (heartbeat_at) WHERE state = 'running';

CREATE TABLE cloacina_events (
    id           INTEGER PRIMARY KEY,
    execution_id TEXT    NOT NULL,
    task_id      TEXT    NOT NULL DEFAULT '',
    kind         TEXT    NOT NULL,
    attempt      INTEGER NOT NULL DEFAULT 0,
    runner_id    TEXT    NOT NULL DEFAULT '',
    message      TEXT    NOT NULL DEFAULT '',
    at           INTEGER NOT NULL
);
CREATE INDEX cloacina_events_execution ON cloacina_events (execution_id, id);
