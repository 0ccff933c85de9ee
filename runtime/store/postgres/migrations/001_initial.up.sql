-- Applied with search_path set to the store's schema, under an advisory lock.
CREATE TABLE cloacina_contexts (
    id           bigserial PRIMARY KEY,
    execution_id text      NOT NULL,
    data         json      NOT NULL -- json keeps the text as written; the runtime parses it
);

CREATE TABLE cloacina_executions (
    id               text        PRIMARY KEY,
    workflow_name    text        NOT NULL,
    workflow_version text        NOT NULL,
    tenant           text        NOT NULL,
    state            text        NOT NULL,
    input_ctx        bigint      NOT NULL REFERENCES cloacina_contexts (id),
    error            text        NOT NULL DEFAULT '',
    tasks_total      integer     NOT NULL,
    tasks_remaining  integer     NOT NULL,
    tasks_failed     integer     NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL,
    started_at       timestamptz,
    completed_at     timestamptz,
    deadline_at      timestamptz
);
CREATE INDEX cloacina_executions_created ON cloacina_executions (created_at);
CREATE INDEX cloacina_executions_deadline ON cloacina_executions (deadline_at)
    WHERE deadline_at IS NOT NULL AND state IN ('pending', 'running', 'paused');

CREATE TABLE cloacina_tasks (
    id           bigserial   PRIMARY KEY,
    execution_id text        NOT NULL REFERENCES cloacina_executions (id),
    task_id      text        NOT NULL,
    workflow_name text       NOT NULL,            -- copied from the execution, so claims read one table
    position     integer     NOT NULL,
    state        text        NOT NULL,
    deps         text        NOT NULL DEFAULT '', -- comma-separated task ids, declared order
    rule_tasks   text        NOT NULL DEFAULT '', -- non-dependencies named by the trigger rule
    dependents   text        NOT NULL DEFAULT '',
    pending_deps integer     NOT NULL,            -- dependencies not yet terminal
    held         boolean     NOT NULL DEFAULT false, -- the execution is paused
    attempt      integer     NOT NULL DEFAULT 0,
    max_attempts integer     NOT NULL,
    recoveries   integer     NOT NULL DEFAULT 0,
    retry_at     timestamptz,                     -- claimable from, while ready
    claimed_by   text,
    heartbeat_at timestamptz,
    input_ctx    bigint REFERENCES cloacina_contexts (id),
    output_ctx   bigint REFERENCES cloacina_contexts (id),
    error        text        NOT NULL DEFAULT '',
    skip_reason  text        NOT NULL DEFAULT '',
    started_at   timestamptz,
    completed_at timestamptz,
    UNIQUE (execution_id, task_id)
);
-- The claim query walks this index in order and stops at its limit: it reads
-- one table, so its plan cannot depend on stale statistics, and only ready
-- rows, so its cost does not grow with history.
CREATE INDEX cloacina_tasks_ready ON cloacina_tasks (retry_at, id) WHERE state = 'ready' AND NOT held;
CREATE INDEX cloacina_tasks_running ON cloacina_tasks (heartbeat_at) WHERE state = 'running';

CREATE TABLE cloacina_events (
    id           bigserial   PRIMARY KEY,
    execution_id text        NOT NULL,
    task_id      text        NOT NULL DEFAULT '',
    kind         text        NOT NULL,
    attempt      integer     NOT NULL DEFAULT 0,
    runner_id    text        NOT NULL DEFAULT '',
    message      text        NOT NULL DEFAULT '',
    at           timestamptz NOT NULL
);
CREATE INDEX cloacina_events_execution ON cloacina_events (execution_id, id);
