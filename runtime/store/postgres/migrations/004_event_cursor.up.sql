-- Each event records the transaction that appended it, so the log can be
-- followed in commit order. Ids come from a sequence and are not assigned
-- in commit order: a transaction can take id 10, commit after the one that
-- took id 11, and a reader that went past 11 would never see 10. A reader
-- orders by (tx, id) instead and reads only events of transactions older
-- than its snapshot's xmin: every such transaction has ended, and every
-- later one has a larger tx, so nothing can appear behind its cursor (see
-- ReadEvents). Events stored before this migration read as transaction 0.
ALTER TABLE cloacina_events ADD COLUMN tx xid8 NOT NULL DEFAULT '0';
ALTER TABLE cloacina_events ALTER COLUMN tx SET DEFAULT pg_current_xact_id();
CREATE INDEX cloacina_events_tx ON cloacina_events (tx, id);
