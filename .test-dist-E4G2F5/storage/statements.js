/**
 * The statements that write cairn.db's rows. The log writer's thread runs them (writer-thread.ts);
 * tests and benchmarks that build a database by hand use the same ones.
 */
/** ENTRY_INSERT_SQL stores an entry. A reused index fails on the primary key; duplicates are caught before (KeyIndex). */
export const ENTRY_INSERT_SQL = 'INSERT INTO entries (idx, leaf_hash, body, kind, integrated_time, entry_ts) VALUES (?, ?, ?, ?, ?, ?)';
/** ENTRY_KEYS_INSERT_SQL stores an entry's search keys (a JSON array), from which index.db is built. */
export const ENTRY_KEYS_INSERT_SQL = 'INSERT INTO entry_keys (idx, keys) VALUES (?, ?)';
/** TILE_PUT_SQL stores a tile's current bytes (a partial tile grows in place). */
export const TILE_PUT_SQL = 'INSERT INTO tiles (level, idx, hashes) VALUES (?, ?, ?) ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes';
/** CHECKPOINT_INSERT_SQL stores a newly signed checkpoint; a second root for a signed size fails on the primary key. */
export const CHECKPOINT_INSERT_SQL = 'INSERT INTO checkpoints (size, root_hash, signed_at, c2sp, rekor) VALUES (?, ?, ?, ?, ?)';
