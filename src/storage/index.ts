export { openDb, migrations, sqliteDamage, type Db, type OpenDbOptions } from './db.js';
export { MetaStore } from './meta.js';
export { EntryStore, type EntryRow } from './entries.js';
export { KeyIndex, auditKeyIndex, type KeyIndexOptions } from './key-index.js';
export { TileStore } from './tiles.js';
export { CheckpointStore, type CheckpointRow } from './checkpoints.js';
export { WalCheckpointer } from './checkpointer.js';
export { lockDataDir, LOCK_FILE, type WriterLock } from './lock.js';
