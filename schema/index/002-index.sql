-- index.db: lookups by leaf hash and by search key, derived from cairn.db's entries and
-- entry_keys. Everything here can be rebuilt from those; a database of another version is
-- (version 1 stored each search key in full, ~176 bytes an entry at 3 keys; see index_keys).

CREATE TABLE leaf_index (
  leaf_hash BLOB PRIMARY KEY,
  idx       INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Search keys → log index, each key as an 8-byte salted hash (key-hash.ts) instead of its text:
-- the key itself is in cairn.db's entry_keys, and every hit is re-checked against it, so a hash
-- collision costs a lookup, never a wrong answer. (h, idx) keeps each search one range scan in
-- index order; the salt (per index.db) keeps collisions from being chosen in advance.
CREATE TABLE index_keys (
  h   INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  PRIMARY KEY (h, idx)
) STRICT, WITHOUT ROWID;

-- Entries [0, indexed_size) of the log are in the tables above; later ones are not yet.
CREATE TABLE progress (
  indexed_size INTEGER NOT NULL,
  salt         BLOB NOT NULL
) STRICT;
INSERT INTO progress (indexed_size, salt) VALUES (0, randomblob(16));
