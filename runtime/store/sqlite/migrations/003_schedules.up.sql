-- Schedules and triggers; see the PostgreSQL migration of the same number.
CREATE TABLE cloacina_schedules (
    name            TEXT    PRIMARY KEY,
    kind            TEXT    NOT NULL,
    workflow_name   TEXT    NOT NULL,
    spec            BLOB    NOT NULL,
    origin          TEXT    NOT NULL,
    paused          INTEGER NOT NULL DEFAULT 0,
    disabled        INTEGER NOT NULL DEFAULT 0,
    next_at         INTEGER, -- Unix microseconds, like every time column
    last_at         INTEGER,
    last_execution  TEXT    NOT NULL DEFAULT '',
    buffered_at     INTEGER,
    skipped_overlap INTEGER NOT NULL DEFAULT 0,
    skipped_catchup INTEGER NOT NULL DEFAULT 0,
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until     INTEGER,
    revision        INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE cloacina_schedule_fires (
    schedule_name TEXT    NOT NULL,
    scheduled_at  INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    outcome       TEXT    NOT NULL,
    execution_id  TEXT    NOT NULL DEFAULT '',
    dedupe        TEXT    NOT NULL DEFAULT '',
    fired_at      INTEGER NOT NULL,
    PRIMARY KEY (schedule_name, scheduled_at)
);
CREATE INDEX cloacina_schedule_fires_dedupe ON cloacina_schedule_fires (schedule_name, dedupe)
    WHERE dedupe <> '';
