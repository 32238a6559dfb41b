/**
 * AdmitPool admits uploads on worker threads, so the server's main thread (HTTP, sequencing,
 * responses) is not also the one that parses JSON, verifies signatures and canonicalizes: on a
 * busy log those are the largest per-upload cost, and a second core sat idle beside them.
 */
import { CairnError } from '../errors.js';
import { Thread, threadModule } from '../threads/index.js';
import { BodyNotJson } from './admission.js';
/** How long start() waits for the workers to load. */
const START_TIMEOUT_MS = 30_000;
/** A worker that dies before it is ready is replaced after this long, doubling up to 5 s: a broken worker must not spin. */
const RESPAWN_DELAY_MS = 100;
export class AdmitPool {
    o;
    slots = [];
    maxQueue;
    maxQueueBytes;
    nextId = 0;
    queued = 0;
    queuedBytes = 0;
    closing = false;
    constructor(o) {
        this.o = o;
        this.maxQueue = o.maxQueue ?? 1024;
        this.maxQueueBytes = o.maxQueueBytes ?? 64 * 1024 * 1024;
    }
    /** start starts size workers and resolves once all have loaded; CONFIG error if they cannot. */
    static async start(o) {
        if (!(o.size >= 1))
            throw new CairnError('CONFIG', `an admission pool needs at least one worker, not ${o.size}`);
        const pool = new AdmitPool(o);
        let timer;
        const late = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`not ready after ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS)));
        try {
            await Promise.race([Promise.all(Array.from({ length: o.size }, (_, i) => pool.spawn(i))), late]);
        }
        catch (e) {
            await pool.close();
            throw new CairnError('CONFIG', `admission workers did not start: ${e.message}`);
        }
        finally {
            clearTimeout(timer);
        }
        return pool;
    }
    get size() {
        return this.slots.length;
    }
    /** native reports whether every worker verifies signatures with the native addon. */
    get native() {
        return this.slots.every((s) => s.native);
    }
    /** pending is the number of bodies being admitted or waiting. */
    get pending() {
        return this.queued;
    }
    /**
     * admit resolves with what admitBody(bytes) (admitV2Body with v2) returns, or rejects with the error it throws
     * (BodyNotJson, or a CairnError with the same code, message and details). bytes is moved
     * to the worker when it owns its whole buffer (the caller must not use it again), else copied.
     * PUSHBACK when the queue is full, UNAVAILABLE when the worker died before answering.
     */
    admit(bytes, v2 = false) {
        if (this.closing)
            return Promise.reject(new CairnError('UNAVAILABLE', 'the admission pool is closed'));
        if (this.queued >= this.maxQueue || this.queuedBytes + bytes.byteLength > this.maxQueueBytes) {
            return Promise.reject(new CairnError('PUSHBACK', 'entry admission queue is full; retry later'));
        }
        let slot;
        for (const s of this.slots)
            if (s.thread.alive && (!slot || s.jobs.size < slot.jobs.size))
                slot = s;
        if (!slot)
            return Promise.reject(new CairnError('UNAVAILABLE', 'no entry admission worker is running; retry later'));
        const to = slot;
        const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
        const msg = own ? bytes : new Uint8Array(bytes);
        const id = this.nextId++;
        return new Promise((resolve, reject) => {
            to.jobs.set(id, { resolve, reject, bytes: msg.byteLength });
            this.queued++;
            this.queuedBytes += msg.byteLength;
            to.thread.post([id, msg, v2], [msg.buffer]);
        });
    }
    /** close stops the workers; bodies still being admitted fail with UNAVAILABLE. */
    async close() {
        this.closing = true;
        await Promise.all(this.slots.map((s) => s.thread.stop(0)));
        for (const s of this.slots)
            this.failJobs(s, 'the admission pool is closed');
    }
    /** spawn starts the worker of slot i; resolves when it is ready, rejects if it exits first. */
    spawn(i) {
        return new Promise((resolve, reject) => {
            let ready = false;
            const slot = {
                jobs: new Map(),
                native: false,
                thread: new Thread({
                    name: 'entry admission',
                    module: threadModule(import.meta.url, 'admit-worker'),
                    onMessage: (m) => {
                        if (Array.isArray(m))
                            return this.settle(slot, m);
                        ready = true;
                        slot.native = m.native;
                        resolve();
                    },
                    onExit: (why) => {
                        this.failJobs(slot, `entry admission failed: its worker thread died (${why}); retry`);
                        if (!ready)
                            return reject(new Error(why));
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
    failJobs(slot, message) {
        for (const job of slot.jobs.values()) {
            this.queued--;
            this.queuedBytes -= job.bytes;
            job.reject(new CairnError('UNAVAILABLE', message));
        }
        slot.jobs.clear();
    }
    settle(slot, [id, kind, a, b, c]) {
        const job = slot.jobs.get(id);
        if (!job)
            return;
        slot.jobs.delete(id);
        this.queued--;
        this.queuedBytes -= job.bytes;
        if (kind !== null)
            return job.resolve({ kind, body: a, indexKeys: b });
        if (a === 'NOT_JSON')
            return job.reject(new BodyNotJson());
        if (a === null)
            return job.reject(new Error(b)); // not a CairnError: a bug, answered 500 as inline
        job.reject(new CairnError(a, b, c));
    }
}
