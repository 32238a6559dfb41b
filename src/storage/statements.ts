/**
 * The statements that write cairn.db's rows. The log writer's thread runs them (writer-thread.ts);
 * tests and benchmarks that build a database by hand use the same ones.
 */

// Entries rows are written through EntryRows (entry-rows.ts): a body goes to the body stream.

/** ENTRY_KEYS_INSERT_SQL stores an entry's search keys (a JSON array), from which index.db is built. */
export const ENTRY_KEYS_INSERT_SQL = 'INSERT INTO entry_keys (idx, keys) VALUES (?, ?)';

/** TILE_PUT_SQL stores a tile's current bytes (a partial tile grows in place). */
export const TILE_PUT_SQL = 'INSERT INTO tiles (level, idx, hashes) VALUES (?, ?, ?) ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes';

/** CHECKPOINT_INSERT_SQL stores a newly signed checkpoint; a second root for a signed size fails on the primary key. */
export const CHECKPOINT_INSERT_SQL = 'INSERT INTO checkpoints (size, root_hash, signed_at, c2sp, rekor) VALUES (?, ?, ?, ?, ?)';

/**
 * Old checkpoints are needed by nothing (roots and proofs come from tiles; clients get the latest,
 * or their batch's in its answer), so every commit keeps the newest KEEP_CHECKPOINTS and those a
 * witness cosigned, and deletes at most 256 of the rest: a log made before this sheds its backlog
 * a little at a time, never in one long commit. With small batches they were ~47 B an entry (issue 16).
 */
export const KEEP_CHECKPOINTS = 1024;
export const CHECKPOINTS_PRUNE_SQL = `DELETE FROM checkpoints WHERE size IN (
  SELECT size FROM checkpoints
  WHERE size < (SELECT size FROM checkpoints ORDER BY size DESC LIMIT 1 OFFSET ${KEEP_CHECKPOINTS - 1})
    AND size NOT IN (SELECT size FROM witness_cosignatures)
  ORDER BY size LIMIT 256)`;
