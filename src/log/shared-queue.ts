/**
 * Many nodes, one sequencer, through the database's shared queue (storage contract SharedQueue):
 * every node admits uploads into the queue and answers its own uploader once the leaf is
 * committed (SharedSubmitter); the leading node feeds the queue into its log (QueueFeeder).
 * Notifications wake both; a short poll covers a lost notification or listener.
 */
import { CairnError, isCairnError } from '../errors.js';
import { HASH_SIZE, leafHash, TILE_WIDTH } from '../merkle/index.js';
import type { SharedQueue } from '../storage/index.js';
import type { AnyLog } from './log.js';
import { duplicate } from './sequencer.js';
import type { Receipt, Submission } from './types.js';

/** A waiting upload hears its leaf's index (from a scan) or, on the sequencing node, its batch's receipt. */
interface Waiter {
  resolve(got: number | Receipt): void;
  reject(e: unknown): void;
}

/**
 * SharedSubmitter answers uploads on any node: queue the entry, wait until a batch that stores
 * its leaf is committed AND this node serves a checkpoint covering it, then a receipt (the one
 * upload whose enqueue queued the leaf) or DUPLICATE with the index (every other). On the
 * sequencing node (o.leading) an upload skips the queue: its own sequencer integrates it
 * directly (Submission.direct; the queue round trips, the body written and read back, were ~1/5
 * of that node's CPU an upload: bench/README.md), and the driver's commit settles a race with an
 * upload of the same leaf queued elsewhere (contract.ts SharedQueue).
 */
export class SharedSubmitter {
  private readonly waiting = new Map<string, Waiter[]>();
  /** Entries below seen have been matched against the waiters. */
  private seen: number;
  private scanning?: Promise<void>;
  private readonly poll: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly log: AnyLog,
    private readonly queue: SharedQueue,
    private readonly o: { timeoutMs?: number; pollMs?: number; leading?: () => boolean } = {},
  ) {
    this.seen = log.size;
    queue.onCommitted(() => this.scan());
    this.poll = setInterval(() => this.waiting.size && this.scan(), o.pollMs ?? 100);
    this.poll.unref();
  }

  /** submit queues sub and resolves its receipt once committed and served here; DUPLICATE (details.index) if the leaf was logged or queued by another upload. */
  async submit(sub: Submission): Promise<Receipt> {
    if (this.closed) throw new CairnError('UNAVAILABLE', 'node is closing');
    if (this.o.leading?.()) return this.log.integrate({ ...sub, direct: true });
    const lh = leafHash(sub.body);
    const hex = Buffer.from(lh).toString('hex');
    // Wait first, queue second: the leaf cannot be committed before the waiter exists.
    const committed = new Promise<number | Receipt>((resolve, reject) => {
      const list = this.waiting.get(hex) ?? [];
      list.push({ resolve, reject });
      this.waiting.set(hex, list);
    });
    committed.catch(() => {});
    const mine = this.waiting.get(hex)!.at(-1)!;
    let q;
    try {
      q = await this.queue.enqueue({ leafHash: lh, body: sub.body, kind: sub.kind, keys: sub.indexKeys, signEntryTimestamp: sub.signEntryTimestamp ?? false });
    } catch (e) {
      this.drop(hex, mine);
      throw isCairnError(e) ? e : new CairnError('UNAVAILABLE', `queue is not writable: ${(e as Error).message}`);
    }
    if (!q.queued && q.index !== undefined) {
      this.drop(hex, mine);
      throw duplicate(q.index, lh);
    }
    const timeoutMs = this.o.timeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const got = await Promise.race([
      committed,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CairnError('UNAVAILABLE', `entry queued but not integrated within ${timeoutMs} ms (it stays queued; retry later)`)), timeoutMs);
      }),
    ]).finally(() => {
      clearTimeout(timer);
      this.drop(hex, mine);
    });
    const index = typeof got === 'number' ? got : got.entry.index;
    if (!q.queued) throw duplicate(index, lh);
    if (typeof got !== 'number') return got;
    const checkpoint = this.log.latest();
    try {
      const entry = (await this.log.entryByIndex(index))!;
      return { entry, checkpoint, proof: await this.log.inclusionProof(index, checkpoint.size) };
    } catch (e) {
      // Logged, but the answer could not be read back (e.g. a cut database connection): a retry
      // gets 409 with the index, so say "unavailable", not "internal error".
      throw isCairnError(e) ? e : new CairnError('UNAVAILABLE', `entry ${index} is logged but could not be read back: ${(e as Error).message}; retry for its index`);
    }
  }

  /**
   * integrated answers the uploads waiting for r's leaf with r: the sequencing node's own batches
   * need no scan (a refresh, the batch's bodies and each entry read again from the database).
   */
  integrated(r: Receipt): void {
    for (const w of this.waiting.get(Buffer.from(r.entry.leafHash).toString('hex')) ?? []) w.resolve(r);
  }

  /** scan catches this node's log up (refresh) and resolves the waiters whose leaves it now serves. */
  private scan(): void {
    if (this.scanning || this.closed) return;
    this.scanning = (async () => {
      const size = (await this.log.refresh()).size;
      if (size <= this.seen) return;
      // The new leaves' hashes from their level-0 tiles (cached by the refresh that found them), not their bodies.
      for (let t = Math.floor(this.seen / TILE_WIDTH); this.waiting.size && t * TILE_WIDTH < size; t++) {
        const from = Math.max(this.seen, t * TILE_WIDTH);
        const hashes = await this.log.tile(0, t, Math.min(TILE_WIDTH, size - t * TILE_WIDTH));
        for (let i = from; i < Math.min(size, (t + 1) * TILE_WIDTH); i++) {
          const at = (i - t * TILE_WIDTH) * HASH_SIZE;
          for (const w of this.waiting.get(Buffer.from(hashes.subarray(at, at + HASH_SIZE)).toString('hex')) ?? []) w.resolve(i);
        }
      }
      this.seen = size;
    })()
      .catch(() => {}) // the next notice or poll tries again
      .finally(() => (this.scanning = undefined));
  }

  private drop(hex: string, w: Waiter): void {
    const list = (this.waiting.get(hex) ?? []).filter((x) => x !== w);
    if (list.length) this.waiting.set(hex, list);
    else this.waiting.delete(hex);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poll);
    for (const list of this.waiting.values()) for (const w of list) w.reject(new CairnError('UNAVAILABLE', 'node is closing'));
    this.waiting.clear();
  }
}

/**
 * QueueFeeder is the leader's loop: claim the oldest queued entries and append them to the log
 * (its sequencer batches them; each batch's commit deletes their rows), wait for every append to
 * settle, repeat; when the queue is empty, sleep until a notice or the poll. An append that fails
 * (e.g. fenced: the lead was lost) leaves its row queued for whoever leads next. While leading()
 * says no, it only sleeps: one feeder serves all of a node's terms.
 */
export class QueueFeeder {
  private stopped = false;
  private wake?: () => void;
  private readonly done: Promise<void>;

  constructor(
    private readonly log: AnyLog,
    private readonly queue: SharedQueue,
    private readonly o: { claim?: number; pollMs?: number; onError?: (e: unknown) => void; leading?: () => boolean; onIntegrated?: (r: Receipt) => void } = {},
  ) {
    queue.onQueued(() => this.wake?.());
    this.done = this.run();
  }

  private async run(): Promise<void> {
    const pollMs = this.o.pollMs ?? 200;
    while (!this.stopped) {
      let failed = false;
      try {
        // Not (or not yet) sequencing: sleep until nudged; the feeder outlives the terms of its node.
        if (this.o.leading && !this.o.leading()) {
          await this.sleep(pollMs);
          continue;
        }
        const rows = await this.queue.claim(this.o.claim ?? 1024);
        if (rows.length) {
          const integrated = (r: Receipt) => (this.o.onIntegrated?.(r), r);
          const results = await Promise.allSettled(rows.map((r) => this.log.integrate({ body: r.body, kind: r.kind, indexKeys: [...r.keys], signEntryTimestamp: r.signEntryTimestamp }).then(integrated)));
          for (const r of results) if (r.status === 'rejected' && !isCairnError(r.reason, 'DUPLICATE')) failed = true;
          if (!failed) continue;
        }
      } catch (e) {
        failed = true;
        this.o.onError?.(e);
      }
      if (this.stopped) break;
      await this.sleep(failed ? pollMs * 2 : pollMs);
    }
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((r) => {
      this.wake = r;
      setTimeout(r, ms).unref();
    });
    this.wake = undefined;
  }

  /** nudge ends the current sleep (this node just began to sequence). */
  nudge(): void {
    this.wake?.();
  }

  /** stop ends the loop after the appends in hand settle. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.done;
  }
}


