/**
 * The shared submission queue of a PostgreSQL log (contract.ts SharedQueue; schema 002-queue.sql):
 * enqueue, claim, and the LISTEN/NOTIFY hints that wake the leader (an entry queued) and waiting
 * uploads (a batch committed). The commit that deletes integrated rows is in postgres.ts, inside
 * the batch's own transaction.
 *
 * The hints are sent after the commit they announce, never inside it: a transaction that NOTIFYs
 * holds PostgreSQL's one notify lock (for the whole cluster) from its commit until its WAL is
 * flushed, so queueing uploads that each notified committed one at a time, an fsync each, and
 * group commit never happened (bench/README.md, "PostgreSQL nodes").
 */
import pg from 'pg';
import type { Enqueued, QueuedEntry } from './contract.js';
import { clientConfig, lockKey, type PostgresPlace } from './postgres-schema.js';

/** channels returns the log's NOTIFY channel names: one log per schema, so named by the schema's hash (channel names are short). */
export function channels(p: PostgresPlace): { queued: string; committed: string } {
  const h = (lockKey(p, 'lead')[1] >>> 0).toString(16);
  return { queued: `cairn_queued_${h}`, committed: `cairn_committed_${h}` };
}

/**
 * enqueue queues e unless its leaf is committed or queued (the caller then sends the queued hint).
 * It inserts first and checks the entries after, in the same transaction, rolling the row back if
 * the leaf is committed: a batch storing the leaf deletes the leaf's queued row, so an insert
 * racing that batch waits on the unique leaf_hash index until the batch commits, and the check
 * after it (a new statement, a new snapshot) sees the batch. No row is ever committed for a
 * committed leaf, and queueing never waits on a batch of other leaves (it took a share lock on the
 * head row before, which every commit updates: queueing and committing waited on each other).
 */
export async function enqueue(pool: pg.Pool, _p: PostgresPlace, e: QueuedEntry, now: number): Promise<Enqueued> {
  const c = await pool.connect();
  // A connection cut while checked out fails the query below; without a listener its error event would be unhandled.
  const ignore = () => {};
  c.on('error', ignore);
  try {
    await c.query('BEGIN');
    const ins = await c.query(
      'INSERT INTO queue (leaf_hash, body, kind, keys, sign_ts, queued_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (leaf_hash) DO NOTHING',
      [Buffer.from(e.leafHash), Buffer.from(e.body), e.kind, [...e.keys], e.signEntryTimestamp, now],
    );
    const found = (await c.query<{ idx: string }>('SELECT idx FROM entries WHERE leaf_hash = $1', [Buffer.from(e.leafHash)])).rows[0];
    if (found) {
      await c.query('ROLLBACK');
      return { queued: false, index: Number(found.idx) };
    }
    // No NOTIFY in here (see the top of the file): the caller hints once this has committed.
    await c.query('COMMIT');
    return ins.rowCount === 1 ? { queued: true } : { queued: false };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.off('error', ignore);
    c.release();
  }
}

/** claim returns up to limit queued entries, oldest first. */
export async function claim(pool: pg.Pool, limit: number): Promise<QueuedEntry[]> {
  const r = await pool.query<{ leaf_hash: Buffer; body: Buffer; kind: string; keys: string[]; sign_ts: boolean }>(
    'SELECT leaf_hash, body, kind, keys, sign_ts FROM queue ORDER BY seq LIMIT $1',
    [limit],
  );
  return r.rows.map((x) => ({ leafHash: x.leaf_hash, body: x.body, kind: x.kind, keys: x.keys, signEntryTimestamp: x.sign_ts }));
}

/**
 * Notices is one LISTEN connection for a node, opened on first use; when it dies it is opened
 * again after a short pause (callers poll meanwhile: notifications are hints). It also sends the
 * node's own hints (queued, committed) after their commits: at once to this node's listeners,
 * and over its connection to the other nodes, at most one NOTIFY in flight a channel (hints
 * asked for meanwhile go out as one more after it, so every commit is followed by a notice).
 * A node does not hear its own NOTIFYs back: it was told first.
 */
export class Notices {
  private client?: pg.Client;
  private readonly queued: (() => void)[] = [];
  private readonly committed: ((size: number) => void)[] = [];
  /** Per channel: the payload of a hint still to send (set while one is in flight or the connection is not up). */
  private readonly pending = new Map<string, string>();
  private readonly sending = new Set<string>();
  private closed = false;
  private starting = false;

  constructor(private readonly place: PostgresPlace) {}

  onQueued(fn: () => void): void {
    this.queued.push(fn);
    this.start();
  }

  onCommitted(fn: (size: number) => void): void {
    this.committed.push(fn);
    this.start();
  }

  /** hintQueued says this node queued an entry (committed): wakes this node's feeder now and the others' through NOTIFY. */
  hintQueued(): void {
    for (const f of this.queued) f();
    this.send(channels(this.place).queued, '');
  }

  /** hintCommitted says this node committed a batch up to size: wakes this node's waiting uploads now and the others' through NOTIFY. */
  hintCommitted(size: number): void {
    for (const f of this.committed) f(size);
    this.send(channels(this.place).committed, String(size));
  }

  private send(channel: string, payload: string): void {
    if (this.closed) return;
    this.pending.set(channel, payload);
    const c = this.client;
    if (!c) return this.start(); // sent once connected
    if (this.sending.has(channel)) return; // goes out after the one in flight
    this.pending.delete(channel);
    this.sending.add(channel);
    c.query('SELECT pg_notify($1, $2)', [channel, payload])
      .catch(() => {}) // a hint: the receivers poll too
      .finally(() => {
        this.sending.delete(channel);
        const next = this.pending.get(channel);
        if (next !== undefined && this.client === c) this.send(channel, next);
      });
  }

  private start(): void {
    if (this.client || this.starting || this.closed) return;
    this.starting = true;
    const ch = channels(this.place);
    const c = new pg.Client(clientConfig(this.place));
    let gone = false;
    const retry = () => {
      if (gone) return;
      gone = true;
      if (this.client === c) this.client = undefined;
      this.sending.clear();
      if (!this.closed) setTimeout(() => this.start(), 200).unref();
    };
    c.on('error', () => {});
    c.on('end', retry);
    c.on('notification', (n) => {
      // This node's own hint, already delivered here (processID: the backend's pid, from the handshake; not in pg's types).
      if (n.processId === (c as unknown as { processID: number }).processID) return;
      if (n.channel === ch.queued) for (const f of this.queued) f();
      else if (n.channel === ch.committed) for (const f of this.committed) f(Number(n.payload));
    });
    c.connect()
      .then(() => c.query(`LISTEN ${ch.queued}; LISTEN ${ch.committed}`))
      .then(
        () => {
          this.starting = false;
          if (this.closed) void c.end().catch(() => {});
          else {
            this.client = c;
            for (const [channel, payload] of [...this.pending]) this.send(channel, payload);
          }
        },
        () => {
          this.starting = false;
          void c.end().catch(() => {});
          retry();
        },
      );
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => {});
  }

  /** abandon stops listening without a goodbye, returning the connection for its caller to cut (tests). */
  abandon(): pg.Client | undefined {
    this.closed = true;
    return this.client;
  }
}
