-- The leaf-hash and search-key indexes move out of this file into index.db, a derived database a
-- background thread keeps up to date (src/storage/key-index.ts), so that sorting new keys into
-- random b-tree pages never holds up the writer or the event loop. What stays here is the source
-- they are built from: each entry's leaf hash (entries) and its search keys (entry_keys, written
-- in the entry's own transaction). index.db can be deleted at any time; it is rebuilt at start.

CREATE TABLE entry_keys (
  idx  INTEGER PRIMARY KEY,
  keys TEXT NOT NULL -- JSON array of the entry's search keys
) STRICT;
INSERT INTO entry_keys (idx, keys)
  SELECT idx, json_group_array(key) FROM (SELECT idx, key FROM index_keys ORDER BY idx, key) GROUP BY idx;
INSERT INTO entry_keys (idx, keys) SELECT idx, keys FROM staged_keys;

DROP TABLE staged_keys;
DROP TABLE index_keys;
DROP TABLE leaf_index;
DELETE FROM meta WHERE key = 'indexed_size';
