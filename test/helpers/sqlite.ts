/**
 * Reaching behind a Log to its SQLite driver: only tests do this, to inject faults where SQLite
 * sees them (a full disk, a read-only file) or to find the data directory. Everything else goes
 * through the Log's own methods.
 */
import { BodyReader, BodyStream, chunkSizeOf } from '../../src/storage/body-stream.js';
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

/**
 * replaceBody makes entry idx's stored body `body` in a closed log's cairn.db (tamper tests): the
 * bytes are appended to the body stream and the entry pointed at them, as the log writer would
 * store it (schema 7: bodies live in body_chunks, not in the entries row). With leafHash, the
 * row's leaf hash too.
 */
export function replaceBody(db: Db, idx: number, body: Uint8Array, leafHash?: Uint8Array): void {
  db.transaction(() => {
    const stream = new BodyStream(db, chunkSizeOf(db));
    const at = stream.append(body);
    stream.flush();
    db.prepare('UPDATE entries SET body_at = ?, body_len = ? WHERE idx = ?').run(at, body.length, idx);
    if (leafHash) db.prepare('UPDATE entries SET leaf_hash = ? WHERE idx = ?').run(leafHash, idx);
  })();
}

/** storedBody reads entry idx's body from a closed log's cairn.db. */
export function storedBody(db: Db, idx: number): Buffer {
  const r = db.prepare<[number], { at: number; len: number }>('SELECT body_at AS at, body_len AS len FROM entries WHERE idx = ?').get(idx)!;
  return Buffer.from(new BodyReader(db, chunkSizeOf(db)).read(r.at, r.len));
}
