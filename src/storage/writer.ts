import { hasStoredSearchKeys } from '../kinds/index.js';
import { Thread, threadModule } from '../threads/index.js';
import type { BatchWrite, CheckpointRow, Cosignature } from './contract.js';
import type { BatchMessage, WriterData, WriterIn, WriterOut } from './writer-thread.js';

/** How long close() waits for the thread to finish its writes and close its connection. */
const STOP_WAIT_MS = 10_000;

/**
 * LogWriter commits the sequencer's batches on a thread of its own (writer-thread.ts, where the
 * commit point and its crash notes are), through its own connection to cairn.db (WAL,
 * synchronous=FULL by default): SQLite's inserts, the commit and its fsync no longer hold the
 * event loop, and the sequencer prepares the next batch while one commits. Heartbeat re-signs and
 * witness cosignatures go through the same thread: it is cairn.db's only writer while the log runs.
 *
 * write() resolves only once the batch's transaction has committed. Batches commit strictly in
 * the order written, and each names the size it builds on: after a failure the writer refuses
 * every batch built on the failed one (their tree would have a hole), until the sequencer sends
 * one that continues what is committed.
 */
export class LogWriter {
  private readonly thread: Thread<WriterIn, WriterOut>;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private dead?: Error;
  private closing = false;
  /** Buffers of earlier batches, moved back by the thread once stored, for pack() to reuse. */
  private readonly spare: ArrayBuffer[] = [];

  /** Called once if the thread dies: every write outstanding then has failed. */
  onDeath?: (e: Error) => void;

  constructor(path: string, committedSize: number, opts: { synchronous?: string; autocheckpointPages?: number } = {}) {
    const data: WriterData = { path, size: committedSize, synchronous: opts.synchronous ?? 'FULL', autocheckpoint: opts.autocheckpointPages ?? 0 };
    // No respawn: a new thread would not know which batches the sequencer still has in flight.
    // The sequencer fails them all and the log reports unready; a restart recovers.
    this.thread = new Thread<WriterIn, WriterOut>({
      name: 'log writer',
      module: threadModule(import.meta.url, 'writer-thread'),
      data,
      onMessage: (m) => this.answer(m),
      onExit: (why) => this.die(new Error(why)),
    });
  }

  /** write stores a batch; resolves once it has committed, rejects (with SQLite's code) if it did not. */
  write(b: BatchWrite): Promise<void> {
    const { bytes, nums, kinds, keys } = pack(b, (n) => this.buffer(n));
    const c = b.checkpoint;
    const msg: Omit<BatchMessage, 'seq'> = {
      type: 'batch',
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

  /** resign replaces the signatures of the stored checkpoint with c's size and root; resolves false if none matched. */
  resign(c: CheckpointRow): Promise<boolean> {
    return this.call({ type: 'resign', size: c.size, rootHash: c.rootHash, signedAt: c.signedAt, c2sp: c.c2sp, rekor: c.rekor }) as Promise<boolean>;
  }

  /** cosigned stores a witness's latest cosignature of the log (replacing its previous one). */
  cosigned(c: Cosignature): Promise<void> {
    return this.call({ type: 'cosigned', ...c }) as Promise<void>;
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
    return this.call({ type: 'pragma', pragma: p });
  }

  /** close stops the thread once every write sent has finished, and closes its connection. */
  async close(): Promise<void> {
    this.closing = true;
    const stopped = this.dead ? Promise.resolve() : this.call({ type: 'stop' }).catch(() => {});
    await Promise.race([stopped, new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
    await this.thread.stop(0);
    this.die(new Error('closed'));
  }

  private answer(m: WriterOut): void {
    for (const s of m.spare) if (this.spare.length < MAX_SPARE && s.byteLength <= MAX_SPARE_BYTES) this.spare.push(s);
    const w = this.waiting.get(m.seq);
    if (!w) return;
    this.waiting.delete(m.seq);
    if (m.error === undefined) w.resolve(m.value);
    else w.reject(Object.assign(new Error(m.error), m.code ? { code: m.code } : {}));
  }

  private call(msg: DistributiveOmit<WriterIn, 'seq'>, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      if (!this.thread.post({ seq, ...msg } as WriterIn, transfer)) this.die(new Error('thread not running'));
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

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

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
 * time, its kind's position in kinds and its number of keys (0 for an entry whose keys are
 * derived from its body, BatchWrite.derivedKeys: they are not sent, and no row is stored; -1 for
 * an entry given no keys whose kind could derive some: an empty row); then where each tile's data and
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
  const derived = b.derivedKeys;
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
    if (derived?.[i]) {
      nums[o++] = 0;
      continue;
    }
    const ks = b.keys[i];
    // -1: an empty row, so that readers do not derive keys the appender did not give (entry-keys.ts).
    nums[o++] = ks.length === 0 && hasStoredSearchKeys(e.kind) ? -1 : ks.length;
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
