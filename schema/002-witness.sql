-- Cairn schema v2: witnessing (shared/specs/tlog-witness.md). Every Cairn database gets both
-- tables through the one migration chain; a log uses the second, `cairn witness` the first.

-- Witness side: the latest checkpoint this witness cosigned for each log origin. add-checkpoint
-- updates a row only if its size still equals the request's old size (compare-and-swap).
CREATE TABLE witness_checkpoints (
  origin     TEXT PRIMARY KEY,
  size       INTEGER NOT NULL,
  root_hash  BLOB NOT NULL,
  -- The checkpoint with the log signatures the witness verified and its own cosignature, as the
  -- monitoring endpoint serves it.
  note       TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

-- Log side: the latest cosignature each configured witness returned, keyed by the witness's vkey.
-- Its size is where the next add-checkpoint's consistency proof starts.
CREATE TABLE witness_cosignatures (
  witness    TEXT PRIMARY KEY,
  size       INTEGER NOT NULL,
  -- The cosigned checkpoint body (note text) and the verified cosignature line(s), newline-terminated.
  checkpoint TEXT NOT NULL,
  lines      TEXT NOT NULL
) STRICT;
