/**
 * The PostgreSQL driver of the storage contract (contract.ts), for many nodes on one log: reads
 * through a pool, batches through one writing connection, each batch ONE transaction that first
 * moves the head by compare-and-swap on (size, epoch) — the fence (postgres-lead.ts). Reads are
 * async. Staged leaves (a batch in flight) are kept in memory for leafIndex. Over 300 lines for a
 * reason: it is the whole contract on one connection set, one short SQL statement a method;
 * election, queue, schema and snapshots are in their own postgres-*.ts files.
 */
import pg from 'pg';
import { CairnError } from '../errors.js';
import type { BatchWrite, CheckpointRow, Committed, Cosignature, ElectedLogStorage, Enqueued, EntryRow, LogIdentity, QueuedEntry, SharedQueue, StorageStats } from './contract.js';
import { destroySocket, Leadership, type LeadOptions } from './postgres-lead.js';
import { clientConfig, migrate, schemaOf, type PostgresPlace } from './postgres-schema.js';
import { checkpointOf, entryOf, type RawCheckpoint, type RawEntry } from './postgres-rows.js';
import { Coalesce } from './coalesce.js';
import { claim, GroupEnqueue, holdPlaces, Notices } from './postgres-queue.js';

/** PostgresOptions say where the log is and how this node takes the lead. */
export interface PostgresOptions extends PostgresPlace, LeadOptions {
  /** Take the sequencer's lead on open, waiting up to this many ms (default 2000); false opens a follower. */
  lead?: number | false;
  /** Connections of the read pool (default 8). */
  poolSize?: number;
}

/** nodeConfig is the connection settings of a node's writer and pool: a transaction left idle past the lease is ended by the server. */
const nodeConfig = (o: PostgresOptions) => clientConfig(o, { idleInTransactionMs: o.leaseMs ?? 5000 });

/** PostgresStorage is the PostgreSQL driver: one per node; the leading node's instance sequences from the shared queue. */
export class PostgresStorage implements ElectedLogStorage, SharedQueue {
  private readonly staged = new Map<string, number>();
  private readonly notices: Notices;
  private readonly enqueues: GroupEnqueue;
  private readonly stagedOrder: [number, string][] = [];
  private term?: Leadership;
  private candidate?: pg.Client;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private writer: pg.Client,
    private readonly o: PostgresOptions,
  ) {
    this.notices = new Notices(o);
    this.enqueues = new GroupEnqueue(pool);
    this.watch(writer);
  }

  /** watch marks the writing connection dead when it fails (e.g. pg_terminate_backend), so the next write opens another. */
  private watch(c: pg.Client): void {
    const dead = () => {
      if (this.writer === c) this.writerDead = true;
    };
    c.on('error', dead);
    c.on('end', dead);
  }
  private writerDead = false;

  /** The last use of the writing connection queued so far (exclusive). */
  private turn: Promise<unknown> = Promise.resolve();

  /**
   * exclusive runs fn with the writing connection to itself. One connection is one transaction at
   * a time, whoever sends the statements: a readiness probe's BEGIN … ROLLBACK sent in the middle
   * of a batch would roll back the batch's head update and leave its entries and checkpoint to
   * commit on their own. So batches, re-signs, cosignatures and probes take turns.
   */
  private exclusive<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const run = this.turn.then(async () => fn(await this.writing()));
    this.turn = run.catch(() => {});
    return run;
  }

  /** writing returns the writing connection, replacing a dead one (only inside exclusive). */
  private async writing(): Promise<pg.Client> {
    if (this.writerDead && !this.closed) {
      const c = new pg.Client(nodeConfig(this.o));
      c.on('error', () => {});
      await c.connect();
      this.writer = c;
      this.writerDead = false;
      this.watch(c);
    }
    return this.writer;
  }

  /** open connects, applies migrations, and (unless lead is false) takes the lead or fails with UNAVAILABLE. */
  static async open(o: PostgresOptions): Promise<PostgresStorage> {
    schemaOf(o);
    const writer = new pg.Client(nodeConfig(o));
    writer.on('error', () => {}); // a dead writer fails its next query, which the sequencer sees
    await writer.connect();
    const pool = new pg.Pool({ ...nodeConfig(o), max: o.poolSize ?? 8 });
    pool.on('error', () => {}); // an idle client that dies is dropped by the pool
    const s = new PostgresStorage(pool, writer, o);
    try {
      await migrate(writer, o);
      if (o.lead !== false && !(await s.campaign(o.lead ?? 2000))) throw new CairnError('UNAVAILABLE', `another node is the sequencer of ${schemaOf(o)} (the lead is held)`);
      return s;
    } catch (e) {
      await s.close();
      throw e;
    }
  }

  /**
   * campaign tries to become the sequencer until waitMs has passed: true once this node leads.
   * The lead is lost when its connection goes or its lease lapses; onLost hears it.
   */
  async campaign(waitMs = 0): Promise<boolean> {
    const until = Date.now() + waitMs;
    for (;;) {
      if (this.term?.leading) return true;
      if (await this.tryOnce()) return true;
      if (Date.now() >= until || this.closed) return false;
      await new Promise((r) => setTimeout(r, Math.min(100, until - Date.now())));
    }
  }

  /** tryOnce makes one attempt at the lead on the kept candidate connection (opened once, not per attempt). */
  private async tryOnce(): Promise<boolean> {
    try {
      this.candidate ??= await Leadership.candidate(this.o, this.o);
      const term = await Leadership.tryAcquire(this.candidate, this.o, this.o);
      if (!term) return false;
      this.candidate = undefined; // the term's now
      this.term = term;
      this.unstage(0);
      return true;
    } catch (e) {
      // A candidate connection that failed (idle timeout while paused, a cut network) is replaced next time.
      void this.candidate?.end().catch(() => {});
      this.candidate = undefined;
      if (this.closed) return false;
      throw e;
    }
  }

  /** role is this node's part now: 'leader' while its term holds (checked against the lease), else 'follower'. */
  get role(): 'leader' | 'follower' {
    return this.term?.leading ? 'leader' : 'follower';
  }

  /** epoch is the current term's fencing epoch, while this node leads. */
  get epoch(): number | undefined {
    return this.term?.leading ? this.term.epoch : undefined;
  }

  /** onLost calls fn when the current term ends (the log stops sequencing and reports it). */
  onLost(fn: (why: string) => void): void {
    this.term?.onLost(fn);
  }

  private fence(): Leadership {
    const t = this.term;
    if (!t?.leading) throw new CairnError('UNAVAILABLE', `not the sequencer: ${t?.lost ?? 'never led'}`);
    return t;
  }

  async identity(): Promise<LogIdentity | undefined> {
    const r = (await this.pool.query<{ origin: string; public_key: string; tree_id: string }>('SELECT * FROM identity')).rows[0];
    return r && { origin: r.origin, publicKeyPem: r.public_key, treeId: r.tree_id };
  }

  async create(id: LogIdentity, first: CheckpointRow): Promise<void> {
    const epoch = this.fence().epoch;
    await this.tx(async (c) => {
      const head = await c.query('UPDATE head SET size = $1 WHERE size = 0 AND epoch = $2', [first.size, epoch]);
      if (head.rowCount !== 1) throw new CairnError('UNAVAILABLE', 'fenced: another node leads this log');
      await c.query('INSERT INTO identity (origin, public_key, tree_id) VALUES ($1, $2, $3)', [id.origin, id.publicKeyPem, id.treeId]);
      await insertCheckpoint(c, first);
    });
  }

  stage(index: number, leafHash: Uint8Array, _keys: readonly string[]): void {
    const last = this.stagedOrder[this.stagedOrder.length - 1];
    if (last && index !== last[0] + 1) throw new Error(`storage: staged ${index} after ${last[0]}`);
    const h = Buffer.from(leafHash).toString('hex');
    this.staged.set(h, index);
    this.stagedOrder.push([index, h]);
  }

  unstage(size: number): void {
    while (this.stagedOrder.length && this.stagedOrder[this.stagedOrder.length - 1][0] >= size) this.staged.delete(this.stagedOrder.pop()![1]);
  }

  /** forget drops staged leaves below size: they are committed, found in the table now. */
  private forget(size: number): void {
    let n = 0;
    while (n < this.stagedOrder.length && this.stagedOrder[n][0] < size) this.staged.delete(this.stagedOrder[n++][1]);
    this.stagedOrder.splice(0, n);
  }

  async commit(b: BatchWrite): Promise<Committed> {
    const epoch = this.fence().epoch;
    const newSize = b.oldSize + b.entries.length;
    if (b.checkpoint.size !== newSize) throw new Error(`storage: checkpoint size ${b.checkpoint.size} for a batch ending at ${newSize}`);
    const queuedElsewhere: number[] = [];
    await this.tx(async (c) => {
      // The fence: first, so the head row's lock orders this batch against a new leader's epoch bump.
      const head = await c.query('UPDATE head SET size = $1 WHERE size = $2 AND epoch = $3', [newSize, b.oldSize, epoch]);
      if (head.rowCount !== 1) throw new CairnError('UNAVAILABLE', `commit refused: the stored tree is not size ${b.oldSize} at epoch ${epoch} (a batch failed, or another node leads)`);
      if (b.entries.length) {
        const e = b.entries;
        await c.query(
          'INSERT INTO entries (idx, leaf_hash, body, kind, integrated_time, entry_ts) SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::text[], $5::bigint[], $6::bytea[])',
          [e.map((x) => x.index), e.map((x) => Buffer.from(x.leafHash)), e.map((x) => Buffer.from(x.body)), e.map((x) => x.kind), e.map((x) => x.integratedTime), e.map((x) => (x.entryTimestamp ? Buffer.from(x.entryTimestamp) : null))],
        );
        const keys: string[] = [];
        const idx: number[] = [];
        b.keys.forEach((ks, i) => ks.forEach((k) => (keys.push(k), idx.push(e[i].index))));
        if (keys.length) await c.query('INSERT INTO search_keys (key, idx) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING', [keys, idx]);
        const direct = e.filter((_, i) => b.direct?.[i]);
        if (direct.length) queuedElsewhere.push(...(await holdPlaces(c, direct)));
        // The shared queue's exactly-once: the rows of the leaves stored go in this same transaction.
        await c.query('DELETE FROM queue WHERE leaf_hash = ANY($1::bytea[])', [e.map((x) => Buffer.from(x.leafHash))]);
      }
      if (b.tiles.length) {
        const t = b.tiles;
        await c.query(
          'INSERT INTO tiles (level, idx, hashes) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bytea[]) ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes',
          [t.map((x) => x.level), t.map((x) => x.index), t.map((x) => Buffer.from(x.data))],
        );
      }
      await insertCheckpoint(c, b.checkpoint);
    });
    this.forget(newSize);
    // After the commit, not in it (postgres-queue.ts says why).
    this.notices.hintCommitted(newSize);
    return { queuedElsewhere };
  }

  async resign(cp: CheckpointRow): Promise<boolean> {
    const epoch = this.fence().epoch;
    // Fenced like commit: a checkpoint is published only by the current term.
    const r = await this.exclusive((w) =>
      w.query(
        'UPDATE checkpoints c SET signed_at = $3, c2sp = $4, rekor = $5 FROM head h WHERE c.size = $1 AND c.root_hash = $2 AND h.epoch = $6',
        [cp.size, Buffer.from(cp.rootHash), cp.signedAt, cp.c2sp, cp.rekor, epoch],
      ),
    );
    return r.rowCount === 1;
  }

  backpressure(): undefined {
    return undefined; // staged leaves are one batch's worth; nothing else is held in memory
  }

  async latest(): Promise<CheckpointRow | undefined> {
    const r = (await this.pool.query<RawCheckpoint>('SELECT * FROM checkpoints ORDER BY size DESC LIMIT 1')).rows[0];
    return r && checkpointOf(r);
  }

  async checkpointAt(size: number): Promise<CheckpointRow | undefined> {
    const r = (await this.pool.query<RawCheckpoint>('SELECT * FROM checkpoints WHERE size = $1', [size])).rows[0];
    return r && checkpointOf(r);
  }

  async count(): Promise<number> {
    return Number((await this.pool.query<{ size: string }>('SELECT size FROM head')).rows[0].size);
  }

  entry(index: number): Promise<EntryRow | undefined> {
    return this.byIndex.get(index);
  }

  /** The entries asked for in one turn, read in one query (the uploads a commit answers, concurrent reads). */
  private readonly byIndex = new Coalesce<number, EntryRow>(async (idx) => {
    const rows = (await this.pool.query<RawEntry>('SELECT * FROM entries WHERE idx = ANY($1::bigint[])', [idx])).rows;
    return new Map(rows.map((r) => [Number(r.idx), entryOf(r)]));
  });

  /** entriesAt reads the indexes asked for in one query (Log.entryByIndexGathered has gathered them already). */
  async entriesAt(indexes: readonly number[]): Promise<EntryRow[]> {
    return (await this.pool.query<RawEntry>('SELECT * FROM entries WHERE idx = ANY($1::bigint[])', [indexes])).rows.map(entryOf);
  }

  async entries(start: number, end: number): Promise<EntryRow[]> {
    return (await this.pool.query<RawEntry>('SELECT * FROM entries WHERE idx >= $1 AND idx < $2 ORDER BY idx', [start, end])).rows.map(entryOf);
  }

  async tile(level: number, index: number): Promise<Uint8Array | undefined> {
    return (await this.pool.query<{ hashes: Buffer }>('SELECT hashes FROM tiles WHERE level = $1 AND idx = $2', [level, index])).rows[0]?.hashes;
  }

  async leafIndex(leafHash: Uint8Array): Promise<number | undefined> {
    const hex = Buffer.from(leafHash).toString('hex');
    const staged = this.staged.get(hex);
    if (staged !== undefined) return staged;
    return this.byLeaf.get(hex);
  }

  /** The committed leaves asked for in one turn, looked up in one query (the sequencer asks for a whole batch at once). */
  private readonly byLeaf = new Coalesce<string, number>(async (hexes) => {
    const rows = (await this.pool.query<{ idx: string; leaf_hash: Buffer }>('SELECT idx, leaf_hash FROM entries WHERE leaf_hash = ANY($1::bytea[])', [hexes.map((h) => Buffer.from(h, 'hex'))])).rows;
    return new Map(rows.map((r) => [r.leaf_hash.toString('hex'), Number(r.idx)]));
  });

  async search(key: string, limit: number, size: number): Promise<number[]> {
    const r = await this.pool.query<{ idx: string }>('SELECT idx FROM search_keys WHERE key = $1 AND idx < $2 ORDER BY idx LIMIT $3', [key, size, limit]);
    return r.rows.map((x) => Number(x.idx));
  }

  async cosignatures(): Promise<Cosignature[]> {
    return (await this.pool.query<Cosignature & { size: string }>('SELECT witness, size, checkpoint, lines FROM cosignatures')).rows.map((r) => ({ ...r, size: Number(r.size) }));
  }

  async saveCosignature(c: Cosignature): Promise<void> {
    await this.exclusive((w) =>
      w.query(
        'INSERT INTO cosignatures (witness, size, checkpoint, lines) VALUES ($1, $2, $3, $4) ON CONFLICT (witness) DO UPDATE SET size = excluded.size, checkpoint = excluded.checkpoint, lines = excluded.lines',
        [c.witness, c.size, c.checkpoint, c.lines],
      ),
    );
  }

  // ---- The shared queue (postgres-queue.ts).

  async enqueue(e: QueuedEntry): Promise<Enqueued> {
    const r = await this.enqueues.enqueue(e);
    // Only the leader feeds the queue: when that is this node, telling itself is enough (a lead
    // lost meanwhile leaves the entry to the next leader's poll).
    if (r.queued) this.notices.hintQueued(this.term?.leading !== true);
    return r;
  }

  async claim(limit: number): Promise<QueuedEntry[]> {
    // No row of a committed leaf is ever committed to the queue (enqueue checks after inserting), so none is skipped here.
    return claim(this.pool, limit);
  }

  async queueDepth(): Promise<number> {
    return Number((await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM queue')).rows[0].n);
  }

  async committedIndex(leafHash: Uint8Array): Promise<number | undefined> {
    const r = (await this.pool.query<{ idx: string }>('SELECT idx FROM entries WHERE leaf_hash = $1', [Buffer.from(leafHash)])).rows[0];
    return r && Number(r.idx);
  }

  onQueued(fn: () => void): void {
    this.notices.onQueued(fn);
  }

  onCommitted(fn: (size: number) => void): void {
    this.notices.onCommitted(fn);
  }

  async problem(): Promise<string | undefined> {
    if (this.closed) return 'database is closed';
    // A write rolled back at once: fails when the database refuses writes (read-only, constraint, gone).
    try {
      await this.tx(async (c) => {
        await c.query('UPDATE head SET size = size');
        throw ROLLBACK;
      });
    } catch (e) {
      if (e !== ROLLBACK) return `not writable: ${(e as Error).message}`;
    }
    return undefined;
  }

  async stats(): Promise<StorageStats> {
    const r = await this.pool.query<{ bytes: string }>(
      'SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = $2',
      [schemaOf(this.o), 'r'],
    );
    return { bytes: Number(r.rows[0].bytes), indexLag: 0 };
  }

  async flushIndex(_size: number): Promise<void> {
    // Lookups are committed with their batch: nothing lags.
  }

  /** tx runs fn in one transaction on the writing connection, which is its alone until it ends. */
  private tx(fn: (c: pg.Client) => Promise<void>): Promise<void> {
    return this.exclusive(async (c) => {
      await c.query('BEGIN');
      try {
        await fn(c);
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {});
        throw e;
      }
    });
  }

  /** abandon drops every connection unclosed, as a killed process would (tests): the lead is freed by the server. */
  abandon(): void {
    this.closed = true;
    this.term?.abandon();
    if (this.candidate) destroySocket(this.candidate);
    const listener = this.notices.abandon();
    if (listener) destroySocket(listener);
    destroySocket(this.writer);
    void this.pool.end().catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.term?.release();
    await this.candidate?.end().catch(() => {});
    await this.notices.close();
    await this.writer.end().catch(() => {});
    await this.pool.end().catch(() => {});
  }
}

const ROLLBACK = new Error('rollback');

async function insertCheckpoint(c: pg.Client, cp: CheckpointRow): Promise<void> {
  await c.query('INSERT INTO checkpoints (size, root_hash, signed_at, c2sp, rekor) VALUES ($1, $2, $3, $4, $5)', [cp.size, Buffer.from(cp.rootHash), cp.signedAt, cp.c2sp, cp.rekor]);
}
