-- Contexts move into the rows that use them: an execution's input, a task's
-- input and output. Values larger than store.InlineLimit are stored once per
-- execution in cloacina_values and referred to by hash (the *_refs columns,
-- a JSON object of key -> hash, NULL when empty).
CREATE TABLE cloacina_values (
    execution_id text  NOT NULL,
    hash         text  NOT NULL, -- hex SHA-256 of data
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
UPDATE cloacina_executions e SET input = c.data FROM cloacina_contexts c WHERE c.id = e.input_ctx;
ALTER TABLE cloacina_executions ALTER COLUMN input SET NOT NULL, DROP COLUMN input_ctx;
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
