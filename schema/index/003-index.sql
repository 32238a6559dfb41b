-- index.db version 3: lookups by leaf hash and by search key, derived from cairn.db's entries and
-- entry_keys. Everything here can be rebuilt from those. A version 2 file is carried forward in
-- place (index-db.ts: its leaf_index rewritten to prefixes, search keys and salt kept); a file of
-- any other version is rebuilt.

-- Leaf hash → log index, each leaf by the first 6 bytes of its hash as an INTEGER (leaf-prefix.ts;
-- version 2 stored all 32 bytes, ~45 B an entry at 1M entries, against ~17.5). A prefix names
-- candidates: each is re-checked against the entry's full leaf hash in cairn.db, so two leaves
-- sharing a prefix cost a lookup, never a wrong answer. (p, idx) as the key: no two rows alike.
CREATE TABLE leaf_index (
  p   INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  PRIMARY KEY (p, idx)
) STRICT, WITHOUT ROWID;

-- Search keys → log index, each key as a 53-bit salted hash (key-hash.ts) instead of its text:
-- the key itself is in cairn.db's entry_keys (or derived from the body), and every hit is
-- re-checked against it, so a hash collision costs a lookup, never a wrong answer. (h, idx) keeps
-- each search one range scan in index order; the salt (per index.db) keeps collisions from being
-- chosen in advance.
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
