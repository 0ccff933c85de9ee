-- Schedules and triggers. The definition is a JSON document the runtime
-- owns (spec); the store keeps the state runners update as they fire, and
-- a revision that every write raises, so a write that names the revision it
-- read applies only to that state.
CREATE TABLE cloacina_schedules (
    name            text        COLLATE "C" PRIMARY KEY,
    kind            text        NOT NULL, -- cron or trigger
    workflow_name   text        NOT NULL,
    spec            json        NOT NULL,
    origin          text        NOT NULL, -- code or api
    paused          boolean     NOT NULL DEFAULT false,
    disabled        boolean     NOT NULL DEFAULT false,
    next_at         timestamptz,
    last_at         timestamptz,
    last_execution  text        NOT NULL DEFAULT '',
    buffered_at     timestamptz,
    skipped_overlap bigint      NOT NULL DEFAULT 0,
    skipped_catchup bigint      NOT NULL DEFAULT 0,
    lease_owner     text        NOT NULL DEFAULT '',
    lease_until     timestamptz,
    revision        bigint      NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- One row per handled tick: the primary key is the guarantee of one
-- execution per (schedule, scheduled time).
CREATE TABLE cloacina_schedule_fires (
    schedule_name text        COLLATE "C" NOT NULL,
    scheduled_at  timestamptz NOT NULL,
    kind          text        NOT NULL,
    outcome       text        NOT NULL,
    execution_id  text        NOT NULL DEFAULT '',
    dedupe        text        NOT NULL DEFAULT '',
    fired_at      timestamptz NOT NULL,
    PRIMARY KEY (schedule_name, scheduled_at)
);
CREATE INDEX cloacina_schedule_fires_dedupe ON cloacina_schedule_fires (schedule_name, dedupe)
    WHERE dedupe <> '';
