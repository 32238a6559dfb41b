export { Log, DB_FILE, INDEX_FILE, type LogConfig } from './log.js';
export { Sequencer, type BatchStats } from './sequencer.js';
export { CheckpointSigner } from './signer.js';
export { auditDatabase, type AuditReport } from './audit.js';
export { loadOrCreateKey, KEY_FILE, type KeyType } from './keyfile.js';
export type { Receipt, SignedCheckpoint, StoredEntry, Submission } from './types.js';
export { entryTimestampPayload, signEntryTimestamp, verifyEntryTimestamp, type EntryTimestampFields } from './set.js';
