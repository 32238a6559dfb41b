/**
 * The log's single writer. Over 300 lines for a reason: its one state machine (queue, prepare,
 * build, commit, settle in order, fail everything built on a failed batch) reads best in one
 * place; what it reads from storage before a build is in batch-prep.ts.
 */
import { CairnError } from '../errors.js';
import { ExpandedTile, inclusionProofs, integrate, leafHashes, rootHash, tileNodes, type RangeMemo, type ReadNodes } from '../merkle/index.js';
import type { Committed, LogStorage } from '../storage/index.js';
import { isPromise, type Awaitable } from './awaitable.js';
import { BatchLeaves, prepareBatch, type Prepared } from './batch-prep.js';
import { tileKey, type TileCache, type TileKey } from './tile-cache.js';
import type { CheckpointSigner } from './signer.js';
import type { Receipt, SignedCheckpoint, StoredEntry, Submission } from './types.js';

interface Pending {
  sub: Submission;
  /** Set when its batch is taken: hashed there for the whole batch at once. */
  leafHash?: Uint8Array;
  queuedAt: number;
  resolve: (r: Receipt) => void;
  reject: (e: unknown) => void;
}

/** A batch handed to the writer and not yet committed. */
interface InFlight {
  batch: Pending[];
  accepted: { p: Pending; entry: StoredEntry }[];
  rejected: { p: Pending; index: number }[];
  oldSize: number;
  checkpoint: SignedCheckpoint;
  /** The batch's new tile versions, for the cache once committed. */
  tiles: [TileKey, ExpandedTile][];
  /** Node reader over the batches in flight and this batch's prepared edge tiles. */
  read: ReadNodes;
  started: number;
  /** Set once the writer has answered (batches are settled strictly in order). */
  outcome?: { ok: true; elsewhere: ReadonlySet<number> } | { ok: false; error: unknown };
}

/** BatchStats is reported after every committed batch (for metrics and logs). */
export interface BatchStats {
  size: number;
  accepted: number;
  duplicates: number;
  treeSize: number;
  /** Milliseconds from the oldest submission's arrival to its acknowledgement. */
  maxWaitMs: number;
  commitMs: number;
}

export interface SequencerOptions {
  /** The driver: stages leaves for dedup and commits each batch's rows, tiles and checkpoint as one unit. */
  storage: LogStorage;
  tiles: TileCache<boolean>;
  signer: CheckpointSigner;
  /** Signs an entry's Rekor SET (for submissions that ask for one). */
  entryTimestamp: (e: StoredEntry) => Uint8Array;
  /** Shared right-edge memo; used only once a batch has committed, never for uncommitted leaves. */
  memo?: RangeMemo;
  /** Clock in Unix milliseconds; tests inject their own. */
  now: () => number;
  /** Most entries integrated by one transaction. */
  maxBatch: number;
  /** Most submissions waiting; past it append fails fast with PUSHBACK. */
  maxQueue: number;
  latest: SignedCheckpoint;
  onBatch?: (s: BatchStats) => void;
  onError?: (e: unknown) => void;
}

/**
 * Most batches handed to the writer at once. Two is what overlaps the work: the sequencer builds
 * batch N+1 (hashes, index, tiles, signature) while the writer commits batch N.
 */
const MAX_IN_FLIGHT = 2;

/**
 * Sequencer is the log's single writer. Submissions queue; each turn of the event loop it takes
 * up to maxBatch of them, assigns indexes, computes the new tiles and signs the new checkpoint,
 * and hands the batch to the storage driver, which stores leaves, search keys, tiles and
 * checkpoint as ONE atomic unit (SQLite: one transaction on the log writer's thread). Only after
 * that commit is durable does it resolve each submission with its index and an inclusion proof to
 * that checkpoint (group commit: at low load a lone entry goes at once, at high load batches grow
 * while earlier ones commit).
 *
 * A batch is built on top of the batches still being committed. If one fails, every later one
 * fails with it (the driver refuses them too), staged leaves and tiles are forgotten, and the next
 * batch builds on what is committed again: nothing is acknowledged that is not durable, and no
 * signed checkpoint leaves the process before its transaction has committed.
 */
export class Sequencer {
  private queue: Pending[] = [];
  private scheduled = false;
  private closed = false;
  /** Newest committed checkpoint: what readers see. */
  private latestCheckpoint: SignedCheckpoint;
  /** Size the next batch builds on: the committed size plus every batch in flight. */
  private tipSize: number;
  private readonly inFlight: InFlight[] = [];
  /** Newest version of every tile changed by a batch in flight. */
  private readonly pendingTiles = new Map<TileKey, ExpandedTile>();
  private idleWaiters: (() => void)[] = [];
  /** A batch taken from the queue whose storage reads are still pending (async drivers). */
  private preparing?: Pending[];
  /** Batches failed so far: preparation done before a failure is void (see Prepared). */
  private failures = 0;

  constructor(private readonly o: SequencerOptions) {
    this.latestCheckpoint = o.latest;
    this.tipSize = o.latest.size;
  }

  /** latest returns the newest signed checkpoint. */
  get latest(): SignedCheckpoint {
    return this.latestCheckpoint;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** busy is true while submissions wait or batches are being committed. */
  get busy(): boolean {
    return this.queue.length > 0 || this.inFlight.length > 0 || this.preparing !== undefined;
  }

  /** oldestQueuedAt is when the longest-waiting submission arrived (a stall detector reads it). */
  get oldestQueuedAt(): number | undefined {
    return this.inFlight[0]?.batch[0]?.queuedAt ?? this.preparing?.[0]?.queuedAt ?? this.queue[0]?.queuedAt;
  }

  /**
   * submit queues an entry. The promise MUST NOT resolve until the transaction holding the entry
   * and the checkpoint covering it has committed; it rejects with DUPLICATE (details.index) if the
   * leaf is already in the log, PUSHBACK if the queue is full, UNAVAILABLE if storage fails.
   */
  submit(sub: Submission): Promise<Receipt> {
    if (this.closed) return Promise.reject(new CairnError('UNAVAILABLE', 'log is shutting down'));
    if (this.queue.length >= this.o.maxQueue) {
      return Promise.reject(new CairnError('PUSHBACK', 'sequencer queue is full; retry later'));
    }
    return new Promise<Receipt>((resolve, reject) => {
      this.queue.push({ sub, queuedAt: this.o.now(), resolve, reject });
      this.schedule();
    });
  }

  /** close stops accepting submissions and resolves once everything queued has been integrated. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  /** reopen accepts submissions again after close (a rotation that failed before its commit point). */
  reopen(): void {
    this.closed = false;
  }

  /** idle resolves when nothing is queued or being committed. */
  idle(): Promise<void> {
    if (!this.busy && !this.scheduled) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /**
   * follow adopts a checkpoint another node's sequencer committed (a follower catching up), when
   * it is newer than the latest; reports whether the size grew. Only while this one is idle.
   */
  follow(c: SignedCheckpoint): boolean {
    if (this.busy) throw new Error('sequencer: follow while sequencing');
    const cur = this.latestCheckpoint;
    if (c.size < cur.size || (c.size === cur.size && c.signedAt <= cur.signedAt)) return false;
    this.latestCheckpoint = c;
    this.tipSize = c.size;
    return c.size > cur.size;
  }

  /** replaceLatest installs a re-signed checkpoint for the current size (heartbeat). */
  replaceLatest(c: SignedCheckpoint): void {
    if (c.size !== this.latestCheckpoint.size) throw new Error('sequencer: heartbeat for a different size');
    this.latestCheckpoint = c;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not a timer: a lone entry is integrated on the next turn, and submissions that
    // arrive while a commit is under way gather into the next batch.
    setImmediate(() => this.turn());
  }

  private turn(): void {
    this.scheduled = false;
    // A commit's settle(), or the end of a preparation, schedules the next turn.
    if (this.inFlight.length >= MAX_IN_FLIGHT || this.preparing) return;
    const wait = this.o.storage.backpressure();
    if (wait) {
      // Memory the driver holds stays bounded (say, its index worker fell behind): wait for it
      // (the queue, and past maxQueue PUSHBACK, absorb the wait).
      this.scheduled = true;
      void wait.then(() => this.turn());
      return;
    }
    const batch = this.queue.splice(0, this.o.maxBatch);
    if (batch.length > 0) {
      const started = performance.now();
      const prep = this.prepare(batch);
      if (isPromise(prep)) {
        this.preparing = batch;
        void this.whenPrepared(batch, prep, started);
        return;
      }
      this.integrateBatch(batch, prep, started);
    }
    this.next();
  }

  /** next schedules a turn if anything waits, else wakes idle() waiters. */
  private next(): void {
    if (this.queue.length > 0) this.schedule();
    else if (!this.busy) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** whenPrepared builds a batch once its storage reads are in, preparing again if a batch failed meanwhile. */
  private async whenPrepared(batch: Pending[], prep: Promise<Prepared>, started: number): Promise<void> {
    try {
      let p = await prep;
      while (p.failures !== this.failures) p = await this.prepare(batch);
      this.preparing = undefined;
      this.integrateBatch(batch, p, started);
    } catch (e) {
      // A read failed: nothing of this batch was staged; its submitters hear why.
      this.preparing = undefined;
      this.o.onError?.(e);
      const err = storageError(e);
      for (const p of batch) p.reject(err);
    }
    this.next();
  }

  /** prepare hashes the batch's leaves and reads what its build step needs (batch-prep.ts). */
  private prepare(batch: Pending[]): Awaitable<Prepared> {
    const hashes = leafHashes(batch.map((p) => p.sub.body));
    for (let i = 0; i < batch.length; i++) batch[i].leafHash = hashes[i];
    return prepareBatch(this.o.storage, this.o.tiles, this.pendingTiles, hashes, this.tipSize, this.failures);
  }

  private integrateBatch(batch: Pending[], prep: Prepared, started: number): void {
    const now = this.o.now();
    const integratedTime = Math.floor(now / 1000);
    const oldSize = this.tipSize;
    const accepted: { p: Pending; entry: StoredEntry }[] = [];
    const rejected: { p: Pending; index: number }[] = [];
    const read = this.o.tiles.readNodesOver(this.pendingTiles, prep.edges);
    const f: InFlight = { batch, accepted, rejected, oldSize, checkpoint: this.latestCheckpoint, tiles: [], read, started };
    this.inFlight.push(f);
    let write: Promise<Committed | void>;
    try {
      if (prep.size !== oldSize) throw new Error(`sequencer: batch prepared at size ${prep.size} built at ${oldSize}`);
      // Lookups ran before any leaf of this batch was staged: duplicates within it are found here.
      const mine = new BatchLeaves();
      for (let i = 0; i < batch.length; i++) {
        const p = batch[i];
        // A leaf already in the log (committed, in flight, or earlier in this batch) gets no new index.
        const existing = prep.lookups[i] ?? mine.find(p.leafHash!);
        if (existing !== undefined) {
          rejected.push({ p, index: existing });
          continue;
        }
        const entry: StoredEntry = { index: oldSize + accepted.length, leafHash: p.leafHash!, body: p.sub.body, kind: p.sub.kind, integratedTime };
        if (p.sub.signEntryTimestamp) entry.entryTimestamp = this.o.entryTimestamp(entry);
        this.o.storage.stage(entry.index, entry.leafHash, p.sub.indexKeys);
        mine.add(entry.leafHash, entry.index);
        accepted.push({ p, entry });
      }
      if (accepted.length === 0) {
        // Only duplicates: nothing to store. They are answered in order, after the batches
        // before them (which may hold the entries they duplicate) have committed.
        write = Promise.resolve();
      } else {
        const updates = integrate(oldSize, accepted.map((a) => a.entry.leafHash), (l, i) => prep.edges.get(tileKey(l, i))?.data);
        for (const u of updates) {
          const k = tileKey(u.level, u.index);
          const t = u.expanded ?? new ExpandedTile(u.data, tileNodes(u.data));
          this.pendingTiles.set(k, t);
          f.tiles.push([k, t]);
        }
        const newSize = oldSize + accepted.length;
        // No memo here: it may only ever hold hashes of committed leaves.
        f.checkpoint = this.o.signer.sign(newSize, rootHash(newSize, read), now);
        this.tipSize = newSize;
        write = this.o.storage.commit({
          oldSize,
          entries: accepted.map((a) => a.entry),
          keys: accepted.map((a) => a.p.sub.indexKeys),
          derivedKeys: accepted.map((a) => a.p.sub.derivedKeys === true),
          direct: accepted.map((a) => a.p.sub.direct === true),
          tiles: updates,
          checkpoint: f.checkpoint,
        });
      }
    } catch (e) {
      write = Promise.reject(e);
    }
    write.then(
      (c) => this.settle(f, { ok: true, elsewhere: new Set(c?.queuedElsewhere) }),
      (error: unknown) => this.settle(f, { ok: false, error }),
    );
  }

  /** settle records the writer's answer for a batch and acts on every batch settled, in order. */
  private settle(f: InFlight, outcome: InFlight['outcome']): void {
    f.outcome = outcome;
    while (this.inFlight.length > 0 && this.inFlight[0].outcome) {
      const head = this.inFlight[0];
      const o = head.outcome!;
      if (o.ok) {
        this.inFlight.shift();
        this.committed(head, o.elsewhere);
      } else {
        this.failAll(o.error);
      }
    }
    this.next();
  }

  /** committed answers a batch once stored; elsewhere: indexes of its direct entries another upload owns (Committed.queuedElsewhere). */
  private committed(f: InFlight, elsewhere: ReadonlySet<number>): void {
    const size = f.accepted.length > 0 ? f.checkpoint.size : this.latestCheckpoint.size;
    // Proofs first, while the batch's own tiles are still in the small pending map.
    const proofs = f.accepted.length > 0 ? inclusionProofs(f.oldSize, size, size, f.read, this.o.memo) : [];
    if (f.accepted.length > 0) {
      this.o.tiles.install(f.tiles);
      for (const [k, t] of f.tiles) if (this.pendingTiles.get(k) === t) this.pendingTiles.delete(k);
      this.latestCheckpoint = f.checkpoint;
    }
    for (const { p, index } of f.rejected) p.reject(duplicate(index, p.leafHash!));
    // A direct entry another upload had queued is that upload's (SharedQueue): this one is its duplicate.
    for (let i = 0; i < f.accepted.length; i++) {
      const { p, entry } = f.accepted[i];
      if (elsewhere.has(entry.index)) p.reject(duplicate(entry.index, entry.leafHash));
      else p.resolve({ entry, checkpoint: f.checkpoint, proof: proofs[i] });
    }
    this.o.onBatch?.({
      size: f.batch.length,
      accepted: f.accepted.length,
      duplicates: f.rejected.length + elsewhere.size,
      treeSize: size,
      maxWaitMs: this.o.now() - f.batch[0].queuedAt,
      commitMs: performance.now() - f.started,
    });
  }

  /** failAll fails the oldest batch in flight and every batch built on it, and forgets them. */
  private failAll(e: unknown): void {
    const failed = this.inFlight.splice(0);
    this.failures++;
    this.pendingTiles.clear();
    this.tipSize = this.latestCheckpoint.size;
    this.o.storage.unstage(this.tipSize);
    const err = storageError(e);
    this.o.onError?.(e);
    for (const f of failed) for (const p of f.batch) p.reject(err);
  }
}

/** duplicate is the error of an upload whose leaf the log already holds at index (the API answers 409 with it). */
export function duplicate(index: number, leafHash: Uint8Array): CairnError {
  return new CairnError('DUPLICATE', 'an equivalent entry already exists in the log', { index, leafHash });
}

/** storageError turns a failed write into a coded error the API answers with 503. */
function storageError(e: unknown): CairnError {
  if (e instanceof CairnError) return e;
  const code = (e as { code?: string }).code ?? '';
  const msg = e instanceof Error ? e.message : String(e);
  if (/SQLITE_(READONLY|FULL|IOERR|CANTOPEN|BUSY|LOCKED)/.test(code) || code === 'CAIRN_STALE_BATCH') {
    return new CairnError('UNAVAILABLE', `storage is not writable: ${msg}`);
  }
  return new CairnError('UNAVAILABLE', `could not integrate entries: ${msg}`);
}
