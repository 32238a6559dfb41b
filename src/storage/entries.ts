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

/** The statement that stores an entry (here and on the log writer's thread). */
export const ENTRY_INSERT_SQL = 'INSERT INTO entries (idx, leaf_hash, body, kind, integrated_time, entry_ts) VALUES (?, ?, ?, ?, ?, ?)';

/** EntryStore reads and writes entries by log index (KeyIndex finds them by hash or key). Writes happen inside the sequencer's transaction. */
export class EntryStore {
  private readonly insertStmt;
  private readonly byIndexStmt;
  private readonly rangeStmt;
  private readonly countStmt;

  constructor(db: Db) {
    // A reused index is a bug and throws; duplicates are the sequencer's to catch (KeyIndex).
    this.insertStmt = db.prepare(ENTRY_INSERT_SQL);
    this.byIndexStmt = db.prepare<[number], RawRow>('SELECT * FROM entries WHERE idx = ?');
    this.rangeStmt = db.prepare<[number, number], RawRow>('SELECT * FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx');
    this.countStmt = db.prepare<[], { n: number }>('SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM entries');
  }

  /** insert stores an entry. */
  insert(e: EntryRow): void {
    this.insertStmt.run(e.index, e.leafHash, e.body, e.kind, e.integratedTime, e.entryTimestamp ?? null);
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
