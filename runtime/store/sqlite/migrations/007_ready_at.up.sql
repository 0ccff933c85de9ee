-- A task readied by its dependencies takes its place in the ready queue
-- (ordered by retry_at) at its execution's creation time, so the queue
-- serves executions in the order they were created and an execution in
-- progress is not held up behind every root queued after it. ready_at
-- keeps when the task actually became claimable, which claims report for
-- queue latency; NULL means retry_at.
ALTER TABLE cloacina_tasks ADD COLUMN ready_at INTEGER;
