-- History: the workflow definitions runners record when they start (the
-- definition is a JSON document the runtime owns, one row per name and
-- version), the indexes behind paged listings and retention, and leases
-- that keep a chore such as pruning to one runner at a time.
CREATE TABLE cloacina_workflows (
    name        text        COLLATE "C" NOT NULL,
    version     text        COLLATE "C" NOT NULL,
    definition  json        NOT NULL,
    recorded_by text        NOT NULL,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE TABLE cloacina_leases (
    name        text        PRIMARY KEY,
    owner       text        NOT NULL,
    lease_until timestamptz NOT NULL
);

-- Pages are read newest first by (created_at, id), a row comparison
-- against the cursor; each filter has an index in that order (read
-- backwards), so a page costs the rows it returns whatever the size of the
-- history. None of them holds a column that changes after insertion
-- except through state, which the deadline index already holds.
DROP INDEX IF EXISTS cloacina_executions_created;
CREATE INDEX cloacina_executions_page ON cloacina_executions (created_at, id);
CREATE INDEX cloacina_executions_workflow_page ON cloacina_executions (workflow_name, created_at, id);
CREATE INDEX cloacina_executions_origin_page ON cloacina_executions (origin, origin_name, created_at, id);
-- Retention reads finished executions oldest first; running ones are not in
-- the index.
CREATE INDEX cloacina_executions_finished ON cloacina_executions (completed_at)
    WHERE state IN ('completed', 'failed', 'cancelled');
CREATE INDEX cloacina_schedule_fires_execution ON cloacina_schedule_fires (execution_id) WHERE execution_id <> '';
