-- index.db: lookups by leaf hash and by search key, derived from cairn.db's entries and
-- entry_keys. Everything here can be rebuilt from those; a database of another version is.

CREATE TABLE leaf_index (
  leaf_hash BLOB PRIMARY KEY,
  idx       INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Search keys ("sha256:<hex>", "email:<addr>", ...) → log index; (key, idx) keeps each search one
-- range scan in index order.
CREATE TABLE index_keys (
  key TEXT NOT NULL,
  idx INTEGER NOT NULL,
  PRIMARY KEY (key, idx)
) STRICT, WITHOUT ROWID;

-- Entries [0, indexed_size) of the log are in the tables above; later ones are not yet.
CREATE TABLE progress (
  indexed_size INTEGER NOT NULL
) STRICT;
INSERT INTO progress (indexed_size) VALUES (0);
