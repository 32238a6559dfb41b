export { SqliteStorage, DB_FILE, INDEX_FILE } from './sqlite.js';
export { openSnapshot } from './snapshot.js';
export { sqliteDamage } from './db.js';
// The witness server's own database (witness.db; witness/witness.ts), not a log's.
export { openDb } from './db.js';
