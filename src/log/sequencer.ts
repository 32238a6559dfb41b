import { CairnError } from '../errors.js';
import { inclusionProofs, leafHash, rootHash, type RangeMemo, type ReadNodes } from '../merkle/index.js';
import type { CheckpointStore, Db, EntryStore, KeyIndex, TileStore } from '../storage/index.js';
import { integrate } from './integrate.js';
import type { CheckpointSigner } from './signer.js';
import type { Receipt, SignedCheckpoint, StoredEntry, Submission } from './types.js';

interface Pending {
  sub: Submission;
  leafHash: Uint8Array;
  queuedAt: number;
  resolve: (r: Receipt) => void;
  reject: (e: unknown) => void;
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
  db: Db;
  entries: EntryStore;
  keys: KeyIndex;
  tiles: TileStore;
  checkpoints: CheckpointStore;
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
 * Sequencer is the log's single writer. Submissions queue; each turn of the event loop it takes
 * up to maxBatch of them and integrates them in ONE SQLite transaction: leaves, index keys, the
 * changed tiles and the newly signed checkpoint. Only after that commit is durable does it resolve
 * each submission with its index and an inclusion proof to that checkpoint (group commit: at low
 * load a lone entry goes at once, at high load batches grow while the previous commit fsyncs).
 */
export class Sequencer {
  private queue: Pending[] = [];
  private scheduled = false;
  private closed = false;
  private latestCheckpoint: SignedCheckpoint;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: SequencerOptions) {
    this.latestCheckpoint = o.latest;
  }

  /** latest returns the newest signed checkpoint. */
  get latest(): SignedCheckpoint {
    return this.latestCheckpoint;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** oldestQueuedAt is when the longest-waiting submission arrived (a stall detector reads it). */
  get oldestQueuedAt(): number | undefined {
    return this.queue[0]?.queuedAt;
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
      this.queue.push({ sub, leafHash: leafHash(sub.body), queuedAt: this.o.now(), resolve, reject });
      this.schedule();
    });
  }

  /** close stops accepting submissions and resolves once everything queued has been integrated. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  /** idle resolves when the queue is empty. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
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
    // arrive while a commit is fsyncing gather into the next batch.
    setImmediate(() => this.turn());
  }

  private turn(): void {
    this.scheduled = false;
    if (this.o.keys.tailSize >= this.o.keys.maxTail) {
      // Memory stays bounded when the index worker falls behind: wait for it (the queue, and
      // past maxQueue PUSHBACK, absorb the wait).
      this.scheduled = true;
      void this.o.keys.progress().then(() => this.turn());
      return;
    }
    const batch = this.queue.splice(0, this.o.maxBatch);
    if (batch.length > 0) this.integrateBatch(batch);
    if (this.queue.length > 0) this.schedule();
    else for (const w of this.idleWaiters.splice(0)) w();
  }

  private integrateBatch(batch: Pending[]): void {
    const started = performance.now();
    const now = this.o.now();
    const integratedTime = Math.floor(now / 1000);
    const oldSize = this.latestCheckpoint.size;

    const accepted: { p: Pending; entry: StoredEntry }[] = [];
    const rejected: { p: Pending; index: number }[] = [];
    let checkpoint = this.latestCheckpoint;
    let read: ReadNodes = this.o.tiles.readNodes;
    let install = () => {};
    try {
      // The commit point. Until this transaction returns, nothing of the batch is durable and
      // nothing has been released: a crash loses only unacknowledged submissions. Once it returns,
      // leaves, search keys, tiles and the checkpoint are on disk together (WAL, synchronous=FULL),
      // so every receipt resolved below survives a crash, and the checkpoints table's primary key
      // means this size can never be signed with another root.
      this.o.db.transaction(() => {
        for (const p of batch) {
          // A leaf already in the log (from an earlier batch or earlier in this one) gets no new index.
          const existing = this.o.keys.indexOf(p.leafHash);
          if (existing !== undefined) {
            rejected.push({ p, index: existing });
            continue;
          }
          const entry: StoredEntry = { index: oldSize + accepted.length, leafHash: p.leafHash, body: p.sub.body, kind: p.sub.kind, integratedTime };
          if (p.sub.signEntryTimestamp) entry.entryTimestamp = this.o.entryTimestamp(entry);
          this.o.keys.add(entry.index, entry.leafHash, p.sub.indexKeys);
          this.o.entries.insert(entry);
          this.o.keys.stage(entry.index, p.sub.indexKeys);
          accepted.push({ p, entry });
        }
        if (accepted.length === 0) return;
        const updates = integrate(oldSize, accepted.map((a) => a.p.leafHash), (l, i) => this.o.tiles.get(l, i));
        const overlay = this.o.tiles.overlay(updates);
        read = overlay.readNodes;
        install = overlay.install;
        const newSize = oldSize + accepted.length;
        checkpoint = this.o.signer.sign(newSize, rootHash(newSize, read), now);
        for (const u of updates) this.o.tiles.put(u.level, u.index, u.data);
        this.o.checkpoints.put(checkpoint);
      })();
    } catch (e) {
      this.o.keys.truncate(oldSize);
      const err = storageError(e);
      this.o.onError?.(e);
      for (const p of batch) p.reject(err);
      return;
    }
    install();
    this.latestCheckpoint = checkpoint;
    this.o.keys.committed(checkpoint.size);

    for (const { p, index } of rejected) {
      p.reject(new CairnError('DUPLICATE', 'an equivalent entry already exists in the log', { index, leafHash: p.leafHash }));
    }
    const proofs = inclusionProofs(oldSize, checkpoint.size, checkpoint.size, read, this.o.memo);
    for (let i = 0; i < accepted.length; i++) {
      const { p, entry } = accepted[i];
      p.resolve({ entry, checkpoint, proof: proofs[i] });
    }
    this.o.onBatch?.({
      size: batch.length,
      accepted: accepted.length,
      duplicates: rejected.length,
      treeSize: checkpoint.size,
      maxWaitMs: now - batch[0].queuedAt,
      commitMs: performance.now() - started,
    });
  }
}

/** storageError turns a failed write into a coded error the API answers with 503. */
function storageError(e: unknown): CairnError {
  if (e instanceof CairnError) return e;
  const code = (e as { code?: string }).code ?? '';
  const msg = e instanceof Error ? e.message : String(e);
  if (/SQLITE_(READONLY|FULL|IOERR|CANTOPEN|BUSY|LOCKED)/.test(code)) {
    return new CairnError('UNAVAILABLE', `storage is not writable: ${msg}`);
  }
  return new CairnError('UNAVAILABLE', `could not integrate entries: ${msg}`);
}
