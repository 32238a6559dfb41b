/**
 * The log writer's thread (writer.ts starts it): the one connection that appends to cairn.db.
 * Each batch of the sequencer is stored here in ONE transaction — its entries, their search keys,
 * the tiles it changed and the checkpoint that covers it — and answered only after the commit.
 * Heartbeat re-signs and witness cosignatures are written here too, so cairn.db has exactly one
 * writing connection while the log runs.
 */
import Database from 'better-sqlite3';
import { threadData, threadPort } from '../threads/index.js';
import { EntryRows } from './entry-rows.js';
import { CHECKPOINT_INSERT_SQL, CHECKPOINTS_PRUNE_SQL, ENTRY_KEYS_INSERT_SQL, TILE_PUT_SQL } from './statements.js';

/** WriterData is what the thread starts with. */
export interface WriterData {
  path: string;
  /** The committed tree size: the first batch must build on it. */
  size: number;
  synchronous: string;
  /** WAL pages after which a commit checkpoints inline; 0 leaves SQLite's default. */
  autocheckpoint: number;
}

/** A batch laid out by writer.ts's pack(): see there for the layout of bytes and nums. */
export interface BatchMessage {
  type: 'batch';
  seq: number;
  oldSize: number;
  first: number;
  count: number;
  kinds: string[];
  keys: string[];
  tiles: [level: number, index: number][];
  checkpoint: [size: number, signedAt: number, c2sp: string, rekor: string];
  bytes: Uint8Array;
  nums: Float64Array;
}

/** WriterIn is every message the thread takes. */
export type WriterIn =
  | BatchMessage
  /** Replace the signatures of the checkpoint of this size and root (heartbeat); value: whether one matched. */
  | { type: 'resign'; seq: number; size: number; rootHash: Uint8Array; signedAt: number; c2sp: string; rekor: string }
  /** Store a witness's latest cosignature of this log. */
  | { type: 'cosigned'; seq: number; witness: string; size: number; checkpoint: string; lines: string }
  /** Run a PRAGMA on this connection (fault injection in tests, tuning); value: its simple value. */
  | { type: 'pragma'; seq: number; pragma: string }
  | { type: 'stop'; seq: number };

/** WriterOut answers message seq: value on success, error (and SQLite's code) on failure; spare hands a batch's buffers back. */
export interface WriterOut {
  seq: number;
  value?: unknown;
  error?: string;
  code?: string;
  spare: ArrayBuffer[];
}

const w = threadData<WriterData>();
const port = threadPort<WriterIn, WriterOut>();
const db = new Database(w.path);
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${w.synchronous}`);
db.pragma('busy_timeout = 5000');
// 8 MiB, not the 64 MiB of the reading connection: this one only appends, so what it needs is
// one batch's dirty pages and the b-trees' right edges; with 64 MiB every new process spent its
// first ~150k entries faulting in fresh cache pages (2.5-3x the insert time of a batch).
db.pragma('cache_size = -8192');
if (w.autocheckpoint > 0) db.pragma(`wal_autocheckpoint = ${w.autocheckpoint}`);
const entries = new EntryRows(db);
const keys = db.prepare(ENTRY_KEYS_INSERT_SQL);
const tile = db.prepare(TILE_PUT_SQL);
const checkpoint = db.prepare(CHECKPOINT_INSERT_SQL);
const resign = db.prepare('UPDATE checkpoints SET signed_at = ?, c2sp = ?, rekor = ? WHERE size = ? AND root_hash = ?');
const cosigned = db.prepare(
  `INSERT INTO witness_cosignatures (witness, size, checkpoint, lines) VALUES (?, ?, ?, ?)
   ON CONFLICT (witness) DO UPDATE SET size = excluded.size, checkpoint = excluded.checkpoint, lines = excluded.lines`,
);
const prune = db.prepare(CHECKPOINTS_PRUNE_SQL);
let committed = w.size;

/** store inserts a batch's rows; run inside one transaction (write below). */
function store(m: BatchMessage): void {
  const b = m.bytes;
  const o = m.nums;
  let at = 0;
  let k = 0;
  let t = 0;
  const next = (): Uint8Array | null => {
    const end = o[k++];
    if (end < 0) return null;
    const v = b.subarray(at, end);
    at = end;
    return v;
  };
  for (let i = 0; i < m.count; i++) {
    const leaf = next();
    const body = next();
    const ts = next();
    const time = o[k++];
    const kind = m.kinds[o[k++]];
    const n = o[k++];
    entries.put(m.first + i, leaf!, body!, kind, time, ts);
    // No row for an entry without keys, or whose keys its body gives back (entry-keys.ts); an empty
    // one for an entry given none whose body could give some back (n = -1).
    if (n > 0) keys.run(m.first + i, JSON.stringify(m.keys.slice(t, (t += n))));
    else if (n < 0) keys.run(m.first + i, '[]');
  }
  entries.flush();
  for (const [level, index] of m.tiles) tile.run(level, index, next());
  const [size, signedAt, c2sp, rekor] = m.checkpoint;
  checkpoint.run(size, next(), signedAt, c2sp, rekor);
  prune.run();
}

const write = db.transaction(store);

/**
 * commit is the log's commit point. What a kill (process crash, power cut) at each step leaves:
 * - before write() commits: the transaction is rolled back when cairn.db is next opened (WAL
 *   frames without a commit record are ignored). Nothing of the batch was acknowledged — the
 *   sequencer answers a submission only after this function's reply — and no checkpoint covering
 *   it left the process, so the batch is simply lost, as if never submitted; clients retry.
 * - after the commit's fsync (synchronous=FULL), before the reply: the batch is durable but
 *   unacknowledged. On restart it is part of the log; a client's retry gets 409 with its index.
 *   Its checkpoint was signed before the commit but released only after it, so no one holds a
 *   signed root for a tree that might not exist.
 * - after the reply: durable and acknowledged, and the in-memory views (tiles, checkpoint, key
 *   index) are updated on the main thread; a crash there loses only memory, rebuilt at start.
 * With synchronous=NORMAL a power cut may also lose the last commits: the docs say so.
 * The size check refuses a batch built on one that failed: its tree would have a hole.
 */
function commit(m: BatchMessage): WriterOut {
  if (m.oldSize !== committed) {
    return { seq: m.seq, spare: [], error: `batch builds on size ${m.oldSize} but ${committed} is committed (an earlier batch failed)`, code: 'CAIRN_STALE_BATCH' };
  }
  try {
    write(m);
  } catch (e) {
    entries.reset(); // rolled back: the body stream's end and new kinds' numbers with it
    throw e;
  }
  committed = m.checkpoint[0];
  return { seq: m.seq, spare: [] };
}

function handle(m: WriterIn): WriterOut {
  switch (m.type) {
    case 'batch':
      return commit(m);
    case 'resign':
      return { seq: m.seq, spare: [], value: resign.run(m.signedAt, m.c2sp, m.rekor, m.size, m.rootHash).changes === 1 };
    case 'cosigned':
      cosigned.run(m.witness, m.size, m.checkpoint, m.lines);
      return { seq: m.seq, spare: [] };
    case 'pragma':
      return { seq: m.seq, spare: [], value: db.pragma(m.pragma, { simple: true }) };
    case 'stop':
      db.close();
      return { seq: m.seq, spare: [] };
  }
}

port.on((m) => {
  // A batch's buffers go back for reuse once its statements have run (they copy what they bind).
  const spare = m.type === 'batch' ? [m.bytes.buffer as ArrayBuffer, m.nums.buffer as ArrayBuffer] : [];
  let out: WriterOut;
  try {
    out = handle(m);
  } catch (e) {
    out = { seq: m.seq, spare: [], error: String((e as Error)?.message ?? e), code: (e as { code?: string })?.code };
  }
  out.spare = spare;
  port.post(out, spare);
  if (m.type === 'stop') process.exit(0);
});
