import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './db.js';

/**
 * WAL pages after which the writer checkpoints inline (16k pages of 4 KiB = 64 MiB). Under
 * continuous writes the background checkpoint never quite catches up, and SQLite only rewinds
 * the WAL once it is fully copied; the inline checkpoint then finds nearly every frame already
 * copied, finishes cheaply and lets the WAL restart, so its size stays bounded.
 */
export const INLINE_CHECKPOINT_PAGES = 16384;

/** How long stop() waits for the worker's last checkpoint before terminating it. */
const STOP_WAIT_MS = 2000;

// The worker is plain CommonJS evaluated from a string so it runs the same under tsx, vitest and
// compiled JS. It owns its own connection; SQLite's WAL locking keeps it safe beside the writer.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 0');
db.pragma('synchronous = FULL');
let timer;
function tick() {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (e) { /* busy or I/O: retry next tick; the writer's inline limit bounds the WAL */ }
  timer = setTimeout(tick, workerData.intervalMs);
}
parentPort.on('message', () => { clearTimeout(timer); try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} db.close(); parentPort.postMessage('closed'); });
tick();
`;

/**
 * WalCheckpointer copies committed WAL frames back into the database file on a worker thread.
 * Why: with SQLite's default auto-checkpoint, every ~1000 pages the committing writer itself
 * writes them into the main file and fsyncs it, which profiling showed to be the largest single
 * cost of a batch. A PASSIVE checkpoint never blocks the writer or readers, and a commit is
 * durable once its WAL frames are fsynced, so moving checkpoints off the writer changes cost,
 * not durability.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private stopped = false;
  private readonly exited: Promise<void>;

  constructor(db: Db, path: string, intervalMs = 50) {
    db.pragma(`wal_autocheckpoint = ${INLINE_CHECKPOINT_PAGES}`);
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, intervalMs } });
    this.worker.unref();
    // A failing checkpointer only costs speed: the writer's inline limit takes over.
    this.worker.on('error', () => {});
    // Remembered, not just listened for: a worker that died early (say, its connection could not
    // open on a busy machine) must not leave stop() waiting for an 'exit' that already happened.
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  /** stop runs a last checkpoint and closes the worker's connection. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const closed = new Promise<void>((resolve) => this.worker.once('message', () => resolve()));
    this.worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    // The last checkpoint is a courtesy (the WAL is durable as it is): never wait long for it.
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)));
    await Promise.race([closed, this.exited, late]);
    clearTimeout(timer);
    await this.worker.terminate();
  }
}
