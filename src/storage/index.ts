export { openDb, migrations, sqliteDamage, type Db, type OpenDbOptions } from './db.js';
export { MetaStore } from './meta.js';
export { EntryStore, ENTRY_INSERT_SQL, type EntryRow } from './entries.js';
export { KeyIndex, auditKeyIndex, ENTRY_KEYS_INSERT_SQL, type KeyIndexOptions } from './key-index.js';
export { TileStore, tileKey, type TileKey } from './tiles.js';
export { CheckpointStore, type CheckpointRow } from './checkpoints.js';
export { WalCheckpointer, INLINE_CHECKPOINT_PAGES } from './checkpointer.js';
export { lockDataDir, LOCK_FILE, type WriterLock } from './lock.js';
export { LogWriter, type BatchWrite } from './writer.js';
