/**
 * AdmitPool admits uploads on worker threads, so the server's main thread (HTTP, sequencing,
 * responses) is not also the one that parses JSON, verifies signatures and canonicalizes: on a
 * busy log those are the largest per-upload cost, and a second core sat idle beside them.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CairnError, type ErrorCode } from '../errors.js';
import type { Admitted } from '../kinds/index.js';
import { BodyNotJson } from './admission.js';

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

/**
 * The worker's bootstrap, evaluated from a string so that one file serves tsx, vitest and compiled
 * JS: when the worker module is TypeScript (running from src/), tsx's ESM hooks are registered in
 * the thread first; from dist/ it is imported as it is. Only dynamic import(), so it runs as a
 * CommonJS script and as a module (a worker evaluates its string as one under --input-type=module).
 */
const BOOTSTRAP = `
import('node:worker_threads').then(async ({ workerData }) => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.target);
}).catch((e) => { setImmediate(() => { throw e; }); });
`;

// The worker module sits beside this one, as .ts under tsx and vitest, as .js in dist/.
const TARGET = new URL(import.meta.url.endsWith('.ts') ? './admit-worker.ts' : './admit-worker.js', import.meta.url).href;
// tsx's ESM API: its CommonJS twin resolves its loader to a path that does not exist in a thread.
const TSX = import.meta.url.endsWith('.ts') ? pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href : undefined;

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
  worker: Worker;
  jobs: Map<number, Job>;
  ready: boolean;
  /** Exited: no new work until the slot's replacement starts. */
  dead: boolean;
  native: boolean;
  why?: string;
}

type Reply = [id: number, kind: string | null, a: unknown, b: unknown, c?: unknown];

export class AdmitPool {
  private readonly slots: Slot[] = [];
  private readonly maxQueue: number;
  private readonly maxQueueBytes: number;
  private nextId = 0;
  private queued = 0;
  private queuedBytes = 0;
  private closing = false;
  private failedStarts = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

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
    for (const s of this.slots) if (!s.dead && (!slot || s.jobs.size < slot.jobs.size)) slot = s;
    if (!slot) return Promise.reject(new CairnError('UNAVAILABLE', 'no entry admission worker is running; retry later'));
    const to = slot;
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const msg = own ? bytes : new Uint8Array(bytes);
    const id = this.nextId++;
    return new Promise<Admitted>((resolve, reject) => {
      to.jobs.set(id, { resolve, reject, bytes: msg.byteLength });
      this.queued++;
      this.queuedBytes += msg.byteLength;
      to.worker.postMessage([id, msg, v2], [msg.buffer as ArrayBuffer]);
    });
  }

  /** close stops the workers; bodies still being admitted fail with UNAVAILABLE. */
  async close(): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** spawn starts the worker of slot i; resolves when it is ready, rejects if it exits first. */
  private spawn(i: number): Promise<void> {
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { target: TARGET, tsx: TSX } });
    worker.unref(); // a server is kept alive by its sockets; a worker must not keep a finished test alive
    const slot: Slot = { worker, jobs: new Map(), ready: false, dead: false, native: false };
    this.slots[i] = slot;
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (m: Reply | { ready: true; native: boolean }) => {
        if (!Array.isArray(m)) {
          slot.ready = true;
          slot.native = m.native;
          this.failedStarts = 0;
          return resolve();
        }
        this.settle(slot, m);
      });
      worker.on('error', (e) => (slot.why = e.message));
      worker.once('exit', (code) => {
        slot.dead = true;
        const why = slot.why ?? `exit code ${code}`;
        for (const job of slot.jobs.values()) {
          this.queued--;
          this.queuedBytes -= job.bytes;
          job.reject(new CairnError('UNAVAILABLE', this.closing ? 'the admission pool is closed' : `entry admission failed: its worker thread died (${why}); retry`));
        }
        slot.jobs.clear();
        if (!slot.ready) reject(new Error(why));
        if (this.closing) return;
        this.o.onWorkerExit?.(why);
        // One that served is replaced at once; one that never got ready is likely to fail again: back off.
        if (slot.ready) return void this.spawn(i).catch(() => {});
        const delay = Math.min(5000, RESPAWN_DELAY_MS * 2 ** this.failedStarts++);
        const t = setTimeout(() => {
          this.timers.delete(t);
          if (!this.closing) this.spawn(i).catch(() => {});
        }, delay);
        this.timers.add(t);
      });
    });
  }

  private settle(slot: Slot, [id, kind, a, b, c]: Reply): void {
    const job = slot.jobs.get(id);
    if (!job) return;
    slot.jobs.delete(id);
    this.queued--;
    this.queuedBytes -= job.bytes;
    if (kind !== null) return job.resolve({ kind, body: a as Uint8Array, indexKeys: b as string[] });
    if (a === 'NOT_JSON') return job.reject(new BodyNotJson());
    if (a === null) return job.reject(new Error(b as string)); // not a CairnError: a bug, answered 500 as inline
    job.reject(new CairnError(a as ErrorCode, b as string, c as Record<string, unknown>));
  }
}
