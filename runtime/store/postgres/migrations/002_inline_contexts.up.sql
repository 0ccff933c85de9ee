-- Contexts move into the rows that use them: an execution's input, a task's
-- input and output. Values larger than store.InlineLimit are stored once per
-- execution in cloacina_values and referred to by hash (the *_refs columns,
-- a JSON object of key -> hash, NULL when empty). An execution counts its
-- leaves left (the tasks nothing depends on, which end last) instead of
-- every task, so inner tasks finishing leave its row alone.
CREATE TABLE cloacina_values (
    execution_id text  COLLATE "C" NOT NULL,
    hash         text  COLLATE "C" NOT NULL, -- hex SHA-256 of data
    data         bytea NOT NULL,
    PRIMARY KEY (execution_id, hash)
);

ALTER TABLE cloacina_executions
    ADD COLUMN input           json,
    ADD COLUMN input_refs      json,
    ADD COLUMN idempotency_key text,
    ADD COLUMN origin          text NOT NULL DEFAULT '',
    ADD COLUMN origin_name     text NOT NULL DEFAULT '',
    ADD COLUMN meta            json;
ALTER TABLE cloacina_executions ADD COLUMN leaves_remaining integer;
UPDATE cloacina_executions e SET input = c.data FROM cloacina_contexts c WHERE c.id = e.input_ctx;
UPDATE cloacina_executions e SET leaves_remaining = (SELECT count(*) FROM cloacina_tasks t
    WHERE t.execution_id = e.id AND t.dependents = '' AND t.state NOT IN ('completed', 'failed', 'skipped'));
ALTER TABLE cloacina_executions ALTER COLUMN input SET NOT NULL, ALTER COLUMN leaves_remaining SET NOT NULL,
    DROP COLUMN input_ctx, DROP COLUMN tasks_remaining;
CREATE UNIQUE INDEX cloacina_executions_idempotency ON cloacina_executions (idempotency_key)
    WHERE idempotency_key IS NOT NULL;

ALTER TABLE cloacina_tasks
    ADD COLUMN workflow_version text NOT NULL DEFAULT '',
    ADD COLUMN input            json,
    ADD COLUMN input_refs       json,
    ADD COLUMN output           json,
    ADD COLUMN output_refs      json,
    ADD COLUMN error_detail     text NOT NULL DEFAULT '';
UPDATE cloacina_tasks t SET
    workflow_version = e.workflow_version,
    input = (SELECT c.data FROM cloacina_contexts c WHERE c.id = t.input_ctx),
    output = (SELECT c.data FROM cloacina_contexts c WHERE c.id = t.output_ctx)
FROM cloacina_executions e WHERE e.id = t.execution_id;
ALTER TABLE cloacina_tasks ALTER COLUMN workflow_version DROP DEFAULT, DROP COLUMN input_ctx, DROP COLUMN output_ctx;

DROP TABLE cloacina_contexts;

-- Keys compare byte by byte: every statement of the hot path joins and
-- locks by execution and task id, and the database's collation (strcoll)
-- costs several times memcmp in each index comparison.
ALTER TABLE cloacina_executions ALTER COLUMN id TYPE text COLLATE "C";
ALTER TABLE cloacina_tasks
    ALTER COLUMN execution_id TYPE text COLLATE "C",
    ALTER COLUMN task_id TYPE text COLLATE "C",
    ALTER COLUMN workflow_name TYPE text COLLATE "C";
ALTER TABLE cloacina_events ALTER COLUMN execution_id TYPE text COLLATE "C";

-- Leave room on each page for the next version of a row: a task or
-- execution is updated several times, and an update whose new version fits
-- on the same page and changes no indexed column is HOT (no index entries
-- to add).
ALTER TABLE cloacina_tasks SET (fillfactor = 70);
ALTER TABLE cloacina_executions SET (fillfactor = 70);
