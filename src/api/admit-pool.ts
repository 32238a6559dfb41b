/**
 * AdmitPool admits uploads on worker threads, so the server's main thread (HTTP, sequencing,
 * responses) is not also the one that parses JSON, verifies signatures and canonicalizes: on a
 * busy log those are the largest per-upload cost, and a second core sat idle beside them.
 */
import { CairnError, type ErrorCode } from '../errors.js';
import type { Admitted } from '../kinds/index.js';
import { Thread, threadModule } from '../threads/index.js';
import { BodyNotJson } from './admission.js';
import type { AdmitIn, AdmitOut, AdmitReply } from './admit-worker.js';

export interface AdmitPoolOptions {
  /** Worker threads (at least 1). */
  size: number;
  /** Most bodies being admitted or waiting at once; past it admit fails with PUSHBACK (503). */
  maxQueue?: number;
  /** Most body bytes being admitted or waiting at once; past it admit fails with PUSHBACK (503). */
  maxQueueBytes?: number;
  /** Told when a worker dies (it is replaced; its bodies fail with UNAVAILABLE). */
  onWorkerExit?: (why: string) => void;
}

/** How long start() waits for the workers to load. */
const START_TIMEOUT_MS = 30_000;
/** A worker that dies before it is ready is replaced after this long, doubling up to 5 s: a broken worker must not spin. */
const RESPAWN_DELAY_MS = 100;

interface Job {
  resolve: (a: Admitted) => void;
  reject: (e: Error) => void;
  bytes: number;
}

interface Slot {
  thread: Thread<AdmitIn, AdmitOut>;
  jobs: Map<number, Job>;
  native: boolean;
}

export class AdmitPool {
  private readonly slots: Slot[] = [];
  private readonly maxQueue: number;
  private readonly maxQueueBytes: number;
  private nextId = 0;
  private queued = 0;
  private queuedBytes = 0;
  private closing = false;

  private constructor(private readonly o: AdmitPoolOptions) {
    this.maxQueue = o.maxQueue ?? 1024;
    this.maxQueueBytes = o.maxQueueBytes ?? 64 * 1024 * 1024;
  }

  /** start starts size workers and resolves once all have loaded; CONFIG error if they cannot. */
  static async start(o: AdmitPoolOptions): Promise<AdmitPool> {
    if (!(o.size >= 1)) throw new CairnError('CONFIG', `an admission pool needs at least one worker, not ${o.size}`);
    const pool = new AdmitPool(o);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`not ready after ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS)));
    try {
      await Promise.race([Promise.all(Array.from({ length: o.size }, (_, i) => pool.spawn(i))), late]);
    } catch (e) {
      await pool.close();
      throw new CairnError('CONFIG', `admission workers did not start: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** native reports whether every worker verifies signatures with the native addon. */
  get native(): boolean {
    return this.slots.every((s) => s.native);
  }

  /** pending is the number of bodies being admitted or waiting. */
  get pending(): number {
    return this.queued;
  }

  /**
   * admit resolves with what admitBody(bytes) (admitV2Body with v2) returns, or rejects with the error it throws
   * (BodyNotJson, or a CairnError with the same code, message and details). bytes is moved
   * to the worker when it owns its whole buffer (the caller must not use it again), else copied.
   * PUSHBACK when the queue is full, UNAVAILABLE when the worker died before answering.
   */
  admit(bytes: Uint8Array, v2 = false): Promise<Admitted> {
    if (this.closing) return Promise.reject(new CairnError('UNAVAILABLE', 'the admission pool is closed'));
    if (this.queued >= this.maxQueue || this.queuedBytes + bytes.byteLength > this.maxQueueBytes) {
      return Promise.reject(new CairnError('PUSHBACK', 'entry admission queue is full; retry later'));
    }
    let slot: Slot | undefined;
    for (const s of this.slots) if (s.thread.alive && (!slot || s.jobs.size < slot.jobs.size)) slot = s;
    if (!slot) return Promise.reject(new CairnError('UNAVAILABLE', 'no entry admission worker is running; retry later'));
    const to = slot;
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const msg = own ? bytes : new Uint8Array(bytes);
    const id = this.nextId++;
    return new Promise<Admitted>((resolve, reject) => {
      to.jobs.set(id, { resolve, reject, bytes: msg.byteLength });
      this.queued++;
      this.queuedBytes += msg.byteLength;
      to.thread.post([id, msg, v2], [msg.buffer as ArrayBuffer]);
    });
  }

  /** close stops the workers; bodies still being admitted fail with UNAVAILABLE. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.thread.stop(0)));
    for (const s of this.slots) this.failJobs(s, 'the admission pool is closed');
  }

  /** spawn starts the worker of slot i; resolves when it is ready, rejects if it exits first. */
  private spawn(i: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const slot: Slot = {
        jobs: new Map(),
        native: false,
        thread: new Thread<AdmitIn, AdmitOut>({
          name: 'entry admission',
          module: threadModule(import.meta.url, 'admit-worker'),
          onMessage: (m) => {
            if (Array.isArray(m)) return this.settle(slot, m);
            ready = true;
            slot.native = m.native;
            resolve();
          },
          onExit: (why) => {
            this.failJobs(slot, `entry admission failed: its worker thread died (${why}); retry`);
            if (!ready) return reject(new Error(why));
            this.o.onWorkerExit?.(why);
          },
          // One that served is replaced at once; one that dies before it is ready is likely to fail
          // again: back off, doubling up to 5 s, so a broken worker does not spin.
          respawn: (failures) => (this.closing ? undefined : failures === 1 ? 0 : Math.min(5000, RESPAWN_DELAY_MS * 2 ** (failures - 2))),
        }),
      };
      this.slots[i] = slot;
    });
  }

  private failJobs(slot: Slot, message: string): void {
    for (const job of slot.jobs.values()) {
      this.queued--;
      this.queuedBytes -= job.bytes;
      job.reject(new CairnError('UNAVAILABLE', message));
    }
    slot.jobs.clear();
  }

  private settle(slot: Slot, [id, kind, a, b, c]: AdmitReply): void {
    const job = slot.jobs.get(id);
    if (!job) return;
    slot.jobs.delete(id);
    this.queued--;
    this.queuedBytes -= job.bytes;
    if (kind !== null) {
      // derivedKeys comes from the kind's admit in the worker (never from the request), as inline.
      const admitted: Admitted = { kind, body: a as Uint8Array, indexKeys: b as string[] };
      if (c === true) admitted.derivedKeys = true;
      return job.resolve(admitted);
    }
    if (a === 'NOT_JSON') return job.reject(new BodyNotJson());
    if (a === null) return job.reject(new Error(b as string)); // not a CairnError: a bug, answered 500 as inline
    job.reject(new CairnError(a as ErrorCode, b as string, c as Record<string, unknown>));
  }
}
