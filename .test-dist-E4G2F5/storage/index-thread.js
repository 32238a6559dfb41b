/**
 * The index worker's thread (key-index.ts starts it): extends index.db with the entries cairn.db
 * has committed, in sorted runs of minRun..maxRun entries (mergeRun, index-db.ts), and reports
 * each run. It only ever reads cairn.db; a crash mid-run rolls the run back, and the next worker
 * (or the next start) repeats it from the stored progress.
 */
import { threadData, threadPort } from '../threads/index.js';
import { connectIndexDb, mergeRun } from './index-db.js';
const w = threadData();
const port = threadPort();
const db = connectIndexDb(w.indexPath);
db.prepare('ATTACH DATABASE ? AS log').run(w.logPath);
const run = mergeRun(db);
const progress = db.prepare('SELECT indexed_size FROM progress').pluck();
let indexed = progress.get();
let target = indexed;
let flushTo = 0;
let queued = false;
let stopped = false;
function step() {
    queued = false;
    if (stopped)
        return;
    const lag = target - indexed;
    if (lag <= 0 || (lag < w.minRun && flushTo <= indexed))
        return;
    const to = Math.min(target, indexed + w.maxRun);
    try {
        run(indexed, to);
    }
    catch (e) {
        indexed = progress.get();
        port.post({ error: String(e?.message ?? e) });
        setTimeout(kick, 1000);
        return;
    }
    indexed = to;
    port.post({ indexed });
    kick();
}
function kick() {
    if (queued)
        return;
    queued = true;
    setImmediate(step);
}
port.on((m) => {
    if (m.type === 'stop') {
        stopped = true;
        db.close();
        process.exit(0);
    }
    target = Math.max(target, m.size);
    if (m.flush)
        flushTo = Math.max(flushTo, m.size);
    kick();
});
