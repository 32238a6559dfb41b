import { Thread, threadModule } from '../threads/index.js';
import { openDb, type Db } from './db.js';
import { BodyReader, chunkSizeOf } from './body-stream.js';
import { ENTRY_KEYS_COLUMNS, ENTRY_KEYS_FROM, keysOf, type KeysRow } from './entry-keys.js';
import { indexSalt, leafCandidates, mergeRun, openIndexDb, rmIndexDb } from './index-db.js';
import { keyHash } from './key-hash.js';
import type { IndexIn, IndexOut, IndexWorkerData } from './index-thread.js';
import { LeafFilter } from './leaf-filter.js';
import { leafPrefix } from './leaf-prefix.js';
import { TailIndex } from './tail-index.js';

/**
 * KeyIndex finds entries by leaf hash (duplicates, lookups by UUID) and by search key.
 *
 * Why not plain SQL indexes written with each batch: leaf hashes and search keys are random, so
 * every new key lands on its own b-tree page; a batch of 1024 entries dirtied ~3.5 pages (~29 KB
 * of writes) per entry, and the commit was most of the log's cost. Here the indexes live in
 * index.db, a database derived from the log's entries and entry_keys, which a worker thread
 * extends in large sorted runs (each index page written once per run, on the other core). The
 * entries it has not reached yet (the "tail") are answered from memory. Nothing acknowledged
 * depends on memory or on index.db: the tail is rebuilt from cairn.db at start, and index.db is
 * rebuilt if it is missing, damaged or of another version.
 *
 * The sequencer is the only writer: add() for each entry it takes (its search keys are stored
 * with the entry, in entry_keys, by the log writer, unless its body gives them back: entry-keys.ts),
 * truncate() when that batch fails, committed() after it commits.
 *
 * Over 300 lines for a reason: the writer's KeyIndex and a worker's read-only FollowerKeys answer
 * the same lookups from the same index.db and tail, through the helpers between them; apart, each
 * file would import the other's half.
 */
export class KeyIndex {
  /** Entries below this log index are in index.db; the tail starts here. */
  private indexed: number;
  /** The tail's leaf hashes and search keys. */
  private tail!: TailIndex;
  /** The longest tail kept in memory: longer at start is indexed first, and the sequencer waits past it. */
  readonly maxTail: number;
  private readonly idb: Db;
  /** Every leaf hash in index.db or the tail (and some forgotten ones): most misses end here. */
  private readonly filter: LeafFilter;
  private readonly stored: StoredKeys;
  private readonly storedLeaf: StoredLeaf;
  private worker?: Thread<IndexIn, IndexOut>;
  private closing = false;
  private progressWaiters: (() => void)[] = [];
  private lookups = 0;

  private constructor(
    private readonly o: KeyIndexOptions,
    size: number,
  ) {
    this.idb = openIndexDb(o.indexPath);
    this.indexed = this.idb.prepare<[], number>('SELECT indexed_size FROM progress').pluck().get()!;
    if (this.indexed > size) {
      // index.db is ahead of the log (say, cairn.db was restored from an older backup): rebuild.
      this.idb.close();
      rmIndexDb(o.indexPath);
      this.idb = openIndexDb(o.indexPath);
      this.indexed = 0;
    }
    this.maxTail = o.maxTail ?? DEFAULT_MAX_TAIL;
    if (size - this.indexed > this.maxTail) this.catchUp(size);
    this.idb.pragma('query_only = 1'); // from here on the worker writes it; this connection only reads
    this.storedLeaf = storedLeaf(this.idb, o.logDb);
    this.stored = storedKeys(this.idb, o.logDb);
    this.tail = new TailIndex(this.indexed);
    this.filter = new LeafFilter(Math.max(2 * size, MIN_FILTER_CAPACITY));
    for (const p of this.idb.prepare<[], number>('SELECT p FROM leaf_index').pluck().iterate()) this.filter.add(p);
    this.load();
  }

  /** open opens (building or rebuilding as needed) the index of a log of `size` entries and starts its worker. */
  static open(o: KeyIndexOptions, size: number): KeyIndex {
    const k = new KeyIndex(o, size);
    k.startWorker();
    k.committed(size);
    return k;
  }

  /** indexedSize is the first log index still in the in-memory tail. */
  get indexedSize(): number {
    return this.indexed;
  }

  /** storedLookups is how many leaf lookups went to index.db (the filter said "maybe"). */
  get storedLookups(): number {
    return this.lookups;
  }

  /** tailSize is how many entries are answered from memory. */
  get tailSize(): number {
    return this.tail.size;
  }

  /** indexOf returns the log index of the leaf with this hash, including entries of a batch still being written. */
  indexOf(leafHash: Uint8Array): number | undefined {
    const recent = this.tail.leafIndex(leafHash);
    if (recent !== undefined || !this.filter.mayHave(leafPrefix(leafHash))) return recent;
    this.lookups++;
    return this.storedLeaf(leafHash);
  }

  /** search returns up to limit log indexes below size carrying this key, ascending. */
  search(key: string, limit: number, size: number): number[] {
    return searchBoth(this.stored, this.tail, key, limit, size);
  }

  /**
   * add puts the next entry (log index indexedSize + tailSize) in the tail. Call before its
   * transaction commits, so that a duplicate later in the same batch is caught; truncate() undoes it.
   */
  add(index: number, leafHash: Uint8Array, keys: readonly string[]): void {
    if (index !== this.indexed + this.tail.size) throw new Error(`key index: entry ${index} added out of order`);
    this.tail.add(leafHash, keys);
    this.filter.add(leafPrefix(leafHash));
  }

  /** truncate forgets tail entries from size on (their transaction failed). */
  truncate(size: number): void {
    this.tail.truncate(size);
  }

  /** committed tells the worker that entries below size are durable in cairn.db and may be indexed. */
  committed(size: number): void {
    this.worker?.post({ type: 'committed', size });
  }

  /** flush resolves once every entry below size is in index.db (the tail no longer holds them). */
  async flush(size: number): Promise<void> {
    this.worker?.post({ type: 'committed', size, flush: true });
    while (this.indexed < size) {
      if (this.closing || !this.worker) throw new Error('key index: closed before the flush finished');
      await this.progress();
    }
  }

  /** progress resolves at the worker's next report (an indexed run, or an error). */
  progress(): Promise<void> {
    return new Promise((r) => this.progressWaiters.push(r));
  }

  /** close stops the worker after the run it is writing, and closes index.db. */
  async close(): Promise<void> {
    this.closing = true;
    const w = this.worker;
    this.worker = undefined;
    await w?.stop(STOP_WAIT_MS, { type: 'stop' });
    for (const r of this.progressWaiters.splice(0)) r();
    if (this.idb.open) this.idb.close();
  }

  private startWorker(): void {
    const data: IndexWorkerData = { indexPath: this.o.indexPath, logPath: this.o.logPath, minRun: this.o.minRun ?? DEFAULT_MIN_RUN, maxRun: this.o.maxRun ?? DEFAULT_MAX_RUN };
    this.worker = new Thread<IndexIn, IndexOut>({
      name: 'key index',
      module: threadModule(import.meta.url, 'index-thread'),
      data,
      onMessage: (m) => {
        if ('indexed' in m) this.merged(m.indexed);
        else this.o.onError?.(new Error(`key index: ${m.error}`));
        for (const r of this.progressWaiters.splice(0)) r();
      },
      // Lookups stay right meanwhile (the tail just grows); the new worker picks up where the old
      // one stopped, from index.db's stored progress.
      onExit: (why) => this.o.onError?.(new Error(`${why}; restarting it`)),
      respawn: () => RESPAWN_MS,
      onRespawn: () => this.committed(this.indexed + this.tail.size),
    });
  }

  /** merged drops tail entries below `to`, which the worker has committed to index.db. */
  private merged(to: number): void {
    if (to <= this.indexed) return;
    this.tail.dropBelow(to);
    this.indexed = this.tail.first;
  }

  /** catchUp indexes a long tail before serving (a new or rebuilt index.db): memory stays bounded. */
  private catchUp(size: number): void {
    this.idb.prepare('ATTACH DATABASE ? AS log').run(this.o.logPath);
    try {
      const run = mergeRun(this.idb, new BodyReader(this.o.logDb, chunkSizeOf(this.o.logDb)));
      const max = this.o.maxRun ?? DEFAULT_MAX_RUN;
      for (let from = this.indexed; from < size; from = Math.min(size, from + max)) run(from, Math.min(size, from + max));
      this.indexed = size;
    } finally {
      this.idb.exec('DETACH DATABASE log');
    }
  }

  /**
   * load rebuilds the tail from the entries past indexedSize and their keys (stored or derived from
   * the body: a tail of certificate entries costs ~22–51 µs an entry here, bench/stored-keys.ts).
   */
  private load(): void {
    loadTail(this.o.logDb, this.indexed, Number.MAX_SAFE_INTEGER, (idx, leafHash, keys) => this.add(idx, leafHash, keys));
  }
}

/** loadTail reads entries [from, to) of cairn.db with their search keys (stored or derived: entry-keys.ts), in index order. */
function loadTail(logDb: Db, from: number, to: number, add: (idx: number, leafHash: Uint8Array, keys: string[]) => void): void {
  const rows = logDb.prepare<[number, number], KeysRow & { idx: number; leaf_hash: Buffer }>(
    `SELECT e.idx AS idx, e.leaf_hash AS leaf_hash, ${ENTRY_KEYS_COLUMNS} FROM ${ENTRY_KEYS_FROM} WHERE e.idx >= ? AND e.idx < ? ORDER BY e.idx`,
  );
  const bodies = new BodyReader(logDb, chunkSizeOf(logDb));
  // all(), not iterate(): a body is read on the same connection while the rows are at hand. In
  // slices, so a long tail's rows are not all in memory at once.
  for (let at = from; at < to; at += TAIL_SLICE) {
    const got = rows.all(at, Math.min(to, at + TAIL_SLICE));
    if (got.length === 0) break; // past the last entry (entries are contiguous)
    for (const r of got) add(r.idx, r.leaf_hash, keysOf(r, bodies));
  }
}

/** Entries loadTail reads a statement. */
const TAIL_SLICE = 8192;

/** StoredLeaf finds a leaf in index.db: the log index of the entry with this leaf hash among those it covers. */
type StoredLeaf = (leafHash: Uint8Array) => number | undefined;

function storedLeaf(idb: Db, logDb: Db): StoredLeaf {
  const candidates = leafCandidates(idb);
  // index.db keys leaves by a prefix (leaf-prefix.ts): the entry's full leaf hash decides.
  const leafStmt = logDb.prepare<[number], Buffer>('SELECT leaf_hash FROM entries WHERE idx = ?').pluck();
  return (leafHash) => {
    for (const idx of candidates(leafHash)) {
      const h = leafStmt.get(idx);
      if (h !== undefined && Buffer.compare(h, leafHash) === 0) return idx;
    }
    return undefined;
  };
}

/** StoredKeys searches index.db, re-checking each hit against the entry's keys in cairn.db. */
type StoredKeys = (key: string, limit: number) => number[];

function storedKeys(idb: Db, logDb: Db): StoredKeys {
  const searchStmt = idb.prepare<[number], number>('SELECT idx FROM index_keys WHERE h = ? ORDER BY idx').pluck();
  // An entry's search keys (cairn.db, stored or derived: entry-keys.ts): every index.db hit is re-checked against them.
  const keysStmt = logDb.prepare<[number], KeysRow>(`SELECT ${ENTRY_KEYS_COLUMNS} FROM ${ENTRY_KEYS_FROM} WHERE e.idx = ?`);
  const bodies = new BodyReader(logDb, chunkSizeOf(logDb));
  const salt = indexSalt(idb);
  return (key, limit) => {
    const stored: number[] = [];
    if (limit > 0) {
      // index.db holds key hashes: keep the hits whose entry really has the key (a collision is skipped).
      for (const idx of searchStmt.iterate(keyHash(salt, key))) {
        const r = keysStmt.get(idx);
        if (r !== undefined && keysOf(r, bodies).includes(key) && stored.push(idx) >= limit) break;
      }
    }
    return stored;
  };
}

/** searchBoth is a search of index.db and of the tail: up to limit log indexes below size, ascending. */
function searchBoth(stored: StoredKeys, tail: TailIndex, key: string, limit: number, size: number): number[] {
  const found = stored(key, limit).filter((i) => i < size);
  const recent = tail.search(key, size);
  if (recent.length === 0) return found;
  // index.db may have taken part of the tail since the tail was read: never a gap, but possibly an index twice.
  const all = [...new Set([...found, ...recent])].sort((a, b) => a - b);
  return all.slice(0, limit);
}

/**
 * FollowerKeys answers KeyIndex's lookups beside the process that writes the log (the HTTP
 * workers of `serve --workers`): index.db read-only, and its own tail of the entries index.db
 * has not reached yet, read from cairn.db's committed rows (never the writer's memory). Before
 * each lookup catchUp(size) drops from the tail what index.db now holds and reads what the log
 * committed since; index.db's progress only grows, so a lookup never sees a gap.
 */
export class FollowerKeys {
  private readonly idb: Db;
  private readonly storedLeaf: StoredLeaf;
  private readonly progressStmt;
  private readonly stored: StoredKeys;
  private tail: TailIndex;

  constructor(
    private readonly logDb: Db,
    indexPath: string,
  ) {
    this.idb = openDb(indexPath, { readonly: true });
    this.storedLeaf = storedLeaf(this.idb, logDb);
    this.progressStmt = this.idb.prepare<[], number>('SELECT indexed_size FROM progress').pluck();
    this.stored = storedKeys(this.idb, logDb);
    this.tail = new TailIndex(this.progressStmt.get()!);
  }

  /** catchUp makes lookups see every committed entry below size. */
  catchUp(size: number): void {
    const indexed = this.progressStmt.get()!;
    const end = this.tail.first + this.tail.size;
    if (indexed >= end) this.tail = new TailIndex(indexed);
    else this.tail.dropBelow(indexed);
    const from = this.tail.first + this.tail.size;
    if (from < size) loadTail(this.logDb, from, size, (_, leafHash, keys) => this.tail.add(leafHash, keys));
  }

  /** indexOf returns the log index of the leaf with this hash among the entries caught up to. */
  indexOf(leafHash: Uint8Array): number | undefined {
    return this.tail.leafIndex(leafHash) ?? this.storedLeaf(leafHash);
  }

  /** search returns up to limit log indexes below size carrying this key, ascending. */
  search(key: string, limit: number, size: number): number[] {
    return searchBoth(this.stored, this.tail, key, limit, size);
  }

  close(): void {
    this.idb.close();
  }
}

export interface KeyIndexOptions {
  /** The log's connection (cairn.db): the tail is read from it at start. */
  logDb: Db;
  logPath: string;
  indexPath: string;
  /** The worker waits for this many unindexed entries before writing a run (unless flushed). */
  minRun?: number;
  /** Most entries one run (one index.db transaction) takes. */
  maxRun?: number;
  /** A tail longer than this at start is indexed before the log serves, and the sequencer waits for the worker past it (~250 bytes of memory an entry). */
  maxTail?: number;
  onError?: (e: unknown) => void;
}

/** The statement that stores an entry's search keys in cairn.db (JSON array), from which index.db is built. */
export const ENTRY_KEYS_INSERT_SQL = 'INSERT INTO entry_keys (idx, keys) VALUES (?, ?)';

/**
 * Defaults measured with bench/append.ts and bench/http.ts (bench/README.md). Runs are large
 * because a run's cost is mostly the index pages it rewrites, and random keys reach nearly every
 * page whatever the run's size: bench/index-runs.ts, 3 keys an entry, after 200,000 entries:
 * 48.8 µs of CPU an entry in runs of 8,192, 14.7 in runs of 65,536, 10.1 in runs of 131,072.
 * The price is a longer tail in memory (~16 MB more) and a longer catch-up when flushed.
 */
const DEFAULT_MIN_RUN = 65536;
const DEFAULT_MAX_RUN = 131072;
const DEFAULT_MAX_TAIL = 1 << 18;
const STOP_WAIT_MS = 5000;
const RESPAWN_MS = 1000;
/**
 * The leaf filter starts with room for this many leaves (1.25 MiB): grown from a small first part,
 * a new log's filter had ~9 parts by 200k entries, each probed on every miss, and their false
 * positives added up to ~5% (each a lookup in index.db) against <1% (bench/leaf-filter.ts).
 */
const MIN_FILTER_CAPACITY = 1 << 20;
