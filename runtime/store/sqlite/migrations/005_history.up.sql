-- History: the workflow definitions runners record when they start, the
-- indexes behind paged listings of executions and retention, and leases
-- that keep a chore (such as pruning) to one runner at a time. See the
-- PostgreSQL migration of the same number.
CREATE TABLE cloacina_workflows (
    name        TEXT    NOT NULL,
    version     TEXT    NOT NULL,
    definition  BLOB    NOT NULL, -- a JSON document the runtime owns
    recorded_by TEXT    NOT NULL,
    recorded_at INTEGER NOT NULL, -- Unix microseconds, like every time column
    PRIMARY KEY (name, version)
);

CREATE TABLE cloacina_leases (
    name        TEXT    PRIMARY KEY,
    owner       TEXT    NOT NULL,
    lease_until INTEGER NOT NULL
);

-- Pages are read newest first by (created_at, id), with or without a
-- workflow or origin filter; each filter has an index in that order, so a
-- page costs the rows it returns, whatever the history's size.
DROP INDEX cloacina_executions_created;
CREATE INDEX cloacina_executions_page ON cloacina_executions (created_at, id);
CREATE INDEX cloacina_executions_workflow_page ON cloacina_executions (workflow_name, created_at, id);
CREATE INDEX cloacina_executions_origin_page ON cloacina_executions (origin, origin_name, created_at, id);
-- Retention reads finished executions oldest first; the running ones are
-- not in the index.
CREATE INDEX cloacina_executions_finished ON cloacina_executions (completed_at)
    WHERE state IN ('completed', 'failed', 'cancelled');
-- Deleting an execution's events and fires finds them by execution.
CREATE INDEX cloacina_schedule_fires_execution ON cloacina_schedule_fires (execution_id) WHERE execution_id <> '';
