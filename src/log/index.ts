export { Log, type AnyLog, type LogConfig, type Read, type ServiceConfig } from './log.js';
export { all, andThen, isPromise, type Awaitable } from './awaitable.js';
export { Sequencer, type BatchStats } from './sequencer.js';
export { CheckpointSigner } from './signer.js';
export { TileCache } from './tile-cache.js';
export { auditDatabase, auditPostgres, auditSnapshot, type AuditReport } from './audit.js';
export { loadOrCreateKey, KEY_FILE, type KeyType } from './keyfile.js';
export type { Receipt, SignedCheckpoint, StoredEntry, Submission } from './types.js';
export { entryTimestampPayload, signEntryTimestamp, verifyEntryTimestamp, type EntryTimestampFields } from './set.js';
// The data directory's files and read-only snapshots (export, backup, verify-db): the log's driver's.
export { DB_FILE, INDEX_FILE, openSnapshot, type Cosignature, type LogSnapshot } from '../storage/index.js';
export { Shards, type Shard, type RotateOptions, type ShardsConfig } from './shards.js';
export { SHARDS_FILE, SHARDS_DIR, SHARD_NAME, readManifest, treeIdHex, type ShardManifest, type ShardRecord, type FrozenState } from './shard-manifest.js';
export { QueueFeeder, SharedSubmitter } from './shared-queue.js';
export { ElectedNode, type ElectedNodeOptions, type NodeStorage } from './elected-node.js';
