-- SQLite's migration 006 moves its out-of-line values out of their key's
-- b-tree. A PostgreSQL table is a heap whose primary key index holds only
-- the key, so nothing changes here; the version is recorded all the same,
-- so that both dialects number their schemas alike.
SELECT 1;
