-- The event log is packed: a row holds the events one transaction appended
-- to one execution, in order, encoded as the engine encodes them (see
-- engine.PackEvents), and n says how many. A transaction that claims or
-- records many tasks of an execution wrote a row per event, and it is the
-- row, not its bytes, that costs the write.
--
-- Events keep ids of their own: a row's events are id, id + 1, ...,
-- id + n - 1. New rows take ids 65536 apart (the sequence's increment, the
-- engine's EventStride), past every id stored before; the rows copied here
-- hold one event each and keep their ids, so a cursor saved before the
-- migration still names the same place in the log.
ALTER TABLE cloacina_events RENAME TO cloacina_events_unpacked;
ALTER INDEX cloacina_events_execution RENAME TO cloacina_events_unpacked_execution;
ALTER INDEX cloacina_events_tx RENAME TO cloacina_events_unpacked_tx;

CREATE SEQUENCE cloacina_events_row INCREMENT BY 65536 MINVALUE 65536;
SELECT setval('cloacina_events_row', ((coalesce(max(id), 0) / 65536) + 1) * 65536, false) FROM cloacina_events_unpacked;

-- toast_tuple_target keeps a row of a few hundred events in the table,
-- uncompressed, rather than compressed or moved out of line from 2 kB.
CREATE TABLE cloacina_events (
    id           bigint      PRIMARY KEY DEFAULT nextval('cloacina_events_row'),
    tx           xid8        NOT NULL DEFAULT pg_current_xact_id(),
    execution_id text        COLLATE "C" NOT NULL,
    runner_id    text        NOT NULL DEFAULT '',
    at           timestamptz NOT NULL,
    n            integer     NOT NULL,
    events       text        NOT NULL
) WITH (toast_tuple_target = 8160);
ALTER SEQUENCE cloacina_events_row OWNED BY cloacina_events.id;

INSERT INTO cloacina_events (id, tx, execution_id, runner_id, at, n, events)
SELECT id, tx, execution_id, runner_id, at, 1,
    json_build_array(json_strip_nulls(json_build_object(
        't', nullif(task_id, ''), 'k', kind, 'a', nullif(attempt, 0), 'm', nullif(message, ''))))::text
FROM cloacina_events_unpacked;
DROP TABLE cloacina_events_unpacked;

CREATE INDEX cloacina_events_execution ON cloacina_events (execution_id, id);
CREATE INDEX cloacina_events_tx ON cloacina_events (tx, id);
