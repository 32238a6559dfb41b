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
import type { Enqueued, EntryRow, QueuedEntry } from './contract.js';
import { clientConfig, lockKey, type PostgresPlace } from './postgres-schema.js';

/** channels returns the log's NOTIFY channel names: one log per schema, so named by the schema's hash (channel names are short). */
export function channels(p: PostgresPlace): { queued: string; committed: string } {
  const h = (lockKey(p, 'lead')[1] >>> 0).toString(16);
  return { queued: `cairn_queued_${h}`, committed: `cairn_committed_${h}` };
}

/**
 * enqueueMany queues each entry unless its leaf is committed (answered with its index) or already
 * queued, by this call or another ({ queued: false }), in ONE transaction: concurrent uploads share
 * its round trips and its fsync (the caller gathers them, GroupEnqueue below). It inserts first
 * and checks the entries after, in a second statement, deleting again the rows it inserted for
 * committed leaves: a batch storing a leaf deletes that leaf's queued row, so an insert racing the
 * batch waits on the unique leaf_hash index until the batch commits, and the check after it (a new
 * statement, a new snapshot) sees the batch. No row is ever committed for a committed leaf, and
 * queueing never waits on a batch of other leaves (it took a share lock on the head row before,
 * which every commit updates: queueing and committing waited on each other).
 *
 * Its commit does not wait for the WAL flush: nobody is answered on it (an upload is answered
 * once the batch storing its leaf commits, synchronously), and PostgreSQL flushes WAL in order, so
 * that batch's flush carries every queued row before it. What a crash of the database itself can
 * lose is a row queued in the last moments before it, for an upload not yet answered (it fails and
 * is retried); the death of any node loses nothing. Each upload waited for two fsyncs before.
 */
export async function enqueueMany(pool: pg.Pool, es: readonly QueuedEntry[], now: number): Promise<Enqueued[]> {
  const hexes = es.map((e) => Buffer.from(e.leafHash).toString('hex'));
  const first = new Map<string, number>(); // leaf -> the one entry of es that may queue it
  hexes.forEach((h, i) => first.has(h) || first.set(h, i));
  // In leaf order, as holdPlaces takes its leaves: two transactions waiting on each other's rows would deadlock.
  const rows = [...first.values()].sort((i, j) => Buffer.compare(es[i].leafHash, es[j].leafHash));
  const c = await pool.connect();
  // A connection cut while checked out fails the query below; without a listener its error event would be unhandled.
  const ignore = () => {};
  c.on('error', ignore);
  try {
    // Asynchronous commit (postgres-schema.ts has every other transaction synchronous): see above.
    await c.query('BEGIN; SET LOCAL synchronous_commit TO off');
    const values = rows.map((_, j) => `($${j * 6 + 1}, $${j * 6 + 2}, $${j * 6 + 3}, $${j * 6 + 4}, $${j * 6 + 5}, $${j * 6 + 6})`).join(', ');
    const params = rows.flatMap((i) => {
      const e = es[i];
      return [Buffer.from(e.leafHash), Buffer.from(e.body), e.kind, [...e.keys], e.signEntryTimestamp, now];
    });
    const ins = await c.query<{ leaf_hash: Buffer }>(
      `INSERT INTO queue (leaf_hash, body, kind, keys, sign_ts, queued_at) VALUES ${values} ON CONFLICT (leaf_hash) DO NOTHING RETURNING leaf_hash`,
      params,
    );
    const inserted = new Set(ins.rows.map((r) => r.leaf_hash.toString('hex')));
    const leaves = rows.map((i) => Buffer.from(es[i].leafHash));
    const found = new Map((await c.query<{ leaf_hash: Buffer; idx: string }>('SELECT leaf_hash, idx FROM entries WHERE leaf_hash = ANY($1)', [leaves])).rows.map((r) => [r.leaf_hash.toString('hex'), Number(r.idx)]));
    const undo = [...found.keys()].filter((h) => inserted.has(h));
    if (undo.length) await c.query('DELETE FROM queue WHERE leaf_hash = ANY($1)', [undo.map((h) => Buffer.from(h, 'hex'))]);
    // No NOTIFY in here (see the top of the file): the caller hints once this has committed.
    await c.query('COMMIT');
    return hexes.map((h, i): Enqueued => {
      const index = found.get(h);
      if (index !== undefined) return { queued: false, index };
      return { queued: first.get(h) === i && inserted.has(h) };
    });
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.off('error', ignore);
    c.release();
  }
}

/**
 * holdPlaces is the part of a batch's commit (in its transaction, before it deletes the batch's
 * queue rows) for its direct entries (contract.ts SharedQueue): it inserts a placeholder row for
 * each direct leaf, in leaf order, so an enqueue of the leaf meanwhile waits on the unique index
 * until the batch commits (the placeholder then deleted, it finds the leaf committed: 409), and it
 * returns the log indexes of those whose insert found a row already: queued by another upload,
 * which owns the leaf.
 */
export async function holdPlaces(c: pg.ClientBase, direct: readonly EntryRow[]): Promise<number[]> {
  const leaves = direct.map((x) => Buffer.from(x.leafHash)).sort(Buffer.compare);
  const held = await c.query<{ leaf_hash: Buffer }>(
    `INSERT INTO queue (leaf_hash, body, kind, keys, sign_ts, queued_at) SELECT l, '', '', '{}', false, 0 FROM unnest($1::bytea[]) AS l ORDER BY l ON CONFLICT (leaf_hash) DO NOTHING RETURNING leaf_hash`,
    [leaves],
  );
  const mine = new Set(held.rows.map((r) => r.leaf_hash.toString('hex')));
  return direct.filter((x) => !mine.has(Buffer.from(x.leafHash).toString('hex'))).map((x) => x.index);
}

/**
 * GroupEnqueue is group commit for the queue: while `inFlight` transactions of enqueueMany are
 * open, the uploads that arrive gather and go in the next one, so under load one fsync and four
 * round trips serve many uploads instead of each upload paying its own.
 */
export class GroupEnqueue {
  private gathered: { e: QueuedEntry; resolve: (r: Enqueued) => void; reject: (e: unknown) => void }[] = [];
  private running = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly o: { inFlight?: number; most?: number } = {},
  ) {}

  enqueue(e: QueuedEntry): Promise<Enqueued> {
    return new Promise((resolve, reject) => {
      this.gathered.push({ e, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (!this.gathered.length || this.running >= (this.o.inFlight ?? 2)) return;
    const group = this.gathered.splice(0, this.o.most ?? 1000);
    this.running++;
    enqueueMany(
      this.pool,
      group.map((g) => g.e),
      Date.now(),
    )
      .then(
        (rs) => group.forEach((g, i) => g.resolve(rs[i])),
        (err: unknown) => group.forEach((g) => g.reject(err)),
      )
      .finally(() => {
        this.running--;
        this.next();
      });
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

  /** hintQueued says this node queued an entry (committed): wakes this node's feeder now and, if others is set, the others' through NOTIFY. */
  hintQueued(others = true): void {
    for (const f of this.queued) f();
    if (others) this.send(channels(this.place).queued, '');
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
