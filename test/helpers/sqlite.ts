/**
 * Reaching behind a Log to its SQLite driver: only tests do this, to inject faults where SQLite
 * sees them (a full disk, a read-only file) or to find the data directory. Everything else goes
 * through the Log's own methods.
 */
import type { Db } from '../../src/storage/db.js';
import type { Log } from '../../src/log/index.js';
import type { SqliteStorage } from '../../src/storage/index.js';

/** sqliteOf returns the log's driver. */
export function sqliteOf(log: Log): SqliteStorage {
  return (log as unknown as { storage: SqliteStorage }).storage;
}

/** dbOf returns the driver's reading connection. */
export function dbOf(log: Log): Db {
  return (sqliteOf(log) as unknown as { db: Db }).db;
}

/** dirOf returns the log's data directory. */
export function dirOf(log: Log): string {
  return sqliteOf(log).dataDir;
}
