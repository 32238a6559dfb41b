import type { Db } from './db.js';

/** EntryRow is one stored leaf: its canonical body and what the log recorded about it. */
export interface EntryRow {
  index: number;
  leafHash: Uint8Array;
  body: Uint8Array;
  kind: string;
  integratedTime: number;
}

interface RawRow {
  idx: number;
  leaf_hash: Buffer;
  body: Buffer;
  kind: string;
  integrated_time: number;
}

function fromRaw(r: RawRow): EntryRow {
  return { index: r.idx, leafHash: r.leaf_hash, body: r.body, kind: r.kind, integratedTime: r.integrated_time };
}

/** EntryStore reads and writes entries and their search keys. Writes happen inside the sequencer's transaction. */
export class EntryStore {
  private readonly insertStmt;
  private readonly keyStmt;
  private readonly byIndexStmt;
  private readonly byHashStmt;
  private readonly indexOfHashStmt;
  private readonly rangeStmt;
  private readonly searchStmt;
  private readonly countStmt;

  constructor(db: Db) {
    // Only a repeated leaf hash is ignored; any other conflict (a reused index) is a bug and throws.
    this.insertStmt = db.prepare('INSERT INTO entries (idx, leaf_hash, body, kind, integrated_time) VALUES (?, ?, ?, ?, ?) ON CONFLICT (leaf_hash) DO NOTHING');
    this.keyStmt = db.prepare('INSERT OR IGNORE INTO index_keys (key, idx) VALUES (?, ?)');
    this.byIndexStmt = db.prepare<[number], RawRow>('SELECT * FROM entries WHERE idx = ?');
    this.byHashStmt = db.prepare<[Uint8Array], RawRow>('SELECT * FROM entries WHERE leaf_hash = ?');
    this.indexOfHashStmt = db.prepare<[Uint8Array], { idx: number }>('SELECT idx FROM entries WHERE leaf_hash = ?');
    this.rangeStmt = db.prepare<[number, number], RawRow>('SELECT * FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx');
    this.searchStmt = db.prepare<[string, number], { idx: number }>('SELECT idx FROM index_keys WHERE key = ? ORDER BY idx LIMIT ?');
    this.countStmt = db.prepare<[], { n: number }>('SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM entries');
  }

  /**
   * insert stores an entry and its search keys unless an entry with the same leaf hash exists;
   * returns false (storing nothing) in that case. One b-tree probe does both the check and the write.
   */
  insert(e: EntryRow, keys: readonly string[]): boolean {
    if (this.insertStmt.run(e.index, e.leafHash, e.body, e.kind, e.integratedTime).changes === 0) return false;
    for (const k of keys) this.keyStmt.run(k, e.index);
    return true;
  }

  byIndex(index: number): EntryRow | undefined {
    const r = this.byIndexStmt.get(index);
    return r && fromRaw(r);
  }

  byLeafHash(leafHash: Uint8Array): EntryRow | undefined {
    const r = this.byHashStmt.get(leafHash);
    return r && fromRaw(r);
  }

  /** indexOf returns the log index of the leaf with this hash, if it is in the log. */
  indexOf(leafHash: Uint8Array): number | undefined {
    return this.indexOfHashStmt.get(leafHash)?.idx;
  }

  /** range returns entries with start <= index < end, in order. */
  range(start: number, end: number): EntryRow[] {
    return this.rangeStmt.all(start, end).map(fromRaw);
  }

  /** search returns up to limit log indexes carrying this key, ascending. */
  search(key: string, limit: number): number[] {
    return this.searchStmt.all(key, limit).map((r) => r.idx);
  }

  /** count returns the number of stored entries (max index + 1). */
  count(): number {
    return this.countStmt.get()!.n;
  }
}
