/**
 * storage: the driver contract (contract.ts) and its SQLite driver. Only the contract's types, the
 * driver's opener and snapshots leave this folder: nothing else holds a database handle.
 */
export type { Awaitable, BatchWrite, CheckpointRow, Committed, Cosignature, ElectedLogStorage, Enqueued, EntryRow, LogIdentity, LogSnapshot, LogStorage, QueuedEntry, SharedQueue, StorageStats, SyncLogStorage } from './contract.js';
export { SqliteStorage, DB_FILE, INDEX_FILE, type SqliteOptions } from './sqlite.js';
export { SqliteReader } from './sqlite-reader.js';
// Reads gathered per turn of the event loop (the PostgreSQL driver's lookups, Log.entryByIndexGathered).
export { Coalesce } from './coalesce.js';
export { openSnapshot } from './snapshot.js';
export { sqliteDamage } from './db.js';
// The witness server's own database (witness.db; witness/witness.ts), not a log's.
export { openDb, type Db, type MigrateProgress } from './db.js';
export { PostgresStorage, type PostgresOptions } from './postgres.js';
export { describePlace, postgresPlace, type PostgresPlace } from './postgres-schema.js';
export { openPostgresSnapshot, restorePostgres } from './postgres-snapshot.js';
export { importPostgres, type ImportResult } from './postgres-import.js';
