export { Log } from './log.js';
export { Sequencer } from './sequencer.js';
export { CheckpointSigner } from './signer.js';
export { TileCache } from './tile-cache.js';
export { auditDatabase } from './audit.js';
export { loadOrCreateKey, KEY_FILE } from './keyfile.js';
export { entryTimestampPayload, signEntryTimestamp, verifyEntryTimestamp } from './set.js';
// The data directory's files and read-only snapshots (export, backup, verify-db): the log's driver's.
export { DB_FILE, INDEX_FILE, openSnapshot } from '../storage/index.js';
export { Shards } from './shards.js';
export { SHARDS_FILE, SHARDS_DIR, SHARD_NAME, readManifest, treeIdHex } from './shard-manifest.js';
