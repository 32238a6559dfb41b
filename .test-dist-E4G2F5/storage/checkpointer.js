import { Thread, threadModule } from '../threads/index.js';
/**
 * WAL pages after which the writer checkpoints inline (16k pages of 4 KiB = 64 MiB). Under
 * continuous writes the background checkpoint never quite catches up, and SQLite only rewinds
 * the WAL once it is fully copied; the inline checkpoint then finds nearly every frame already
 * copied, finishes cheaply and lets the WAL restart, so its size stays bounded.
 */
export const INLINE_CHECKPOINT_PAGES = 16384;
/** How long stop() waits for the worker's last checkpoint before terminating it. */
const STOP_WAIT_MS = 2000;
/**
 * WalCheckpointer copies committed WAL frames back into the database file on a worker thread.
 * Why: with SQLite's default auto-checkpoint, every ~1000 pages the committing writer itself
 * writes them into the main file and fsyncs it, which profiling showed to be the largest single
 * cost of a batch. A PASSIVE checkpoint never blocks the writer or readers, and a commit is
 * durable once its WAL frames are fsynced, so moving checkpoints off the writer changes cost,
 * not durability.
 */
export class WalCheckpointer {
    thread;
    constructor(db, path, intervalMs = 50) {
        db.pragma(`wal_autocheckpoint = ${INLINE_CHECKPOINT_PAGES}`);
        // A failing checkpointer only costs speed: the writer's inline limit takes over. No respawn.
        this.thread = new Thread({ name: 'WAL checkpointer', module: threadModule(import.meta.url, 'checkpointer-thread'), data: { path, intervalMs }, onMessage: () => { } });
    }
    /** stop runs a last checkpoint and closes the worker's connection; the checkpoint is a courtesy (the WAL is durable as it is), so it is not waited for long. */
    stop() {
        return this.thread.stop(STOP_WAIT_MS, { type: 'stop' });
    }
}
