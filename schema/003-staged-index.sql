-- Lookups by leaf hash and by search key move to indexes that are written in large sorted merges
-- instead of one random b-tree page per key per batch (which made the commit the log's bottleneck).
-- Entries [0, indexed_size) are in leaf_index and index_keys; the search keys of entries from
-- indexed_size on wait in staged_keys, which only ever grows at its end, and the log answers for
-- those entries from memory (rebuilt from entries and staged_keys at start).

CREATE TABLE leaf_index (
  leaf_hash BLOB PRIMARY KEY,
  idx       INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO leaf_index (leaf_hash, idx) SELECT leaf_hash, idx FROM entries ORDER BY leaf_hash;
DROP INDEX entries_leaf_hash;

-- One row per entry that has search keys, keys as a JSON array of strings: a single append at the
-- table's right edge per entry, and a merge reads a prefix and deletes it.
CREATE TABLE staged_keys (
  idx  INTEGER PRIMARY KEY,
  keys TEXT NOT NULL
) STRICT;

INSERT INTO meta (key, value) SELECT 'indexed_size', CAST(COUNT(*) AS TEXT) FROM entries;
