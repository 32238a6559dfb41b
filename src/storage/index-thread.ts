/**
 * The index worker's thread (key-index.ts starts it): extends index.db with the entries cairn.db
 * has committed, in sorted runs of minRun..maxRun entries (mergeRun, index-db.ts), and reports
 * each run. It only ever reads cairn.db; a crash mid-run rolls the run back, and the next worker
 * (or the next start) repeats it from the stored progress.
 */
import { threadData, threadPort } from '../threads/index.js';
import Database from 'better-sqlite3';
import { BodyReader, chunkSizeOf } from './body-stream.js';
import { connectIndexDb, mergeRun } from './index-db.js';

export interface IndexWorkerData {
  indexPath: string;
  logPath: string;
  /** Entries to wait for before writing a run (unless flushed). */
  minRun: number;
  /** Most entries one run takes. */
  maxRun: number;
}

/** IndexIn: entries below size are committed in cairn.db (flush: index them even below minRun); or stop. */
export type IndexIn = { type: 'committed'; size: number; flush?: boolean } | { type: 'stop' };
/** IndexOut: a run committed up to `indexed`, or one failed (retried after a second). */
export type IndexOut = { indexed: number } | { error: string };

const w = threadData<IndexWorkerData>();
const port = threadPort<IndexIn, IndexOut>();
const db = connectIndexDb(w.indexPath);
db.prepare('ATTACH DATABASE ? AS log').run(w.logPath);
// Bodies (for keys derived from them) are read on a connection of their own: committed entries'
// bodies never change, so any snapshot at least as new as the committed size reads them right.
const log = new Database(w.logPath, { readonly: true, fileMustExist: true });
const run = mergeRun(db, new BodyReader(log, chunkSizeOf(log)));
const progress = db.prepare<[], number>('SELECT indexed_size FROM progress').pluck();
let indexed = progress.get()!;
let target = indexed;
let flushTo = 0;
let queued = false;
let stopped = false;

function step(): void {
  queued = false;
  if (stopped) return;
  const lag = target - indexed;
  if (lag <= 0 || (lag < w.minRun && flushTo <= indexed)) return;
  const to = Math.min(target, indexed + w.maxRun);
  try {
    run(indexed, to);
  } catch (e) {
    indexed = progress.get()!;
    port.post({ error: String((e as Error)?.message ?? e) });
    setTimeout(kick, 1000);
    return;
  }
  indexed = to;
  port.post({ indexed });
  kick();
}

function kick(): void {
  if (queued) return;
  queued = true;
  setImmediate(step);
}

port.on((m) => {
  if (m.type === 'stop') {
    stopped = true;
    db.close();
    log.close();
    process.exit(0);
  }
  target = Math.max(target, m.size);
  if (m.flush) flushTo = Math.max(flushTo, m.size);
  kick();
});
