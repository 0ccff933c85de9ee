-- Leave room on each page for the next version of a row: a task or
-- execution is updated several times, and an update whose new version fits
-- on the same page and changes no indexed column is HOT (no index entries
-- to add).
ALTER TABLE cloacina_tasks SET (fillfactor = 70);
ALTER TABLE cloacina_executions SET (fillfactor = 70);
