import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILE, SqliteStorage, openSnapshot, type LogStorage } from '../../src/storage/index.js';
import { tempDir } from '../helpers/test-log.js';
import { storageContract } from './contract.js';

const sqlite = (s: LogStorage) => s as SqliteStorage;

storageContract('SQLite', {
  place: () => tempDir(),
  open: async (dir) => SqliteStorage.open(dir, { synchronous: 'FULL', index: { minRun: 64 } }),
  // A killed process: the threads end where they are, connections are dropped unclosed, the
  // lock goes with them (abandon), and nothing more is written.
  crash: async (s) => sqlite(s).abandon(),
  breakWrites: async (s) => void (await sqlite(s).pragma('query_only = 1')),
  fixWrites: async (s) => void (await sqlite(s).pragma('query_only = 0')),
  snapshot: async (dir) => openSnapshot(dir),
  restore: async (file) => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    copyFileSync(file, join(dir, DB_FILE));
    return dir;
  },
  backupPath: () => join(tempDir(), 'backup.db'),
});
