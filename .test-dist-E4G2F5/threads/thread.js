/**
 * Thread runs one worker thread from a real TypeScript module with a typed message union that
 * both sides import, and owns its lifecycle: start, stop within a bound, crash, respawn. Every
 * worker of Cairn (the log writer, the index worker, the WAL checkpointer, the admission pool)
 * runs through it, so they share one bootstrap and one set of lifecycle rules.
 *
 * Why a bootstrap string: a worker is started from a file URL, and the same code must run under
 * tsx and vitest (the worker module is .ts: tsx's ESM hooks are registered in the thread first)
 * and as compiled JS in dist/ (imported as it is). Only dynamic import(), so the string runs as a
 * CommonJS script and as a module (a worker evaluates it as one under --input-type=module).
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, parentPort, workerData } from 'node:worker_threads';
const BOOTSTRAP = `
import('node:worker_threads').then(async ({ workerData }) => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.target);
}).catch((e) => { setImmediate(() => { throw e; }); });
`;
// tsx's ESM API: its CommonJS twin resolves its loader to a path that does not exist in a thread.
let tsxApi;
function tsx() {
    tsxApi ??= pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
    return tsxApi;
}
/**
 * threadModule returns the URL of the worker module `name` (no extension) beside the caller's
 * module `from` (its import.meta.url): .ts under tsx and vitest, .js in dist/.
 */
export function threadModule(from, name) {
    return new URL(`./${name}${from.endsWith('.ts') ? '.ts' : '.js'}`, from);
}
export class Thread {
    o;
    worker;
    running = false;
    stopping = false;
    failures = 0;
    timer;
    exited;
    constructor(o) {
        this.o = o;
        this.spawn();
    }
    /** alive reports whether a thread is running (false between a crash and its replacement). */
    get alive() {
        return this.running;
    }
    /** threadId is the running thread's id (tests). */
    get threadId() {
        return this.worker.threadId;
    }
    /** post sends m (moving `transfer`); returns false, sending nothing, when no thread runs. */
    post(m, transfer = []) {
        if (!this.running)
            return false;
        this.worker.postMessage(m, transfer);
        return true;
    }
    /**
     * stop asks the thread to finish (by posting `last`, when given, which the worker answers by
     * exiting) and terminates it if it has not exited within boundMs. No respawn after stop.
     */
    async stop(boundMs, last) {
        this.stopping = true;
        clearTimeout(this.timer);
        if (this.running && last !== undefined) {
            this.worker.postMessage(last);
            let t;
            await Promise.race([this.exited, new Promise((r) => (t = setTimeout(r, boundMs)))]);
            clearTimeout(t);
        }
        await this.worker.terminate();
        await this.exited;
    }
    /** kill terminates the thread as a crash would (tests of crash handling). */
    kill() {
        return this.worker.terminate();
    }
    spawn() {
        const w = new Worker(BOOTSTRAP, { eval: true, workerData: { target: this.o.module.href, tsx: this.o.module.href.endsWith('.ts') ? tsx() : undefined, data: this.o.data } });
        // A server is kept alive by its sockets; a thread must not keep a finished process alive.
        w.unref();
        this.worker = w;
        this.running = true;
        let why;
        w.on('message', (m) => {
            this.failures = 0;
            this.o.onMessage(m);
        });
        w.on('error', (e) => (why = e.message));
        this.exited = new Promise((resolve) => w.once('exit', (code) => {
            this.running = false;
            resolve();
            if (this.stopping)
                return;
            this.o.onExit?.(`${this.o.name} thread exited: ${why ?? `exit code ${code}`}`);
            const delay = this.o.respawn?.(++this.failures);
            if (delay === undefined)
                return;
            const again = () => {
                if (this.stopping)
                    return;
                this.spawn();
                this.o.onRespawn?.();
            };
            // At once for 0: callers asking right after a crash find a thread running.
            if (delay === 0)
                return again();
            this.timer = setTimeout(again, delay);
            this.timer.unref();
        }));
    }
}
/** threadData returns, inside a worker module, the data its Thread was started with. */
export function threadData() {
    return workerData.data;
}
/**
 * threadPort returns, inside a worker module, the typed port to its Thread: `on` receives the
 * In messages, `post` sends Out messages.
 */
export function threadPort() {
    const port = parentPort;
    if (!port)
        throw new Error('threadPort: not in a worker thread');
    return { on: (f) => void port.on('message', f), post: (m, transfer = []) => port.postMessage(m, transfer) };
}
