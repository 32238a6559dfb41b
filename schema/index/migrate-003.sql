-- index.db version 2 → 3 in place: leaf_index from full leaf hashes to 6-byte prefixes
-- (leaf_prefix(), a function index-db.ts registers), written in key order; index_keys, progress
-- and the salt stay as they are, so nothing is re-derived from the bodies.
CREATE TABLE leaf_index_v3 (
  p   INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  PRIMARY KEY (p, idx)
) STRICT, WITHOUT ROWID;
INSERT INTO leaf_index_v3 (p, idx) SELECT leaf_prefix(leaf_hash), idx FROM leaf_index ORDER BY 1, 2;
DROP TABLE leaf_index;
ALTER TABLE leaf_index_v3 RENAME TO leaf_index;
