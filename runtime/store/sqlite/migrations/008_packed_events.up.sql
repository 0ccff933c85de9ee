-- The event log is packed: a row holds the events one transaction appended
-- to one execution, in order, encoded as the engine encodes them (see
-- engine.PackEvents), and n says how many. A transaction that claims or
-- records many tasks of an execution wrote a row per event, and it is the
-- row, not its bytes, that costs the write.
--
-- Events keep ids of their own: a row's events are id, id + 1, ...,
-- id + n - 1. New rows take ids that are multiples of 65536 (the engine's
-- EventStride), past every id stored before; the rows copied here hold one
-- event each and keep their ids, so a cursor saved before the migration
-- still names the same place in the log. AUTOINCREMENT keeps the largest
-- id ever stored (in sqlite_sequence), which new ids are counted from: a
-- purge that deletes the log's last rows does not give their ids to the
-- next events, which a reader past them would never see. json_patch onto an empty object
-- leaves out the members that are NULL: the fields an event does not have.
ALTER TABLE cloacina_events RENAME TO cloacina_events_unpacked;
DROP INDEX cloacina_events_execution;

CREATE TABLE cloacina_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id TEXT    NOT NULL,
    runner_id    TEXT    NOT NULL DEFAULT '',
    at           INTEGER NOT NULL,
    n            INTEGER NOT NULL,
    events       TEXT    NOT NULL
);

INSERT INTO cloacina_events (id, execution_id, runner_id, at, n, events)
SELECT id, execution_id, runner_id, at, 1,
    json_array(json_patch('{}', json_object(
        't', nullif(task_id, ''), 'k', kind, 'a', nullif(attempt, 0), 'm', nullif(message, ''))))
FROM cloacina_events_unpacked ORDER BY id;
DROP TABLE cloacina_events_unpacked;

CREATE INDEX cloacina_events_execution ON cloacina_events (execution_id, id);
