import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CHECKPOINT_INSERT_SQL } from './checkpoints.js';
import { ENTRY_INSERT_SQL, type EntryRow } from './entries.js';
import { ENTRY_KEYS_INSERT_SQL } from './key-index.js';
import { TILE_PUT_SQL } from './tiles.js';
import type { CheckpointRow } from './checkpoints.js';

/** BatchWrite is everything one sequencer batch stores, in one transaction. */
export interface BatchWrite {
  /** Tree size before the batch: the writer refuses a batch that does not continue what it committed. */
  oldSize: number;
  entries: readonly EntryRow[];
  /** Per entry: its search keys (stored as entry_keys for index.db's worker). */
  keys: readonly (readonly string[])[];
  tiles: readonly { level: number; index: number; data: Uint8Array }[];
  checkpoint: CheckpointRow;
}

/**
 * LogWriter commits the sequencer's batches on a thread of its own, through its own connection
 * to cairn.db (WAL, synchronous=FULL by default): SQLite's inserts, the commit and its fsync no
 * longer hold the event loop, and the sequencer prepares the next batch while one commits.
 *
 * write() resolves only once the batch's transaction has committed. Batches commit strictly in
 * the order written, and each names the size it builds on: after a failure the writer refuses
 * every batch built on the failed one (their tree would have a hole), until the sequencer sends
 * one that continues what is committed.
 */
export class LogWriter {
  private readonly worker: Worker;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private dead?: Error;
  private closing = false;
  private readonly exited: Promise<void>;
  /** Buffers of earlier batches, moved back by the thread once stored, for pack() to reuse. */
  private readonly spare: ArrayBuffer[] = [];

  /** Called once if the thread dies: every write outstanding then has failed. */
  onDeath?: (e: Error) => void;

  constructor(path: string, committedSize: number, opts: { synchronous?: string; autocheckpointPages?: number } = {}) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver,
        path,
        size: committedSize,
        synchronous: opts.synchronous ?? 'FULL',
        autocheckpoint: opts.autocheckpointPages ?? 0,
        sql: { entry: ENTRY_INSERT_SQL, keys: ENTRY_KEYS_INSERT_SQL, tile: TILE_PUT_SQL, checkpoint: CHECKPOINT_INSERT_SQL },
      },
    });
    this.worker.unref();
    this.worker.on('message', (m: { seq: number; value?: unknown; error?: string; code?: string; spare?: ArrayBuffer[] }) => {
      if (m.spare) for (const s of m.spare) if (this.spare.length < MAX_SPARE && s.byteLength <= MAX_SPARE_BYTES) this.spare.push(s);
      const w = this.waiting.get(m.seq);
      if (!w) return;
      this.waiting.delete(m.seq);
      if (m.error === undefined) w.resolve(m.value);
      else w.reject(Object.assign(new Error(m.error), m.code ? { code: m.code } : {}));
    });
    this.worker.on('error', (e) => this.die(e));
    this.exited = new Promise((r) => this.worker.once('exit', () => r()));
    void this.exited.then(() => this.die(new Error('log writer thread exited')));
  }

  /** write stores a batch; resolves once it has committed, rejects (with SQLite's code) if it did not. */
  write(b: BatchWrite): Promise<void> {
    const { bytes, nums, kinds, keys } = pack(b, (n) => this.buffer(n));
    const c = b.checkpoint;
    const msg = {
      oldSize: b.oldSize,
      first: b.entries.length > 0 ? b.entries[0].index : b.oldSize,
      count: b.entries.length,
      kinds,
      keys,
      tiles: b.tiles.map((t) => [t.level, t.index]),
      checkpoint: [c.size, c.signedAt, c.c2sp, c.rekor],
      bytes,
      nums,
    };
    return this.call(msg, [bytes.buffer as ArrayBuffer, nums.buffer as ArrayBuffer]) as Promise<void>;
  }

  /**
   * buffer returns at least n bytes of memory to move to the thread: a spare one if it is large
   * enough, else a new one with room to spare. Why: a fresh ~400 KB ArrayBuffer per batch cost
   * its zeroing, page faults and, as external memory, extra garbage collections.
   */
  private buffer(n: number): ArrayBuffer {
    for (let i = 0; i < this.spare.length; i++) {
      if (this.spare[i].byteLength >= n) return this.spare.splice(i, 1)[0];
    }
    return new ArrayBuffer(Math.ceil((n * 1.25) / 65536) * 65536);
  }

  /** pragma runs a PRAGMA on the writer's connection and returns its simple value (fault-injection tests, tuning). */
  pragma(p: string): Promise<unknown> {
    return this.call({ pragma: p });
  }

  /** close stops the thread once every write sent has finished, and closes its connection. */
  async close(): Promise<void> {
    this.closing = true;
    if (!this.dead) {
      try {
        await this.call({ stop: true });
      } catch {
        // Already dying: terminate below.
      }
    }
    await this.worker.terminate();
    await this.exited;
  }

  private call(msg: object, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      this.worker.postMessage({ seq, ...msg }, transfer);
    });
  }

  private die(e: Error): void {
    if (this.dead) return;
    this.dead = Object.assign(new Error(`log writer: ${e.message}`), { code: 'SQLITE_CANTOPEN' });
    for (const w of this.waiting.values()) w.reject(this.dead);
    this.waiting.clear();
    if (!this.closing) this.onDeath?.(this.dead);
  }
}

/** Spare buffers kept for reuse, and the largest kept (a batch of huge bodies is not worth holding on to). */
const MAX_SPARE = 4;
const MAX_SPARE_BYTES = 16 << 20;

/**
 * pack lays a batch out so that structured clone copies no per-entry objects (it cost the event
 * loop ~1.9 µs an entry to clone the per-entry key arrays, kinds and times): everything per
 * entry but its search keys goes into two buffers that are moved, not copied; the keys go as
 * one flat array of strings, the kinds as the batch's distinct ones.
 *
 * bytes: each entry's leaf hash, body and SET, then the tiles' data, then the root hash. Moving
 * matters for bodies too: a body that is a view into a request buffer would be cloned with the
 * whole buffer.
 * nums, per entry: where its leaf hash, body and SET end in bytes (-1: no SET), its integrated
 * time, its kind's position in kinds and its number of keys; then where each tile's data and
 * the root hash end.
 */
function pack(b: BatchWrite, buffer: (n: number) => ArrayBuffer): { bytes: Uint8Array; nums: Float64Array; kinds: string[]; keys: string[] } {
  let total = 0;
  const numCount = 6 * b.entries.length + b.tiles.length + 1;
  for (const e of b.entries) total += e.leafHash.length + e.body.length + (e.entryTimestamp?.length ?? 0);
  for (const t of b.tiles) total += t.data.length;
  total += b.checkpoint.rootHash.length;
  // Reused memory is not zeroed: every byte and number the thread reads is written below.
  const bytes = new Uint8Array(buffer(total), 0, total);
  const nums = new Float64Array(buffer(8 * numCount), 0, numCount);
  const kinds: string[] = [];
  const keys: string[] = [];
  let at = 0;
  let o = 0;
  let lastKind: string | undefined;
  let lastKindAt = -1;
  for (let i = 0; i < b.entries.length; i++) {
    const e = b.entries[i];
    bytes.set(e.leafHash, at);
    nums[o++] = at += e.leafHash.length;
    bytes.set(e.body, at);
    nums[o++] = at += e.body.length;
    if (e.entryTimestamp) {
      bytes.set(e.entryTimestamp, at);
      nums[o++] = at += e.entryTimestamp.length;
    } else nums[o++] = -1;
    nums[o++] = e.integratedTime;
    if (e.kind !== lastKind) {
      lastKind = e.kind;
      lastKindAt = kinds.indexOf(e.kind);
      if (lastKindAt < 0) lastKindAt = kinds.push(e.kind) - 1;
    }
    nums[o++] = lastKindAt;
    const ks = b.keys[i];
    nums[o++] = ks.length;
    for (let j = 0; j < ks.length; j++) keys.push(ks[j]);
  }
  for (const t of b.tiles) {
    bytes.set(t.data, at);
    nums[o++] = at += t.data.length;
  }
  bytes.set(b.checkpoint.rootHash, at);
  nums[o++] = at += b.checkpoint.rootHash.length;
  return { bytes, nums, kinds, keys };
}

// Plain CommonJS evaluated from a string so it runs the same under tsx, vitest and compiled JS
// (as checkpointer.ts and key-index.ts do); the SQL comes from the stores that read those rows.
const WORKER_SOURCE = `
const { parentPort, workerData: w } = require('node:worker_threads');
const Database = require(w.driver);
const db = new Database(w.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = ' + w.synchronous);
db.pragma('busy_timeout = 5000');
// 8 MiB, not the 64 MiB of the reading connection: this one only appends, so what it needs is
// one batch's dirty pages and the b-trees' right edges; with 64 MiB every new process spent its
// first ~150k entries faulting in fresh cache pages (2.5-3x the insert time of a batch).
db.pragma('cache_size = -8192');
if (w.autocheckpoint > 0) db.pragma('wal_autocheckpoint = ' + w.autocheckpoint);
const entry = db.prepare(w.sql.entry), keys = db.prepare(w.sql.keys), tile = db.prepare(w.sql.tile), checkpoint = db.prepare(w.sql.checkpoint);
let committed = w.size;
const write = db.transaction((m) => {
  const b = m.bytes, o = m.nums;
  let at = 0, k = 0, t = 0;
  const next = () => { const end = o[k++]; if (end < 0) return null; const v = b.subarray(at, end); at = end; return v; };
  for (let i = 0; i < m.count; i++) {
    const leaf = next(), body = next(), ts = next(), time = o[k++], kind = m.kinds[o[k++]], n = o[k++];
    entry.run(m.first + i, leaf, body, kind, time, ts);
    if (n > 0) keys.run(m.first + i, JSON.stringify(m.keys.slice(t, t += n)));
  }
  for (const [level, index] of m.tiles) tile.run(level, index, next());
  const [size, signedAt, c2sp, rekor] = m.checkpoint;
  checkpoint.run(size, next(), signedAt, c2sp, rekor);
});
parentPort.on('message', (m) => {
  // A batch's buffers go back for reuse once its statements have run (they copy what they bind).
  const spare = m.bytes ? [m.bytes.buffer, m.nums.buffer] : [];
  const reply = (x) => parentPort.postMessage(Object.assign({ seq: m.seq, spare }, x), spare);
  try {
    if (m.stop) { db.close(); reply({}); process.exit(0); }
    if (m.pragma !== undefined) { reply({ value: db.pragma(m.pragma, { simple: true }) }); return; }
    if (m.oldSize !== committed) { reply({ error: 'batch builds on size ' + m.oldSize + ' but ' + committed + ' is committed (an earlier batch failed)', code: 'CAIRN_STALE_BATCH' }); return; }
    write(m);
    committed = m.checkpoint[0];
    reply({});
  } catch (e) {
    reply({ error: String((e && e.message) || e), code: e && e.code });
  }
});
`;
