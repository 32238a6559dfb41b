/**
 * Sequencer election on PostgreSQL: the leader holds a session-level advisory lock on a dedicated
 * connection and, on taking it, bumps the epoch in the head row. Every commit is a
 * compare-and-swap on (size, epoch), so a node that lost the lead without knowing it stores
 * nothing (the fence); the lock only decides who may bump the epoch.
 *
 * Losing the lock: SIGKILL or a cut connection closes the session (TCP keepalives for a silent
 * network); a process paused past the lease leaves its session idle, and idle_session_timeout
 * (= the lease) makes the server end it. The leader pings every lease/3 and, on waking, treats a
 * ping older than the lease as lost before it sequences again.
 */
import pg from 'pg';
import { clientConfig, lockKey, type PostgresPlace } from './postgres-schema.js';

/** LeadOptions tune the lease. */
export interface LeadOptions {
  /** Lease in ms: a leader silent this long loses the lock (server side) and the role (its own view). Default 5000. */
  leaseMs?: number;
}

/** Leadership is one term as sequencer: held from acquire until lost or released. */
export class Leadership {
  private lastBeat = Date.now();
  private lostWhy?: string;
  private readonly timer: NodeJS.Timeout;
  private readonly listeners: ((why: string) => void)[] = [];

  private constructor(
    private readonly client: pg.Client,
    /** The epoch this term fences its writes with. */
    readonly epoch: number,
    /** The committed tree size when the term began (read after the epoch bump, so nothing older can land later). */
    readonly size: number,
    private readonly leaseMs: number,
  ) {
    client.on('error', (e) => this.lose(`sequencer connection failed: ${e.message}`));
    client.on('end', () => this.lose('sequencer connection closed'));
    this.timer = setInterval(() => void this.beat(), Math.max(50, Math.floor(leaseMs / 3)));
    this.timer.unref();
  }

  /** candidate opens the connection a node campaigns on; it becomes the term's when the lock is taken. */
  static async candidate(place: PostgresPlace, o: LeadOptions = {}): Promise<pg.Client> {
    const client = new pg.Client(clientConfig(place));
    client.on('error', () => {}); // reported through the term once it exists, else by the next try
    await client.connect();
    try {
      await client.query(`SET idle_session_timeout = ${Math.round(o.leaseMs ?? 5000)}`);
      return client;
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
  }

  /**
   * tryAcquire takes the lead on a candidate connection if no other session holds it: resolves
   * the term (which owns the connection from then on), or undefined when another node leads (the
   * connection stays the caller's, for the next try). The epoch bump waits for any commit of a
   * previous term still in flight.
   */
  static async tryAcquire(client: pg.Client, place: PostgresPlace, o: LeadOptions = {}): Promise<Leadership | undefined> {
    const [k1, k2] = lockKey(place, 'lead');
    const got = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [k1, k2])).rows[0].ok;
    if (!got) return undefined;
    try {
      const r = await client.query<{ epoch: string; size: string }>('UPDATE head SET epoch = epoch + 1 RETURNING epoch, size');
      return new Leadership(client, Number(r.rows[0].epoch), Number(r.rows[0].size), o.leaseMs ?? 5000);
    } catch (e) {
      // Ending the session frees the lock.
      await client.end().catch(() => {});
      throw e;
    }
  }

  /** leading is true while the term holds: not lost, and the last ping younger than the lease. */
  get leading(): boolean {
    if (this.lostWhy === undefined && Date.now() - this.lastBeat > this.leaseMs) this.lose(`lease expired (no ping for ${Date.now() - this.lastBeat} ms)`);
    return this.lostWhy === undefined;
  }

  /** lost returns why the term ended, or undefined while it holds. */
  get lost(): string | undefined {
    return this.leading ? undefined : this.lostWhy;
  }

  /** onLost calls fn once, when the term ends (at once if it has). */
  onLost(fn: (why: string) => void): void {
    if (this.lostWhy !== undefined) fn(this.lostWhy);
    else this.listeners.push(fn);
  }

  private async beat(): Promise<void> {
    if (!this.leading) return;
    const sent = Date.now();
    try {
      await this.client.query('SELECT 1');
      this.lastBeat = sent;
    } catch (e) {
      this.lose(`sequencer ping failed: ${(e as Error).message}`);
    }
  }

  private lose(why: string): void {
    if (this.lostWhy !== undefined) return;
    this.lostWhy = why;
    clearInterval(this.timer);
    // Drop the session so the lock is free for the next leader at once.
    void this.client.end().catch(() => {});
    for (const fn of this.listeners.splice(0)) fn(why);
  }

  /** release gives the lead up (clean shutdown). */
  async release(): Promise<void> {
    this.lose('released');
  }

  /** abandon drops the connection without a goodbye, as a killed process would (tests). */
  abandon(): void {
    destroySocket(this.client);
    this.lose('abandoned');
  }
}

/** destroySocket cuts a client's TCP connection under it, as a killed process would. */
export function destroySocket(c: pg.Client | pg.PoolClient): void {
  (c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
}
