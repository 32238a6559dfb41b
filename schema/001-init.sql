-- Cairn schema v1. Migrations are numbered, applied in order at start, and never edited once landed.

-- Facts fixed when the log is created: origin, public key, tree ID. Checked at every start.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- One row per leaf. idx is the log index (rowid alias, so lookups by index are a b-tree seek).
CREATE TABLE entries (
  idx             INTEGER PRIMARY KEY,
  leaf_hash       BLOB NOT NULL,
  body            BLOB NOT NULL,
  kind            TEXT NOT NULL,
  integrated_time INTEGER NOT NULL
) STRICT;
-- Lookups by UUID (the hex leaf hash) and duplicate detection; UNIQUE so no leaf enters twice.
CREATE UNIQUE INDEX entries_leaf_hash ON entries (leaf_hash);

-- C2SP tlog-tiles (height 8): level L, index N, the concatenated 32-byte hashes. Full tiles
-- (8192 bytes) are never rewritten; the right-edge partial tile of each level grows in place.
CREATE TABLE tiles (
  level  INTEGER NOT NULL,
  idx    INTEGER NOT NULL,
  hashes BLOB NOT NULL,
  PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;

-- Every checkpoint the log signed, one per tree size. The primary key is what makes signing two
-- roots for one size impossible: the batch that would do it fails its transaction.
CREATE TABLE checkpoints (
  size      INTEGER PRIMARY KEY,
  root_hash BLOB NOT NULL,
  signed_at INTEGER NOT NULL,
  c2sp      TEXT NOT NULL,
  rekor     TEXT NOT NULL
) STRICT;

-- Search keys ("sha256:<hex>", "email:<addr>", ...) → log index. (key, idx) as the key keeps
-- each search a single range scan in index order.
CREATE TABLE index_keys (
  key TEXT NOT NULL,
  idx INTEGER NOT NULL,
  PRIMARY KEY (key, idx)
) STRICT, WITHOUT ROWID;
