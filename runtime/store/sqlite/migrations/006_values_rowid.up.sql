-- Out-of-line values move to a table with a rowid. In the WITHOUT ROWID
-- table a value was part of its key's b-tree cell, and SQLite reads the
-- whole payload of an overflowing cell to compare keys with it: every
-- insert or lookup beside an 8 MiB value read those 8 MiB again. Now the
-- key's index holds the key and the rowid, and a value's pages are read
-- only when it is selected.
CREATE TABLE cloacina_values_v3 (
    execution_id TEXT NOT NULL,
    hash         TEXT NOT NULL, -- hex SHA-256 of data
    data         BLOB NOT NULL,
    UNIQUE (execution_id, hash)
);
INSERT INTO cloacina_values_v3 (execution_id, hash, data)
    SELECT execution_id, hash, data FROM cloacina_values;
DROP TABLE cloacina_values;
ALTER TABLE cloacina_values_v3 RENAME TO cloacina_values;
