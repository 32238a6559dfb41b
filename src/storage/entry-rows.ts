/**
 * Writing entries rows (schema 7): the body goes to the body stream (body-stream.ts), the kind
 * to its number in kinds. The log writer's thread stores every batch through this, and so do
 * migration 7 and the tests and benchmarks that build a database by hand.
 */
import { BodyStream, chunkSizeOf } from './body-stream.js';
import type Database from 'better-sqlite3';

/** A connection (db.ts's Db, named here without importing db.ts, which imports this file). */
type Db = Database.Database;

/** ENTRY_INSERT_SQL stores an entry's row. A reused index fails on the primary key; duplicates are caught before (KeyIndex). */
const ENTRY_INSERT_SQL = 'INSERT INTO entries (idx, leaf_hash, kind, integrated_time, body_at, body_len, entry_ts) VALUES (?, ?, ?, ?, ?, ?, ?)';

/**
 * EntryRows appends entries inside the caller's transaction: put() each, then flush() before the
 * commit. If the transaction fails, reset() before the next put (what it remembers of the
 * stream's end and of new kinds' numbers was rolled back).
 */
export class EntryRows {
  private readonly stream: BodyStream;
  private readonly insert;
  private readonly kindPut;
  private readonly kindGet;
  private readonly kindIds = new Map<string, number>();

  constructor(db: Db, table = 'entries') {
    this.stream = new BodyStream(db, chunkSizeOf(db));
    this.insert = db.prepare(ENTRY_INSERT_SQL.replace('INTO entries', `INTO ${table}`));
    this.kindPut = db.prepare('INSERT INTO kinds (name) VALUES (?) ON CONFLICT (name) DO NOTHING');
    this.kindGet = db.prepare<[string], number>('SELECT id FROM kinds WHERE name = ?').pluck();
  }

  put(index: number, leafHash: Uint8Array, body: Uint8Array, kind: string, integratedTime: number, entryTs: Uint8Array | null): void {
    const at = this.stream.append(body);
    this.insert.run(index, leafHash, this.kindId(kind), integratedTime, at, body.length, entryTs);
  }

  flush(): void {
    this.stream.flush();
  }

  reset(): void {
    this.stream.reload();
    this.kindIds.clear();
  }

  private kindId(kind: string): number {
    let id = this.kindIds.get(kind);
    if (id === undefined) {
      this.kindPut.run(kind);
      id = this.kindGet.get(kind)!;
      this.kindIds.set(kind, id);
    }
    return id;
  }
}
