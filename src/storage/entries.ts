import type { Db } from './db.js';

/** EntryRow is one stored leaf: its canonical body and what the log recorded about it. */
export interface EntryRow {
  index: number;
  leafHash: Uint8Array;
  body: Uint8Array;
  kind: string;
  integratedTime: number;
  /** Rekor's signed entry timestamp, when one was signed at integration. */
  entryTimestamp?: Uint8Array;
}

interface RawRow {
  idx: number;
  leaf_hash: Buffer;
  body: Buffer;
  kind: string;
  integrated_time: number;
  entry_ts: Buffer | null;
}

function fromRaw(r: RawRow): EntryRow {
  const e: EntryRow = { index: r.idx, leafHash: r.leaf_hash, body: r.body, kind: r.kind, integratedTime: r.integrated_time };
  if (r.entry_ts) e.entryTimestamp = r.entry_ts;
  return e;
}

/** EntryStore reads entries by log index (KeyIndex finds them by hash or key). The log writer's thread stores them (ENTRY_INSERT_SQL, statements.ts). */
export class EntryStore {
  private readonly byIndexStmt;
  private readonly rangeStmt;
  private readonly countStmt;

  constructor(db: Db) {
    this.byIndexStmt = db.prepare<[number], RawRow>('SELECT * FROM entries WHERE idx = ?');
    this.rangeStmt = db.prepare<[number, number], RawRow>('SELECT * FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx');
    this.countStmt = db.prepare<[], { n: number }>('SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM entries');
  }

  byIndex(index: number): EntryRow | undefined {
    const r = this.byIndexStmt.get(index);
    return r && fromRaw(r);
  }

  /** range returns entries with start <= index < end, in order. */
  range(start: number, end: number): EntryRow[] {
    return this.rangeStmt.all(start, end).map(fromRaw);
  }

  /** count returns the number of stored entries (max index + 1). */
  count(): number {
    return this.countStmt.get()!.n;
  }
}
