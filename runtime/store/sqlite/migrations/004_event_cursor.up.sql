-- Following the event log in commit order needs no change on SQLite: one
-- writer at a time appends events, so their ids are in commit order and a
-- reader's cursor is the id alone (PostgreSQL's migration 004 records each
-- event's transaction instead). The version is recorded all the same, so
-- that both dialects number their schemas alike.
SELECT 1;
