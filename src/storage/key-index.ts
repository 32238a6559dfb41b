import type { Db } from './db.js';

/**
 * KeyIndex finds entries by leaf hash (duplicates, lookups by UUID) and by search key.
 *
 * Why it is not a plain SQL index written with each batch: leaf hashes and search keys are
 * random, so every new key lands on its own b-tree page, and a batch of 1024 entries dirtied
 * ~3.5 pages (~29 KB of writes) per entry: the commit was most of the log's cost. Instead
 * entries [0, indexedSize) are in the leaf_index and index_keys tables, written by merge() in
 * large sorted runs, and the entries after them (the "tail") are answered from memory. The tail's
 * search keys are still written in the entry's own transaction (staged_keys, an append-only
 * table), so nothing acknowledged depends on memory alone: open() rebuilds the tail from disk.
 *
 * The sequencer is the only writer: add() for each entry it takes, stage() inside its
 * transaction, truncate() when that transaction fails, merge() between batches.
 */
export class KeyIndex {
  /** Entries below this log index are in the SQL indexes; the tail starts here. */
  private indexed: number;
  /** Tail leaf hashes (as latin1 strings: cheap, exact map keys) → log index. */
  private readonly leaves = new Map<string, number>();
  /** Tail search keys → ascending log indexes. */
  private readonly keys = new Map<string, number[]>();
  /** What the tail holds for entry indexed + i, so merge() and truncate() can drop it again. */
  private tail: { leaf: string; keys: readonly string[] }[] = [];

  private readonly leafStmt;
  private readonly searchStmt;
  private readonly stageStmt;
  private readonly mergeLeavesStmt;
  private readonly mergeKeysStmt;
  private readonly unstageStmt;
  private readonly setIndexedStmt;

  constructor(private readonly db: Db) {
    this.leafStmt = db.prepare<[Uint8Array], number>('SELECT idx FROM leaf_index WHERE leaf_hash = ?').pluck();
    this.searchStmt = db.prepare<[string, number], number>('SELECT idx FROM index_keys WHERE key = ? ORDER BY idx LIMIT ?').pluck();
    this.stageStmt = db.prepare('INSERT INTO staged_keys (idx, keys) VALUES (?, ?)');
    this.mergeLeavesStmt = db.prepare('INSERT INTO leaf_index (leaf_hash, idx) SELECT leaf_hash, idx FROM entries WHERE idx >= ? AND idx < ? ORDER BY leaf_hash');
    this.mergeKeysStmt = db.prepare('INSERT INTO index_keys (key, idx) SELECT k.value, s.idx FROM staged_keys s, json_each(s.keys) k WHERE s.idx < ? ORDER BY 1, 2');
    this.unstageStmt = db.prepare('DELETE FROM staged_keys WHERE idx < ?');
    this.setIndexedStmt = db.prepare("UPDATE meta SET value = ? WHERE key = 'indexed_size'");
    this.indexed = Number(db.prepare<[], string>("SELECT value FROM meta WHERE key = 'indexed_size'").pluck().get() ?? '0');
    this.load();
  }

  /** indexedSize is the first log index still in the in-memory tail. */
  get indexedSize(): number {
    return this.indexed;
  }

  /** tailSize is how many entries are answered from memory (merge() shrinks it). */
  get tailSize(): number {
    return this.tail.length;
  }

  /** indexOf returns the log index of the leaf with this hash, including entries of a batch still being written. */
  indexOf(leafHash: Uint8Array): number | undefined {
    return this.leaves.get(latin1(leafHash)) ?? this.leafStmt.get(leafHash);
  }

  /** search returns up to limit log indexes below size carrying this key, ascending. */
  search(key: string, limit: number, size: number): number[] {
    const stored = this.searchStmt.all(key, limit);
    const recent = this.keys.get(key);
    if (!recent) return stored;
    // A merge that committed since the query ran cannot hide anything (the tail is dropped only
    // after it), but it can show an index twice.
    const all = [...new Set([...stored, ...recent.filter((i) => i < size)])].sort((a, b) => a - b);
    return all.slice(0, limit);
  }

  /**
   * add puts the next entry (log index indexedSize + tailSize) in the tail. Call before its
   * transaction commits, so that a duplicate later in the same batch is caught; truncate() undoes it.
   */
  add(index: number, leafHash: Uint8Array, keys: readonly string[]): void {
    if (index !== this.indexed + this.tail.length) throw new Error(`key index: entry ${index} added out of order`);
    const leaf = latin1(leafHash);
    this.leaves.set(leaf, index);
    for (const k of keys) {
      const list = this.keys.get(k);
      if (list) list.push(index);
      else this.keys.set(k, [index]);
    }
    this.tail.push({ leaf, keys });
  }

  /** stage writes an entry's search keys to disk; call inside the transaction that inserts the entry. */
  stage(index: number, keys: readonly string[]): void {
    if (keys.length > 0) this.stageStmt.run(index, JSON.stringify(keys));
  }

  /** truncate forgets tail entries from size on (their transaction failed). */
  truncate(size: number): void {
    while (this.indexed + this.tail.length > size) this.forget(this.tail.pop()!, this.indexed + this.tail.length);
  }

  /**
   * merge moves tail entries below `to` into the SQL indexes in one transaction: sorted inserts,
   * so each index page is written once per merge rather than once per key per batch.
   */
  merge(to: number): void {
    if (to <= this.indexed) return;
    this.db.transaction(() => {
      this.mergeLeavesStmt.run(this.indexed, to);
      this.mergeKeysStmt.run(to);
      this.unstageStmt.run(to);
      this.setIndexedStmt.run(String(to));
    })();
    const dropped = this.tail.splice(0, to - this.indexed);
    this.indexed = to;
    const touched = new Set<string>();
    for (const t of dropped) {
      this.leaves.delete(t.leaf);
      for (const k of t.keys) touched.add(k);
    }
    // One cut per key, not a shift per entry: a popular key can have thousands in the tail.
    for (const k of touched) {
      const list = this.keys.get(k)!;
      const keep = list.findIndex((i) => i >= to);
      if (keep < 0) this.keys.delete(k);
      else list.splice(0, keep);
    }
  }

  /** forget drops the newest tail entry, `index` (its transaction failed). */
  private forget(t: { leaf: string; keys: readonly string[] }, index: number): void {
    this.leaves.delete(t.leaf);
    for (const k of t.keys) {
      const list = this.keys.get(k)!;
      if (list.length === 1) this.keys.delete(k);
      else if (list[list.length - 1] === index) list.pop();
    }
  }

  /** load rebuilds the tail from the entries and staged keys past indexedSize. */
  private load(): void {
    const staged = new Map<number, string[]>();
    for (const r of this.db.prepare<[number], { idx: number; keys: string }>('SELECT idx, keys FROM staged_keys WHERE idx >= ?').iterate(this.indexed)) {
      staged.set(r.idx, JSON.parse(r.keys) as string[]);
    }
    for (const r of this.db.prepare<[number], { idx: number; leaf_hash: Buffer }>('SELECT idx, leaf_hash FROM entries WHERE idx >= ? ORDER BY idx').iterate(this.indexed)) {
      this.add(r.idx, r.leaf_hash, staged.get(r.idx) ?? []);
    }
  }
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/**
 * auditKeyIndex names the first way the leaf-hash index disagrees with the entries below
 * indexed_size (a missing or wrong row, or rows for entries it should not hold yet), or returns
 * undefined. For verify-db: a lookup by UUID or a duplicate check would otherwise go wrong silently.
 */
export function auditKeyIndex(db: Db): string | undefined {
  const indexed = Number(db.prepare<[], string>("SELECT value FROM meta WHERE key = 'indexed_size'").pluck().get() ?? '0');
  const bad = db
    .prepare<[number], number>('SELECT e.idx FROM entries e LEFT JOIN leaf_index l ON l.leaf_hash = e.leaf_hash WHERE e.idx < ? AND (l.idx IS NULL OR l.idx <> e.idx) ORDER BY e.idx LIMIT 1')
    .pluck()
    .get(indexed);
  if (bad !== undefined) return `entry ${bad} is not found by its leaf hash in the leaf index`;
  const rows = db.prepare<[], number>('SELECT COUNT(*) FROM leaf_index').pluck().get()!;
  if (rows !== indexed) return `the leaf index holds ${rows} rows for ${indexed} indexed entries`;
  return undefined;
}
