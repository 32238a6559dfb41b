// N real `cairn serve --database` processes on one PostgreSQL log (shared by
// test/reliability/multi-node.test.ts and bench/failover.ts): start them, ask which one leads
// (GET /readyz "role"), ask PostgreSQL which session holds the lead lock, kill, pause, cut off and
// restart nodes. Every node's connections carry application_name cairn-<schema>-<node>, so a
// test can find and pg_terminate_backend them. Only processes this harness spawned are signalled.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { generateKey } from '../../src/note/index.js';
import { lockKey } from '../../src/storage/postgres-schema.js';
import { getJson, type Ledger, type UploadOutcome } from './ledger.js';
import { startServer, type ServerProcess } from './server-process.js';

export const CLUSTER_ORIGIN = 'cluster.cairn.test/log';

export type Role = 'leader' | 'follower';

export interface ClusterOptions {
  /** Database URL (no ?schema); the log lives in `schema` of it. */
  url: string;
  schema: string;
  nodes: number;
  /** Where the key file and each node's (unused) data directory go. */
  workDir: string;
  origin?: string;
  leaseMs?: number;
  heartbeat?: number;
  /** Extra `cairn serve` flags for every node. */
  args?: string[];
  startTimeoutMs?: number;
}

/** ClusterNode is one node's slot: its name and port survive restarts; proc is the running process. */
export interface ClusterNode {
  readonly name: string;
  /** application_name of every PostgreSQL connection the node opens. */
  readonly appName: string;
  port: number;
  /** Starts so far (1 after the first). */
  incarnation: number;
  proc?: ServerProcess;
  /** False while killed or SIGSTOPped: clients should not pick it. */
  up: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** until polls f every `every` ms until it returns something other than undefined/false, or throws after ms. */
export async function until<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, ms = 15_000, every = 20): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

/** scratchDatabase creates a database on the server at url and returns its URL and a drop (for scripts; tests use testDatabase). */
export async function scratchDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `cairn_scratch_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(url);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client(url);
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export class Cluster {
  readonly nodes: ClusterNode[];
  readonly keyFile: string;
  readonly origin: string;
  private readonly admin: pg.Client;

  private constructor(private readonly o: ClusterOptions) {
    this.origin = o.origin ?? CLUSTER_ORIGIN;
    mkdirSync(o.workDir, { recursive: true });
    this.keyFile = join(o.workDir, 'log-key.pem');
    writeFileSync(this.keyFile, generateKey('ed25519'), { mode: 0o600 });
    this.nodes = Array.from({ length: o.nodes }, (_, i) => ({ name: `n${i}`, appName: `cairn-${o.schema}-n${i}`, port: 0, incarnation: 0, up: false }));
    this.admin = new pg.Client(o.url);
  }

  /** start launches every node (the first alone, so one of them creates the log) and waits until one leads. */
  static async start(o: ClusterOptions): Promise<Cluster> {
    const c = new Cluster(o);
    await c.admin.connect();
    c.admin.on('error', () => {});
    try {
      await c.launch(c.nodes[0]);
      await Promise.all(c.nodes.slice(1).map((n) => c.launch(n)));
      await c.leader();
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  /** database is the --database address every node serves. */
  get database(): string {
    const u = new URL(this.o.url);
    u.searchParams.set('schema', this.o.schema);
    return u.toString();
  }

  url(n: ClusterNode): string {
    return `http://127.0.0.1:${n.port}`;
  }

  /** launch starts n (again): on its old port unless newPort, or on any free port the first time. */
  async launch(n: ClusterNode, newPort = false): Promise<void> {
    if (n.proc && n.proc.child.exitCode === null && n.proc.child.signalCode === null) throw new Error(`${n.name} is still running`);
    const dataDir = join(this.o.workDir, n.name);
    mkdirSync(dataDir, { recursive: true });
    const args = ['--key', this.keyFile, '--origin', this.origin, '--no-tsa', '--lease-ms', String(this.o.leaseMs ?? 1500), ...(this.o.args ?? [])];
    const start = () => startServer({ dataDir, database: this.database, port: newPort ? 0 : n.port, heartbeat: this.o.heartbeat ?? 1, args, env: { PGAPPNAME: n.appName }, startTimeoutMs: this.o.startTimeoutMs ?? 60_000 });
    let proc: ServerProcess;
    try {
      proc = await start();
    } catch (e) {
      // The old port can be taken by then (another process got it as an ephemeral port): any port will do.
      if (newPort || n.port === 0 || !/EADDRINUSE/.test((e as Error).message)) throw e;
      proc = await startServer({ dataDir, database: this.database, port: 0, heartbeat: this.o.heartbeat ?? 1, args, env: { PGAPPNAME: n.appName }, startTimeoutMs: this.o.startTimeoutMs ?? 60_000 });
    }
    n.proc = proc;
    n.port = Number(new URL(proc.url).port);
    n.incarnation++;
    n.up = true;
  }

  /** kill sends sig to n's process and waits for it to be gone. */
  async kill(n: ClusterNode, sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    n.up = false;
    if (n.proc) {
      n.proc.child.kill('SIGCONT'); // a stopped process would not act on SIGTERM
      await n.proc.kill(sig);
    }
  }

  /** pause SIGSTOPs n; resume SIGCONTs it. */
  pause(n: ClusterNode): void {
    n.up = false;
    n.proc!.child.kill('SIGSTOP');
  }

  resume(n: ClusterNode): void {
    n.proc!.child.kill('SIGCONT');
    n.up = true;
  }

  /** role asks n's GET /readyz; undefined when it does not answer within timeoutMs. */
  async role(n: ClusterNode, timeoutMs = 2000): Promise<Role | undefined> {
    if (!n.up) return undefined;
    try {
      const res = await fetch(`${this.url(n)}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
      const j = (await res.json()) as { role?: Role };
      return j.role;
    } catch {
      return undefined;
    }
  }

  /** leader waits until exactly one running node (other than those in not) says it leads, and returns it. */
  async leader(o: { not?: ClusterNode[]; timeoutMs?: number } = {}): Promise<ClusterNode> {
    return until(
      `one leader among ${this.nodes.filter((n) => !o.not?.includes(n)).map((n) => n.name).join(', ')}`,
      async () => {
        const live = this.nodes.filter((n) => n.up && !o.not?.includes(n));
        const roles = await Promise.all(live.map((n) => this.role(n)));
        const leaders = live.filter((_, i) => roles[i] === 'leader');
        return leaders.length === 1 ? leaders[0] : undefined;
      },
      o.timeoutMs ?? 15_000,
    );
  }

  /** lockHolder returns the session holding the log's lead lock, per pg_locks, with its application_name. */
  async lockHolder(): Promise<{ pid: number; app: string } | undefined> {
    const [k1, k2] = lockKey({ url: this.o.url, schema: this.o.schema }, 'lead');
    const r = await this.admin.query<{ pid: number; app: string }>(
      `SELECT l.pid, a.application_name AS app FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 2
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [k1 >>> 0, k2 >>> 0],
    );
    return r.rows[0];
  }

  /** holderNode maps the lock holder to its node (undefined if none holds it). */
  async holderNode(): Promise<ClusterNode | undefined> {
    const h = await this.lockHolder();
    return h && this.nodes.find((n) => n.appName === h.app);
  }

  /** terminate ends every PostgreSQL session of n (pg_terminate_backend) and returns their pids. */
  async terminate(n: ClusterNode): Promise<number[]> {
    // Two statements: in one WHERE, PostgreSQL may call pg_terminate_backend before testing the name.
    const pids = (await this.admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()', [n.appName])).rows.map((x) => x.pid);
    await this.admin.query('SELECT pg_terminate_backend(p) FROM unnest($1::int[]) AS p', [pids]);
    return pids;
  }

  /** sql runs one query on the test database (for checks after the run). */
  async sql<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
    return (await this.admin.query<R>(text, values)).rows;
  }

  /** stop ends every node (SIGTERM, SIGKILL after 5 s) and the admin connection. */
  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (n) => {
        n.up = false;
        const p = n.proc;
        if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
        p.child.kill('SIGCONT');
        const t = setTimeout(() => p.child.kill('SIGKILL'), 5000);
        await p.kill('SIGTERM');
        clearTimeout(t);
      }),
    );
    await this.admin.end().catch(() => {});
  }

  /** output returns what n's current process wrote (for failure messages). */
  output(n: ClusterNode): string {
    return n.proc?.output() ?? '';
  }
}

/** Answer is one upload as the load saw it: which node, when sent and answered (ms, performance.now()), how. */
export interface Answer {
  node: string;
  sent: number;
  answered: number;
  outcome: UploadOutcome;
}

/** Served is one checkpoint a node served (GET /api/v1/log), with the node's incarnation. */
export interface Served {
  node: string;
  incarnation: number;
  size: number;
  rootHex: string;
  t: number;
}

export interface LoadOptions {
  /** Concurrent uploading clients, each picking a running node in turn. */
  clients: number;
  /** Each node's checkpoint is read this often (ms); default 100. */
  pollMs?: number;
  /** Pause after a refused or unanswered upload (ms); default 50. */
  backoffMs?: number;
}

/**
 * ClusterLoad uploads real hashedrekord entries through every running node and reads every node's
 * checkpoints (Rekor's and C2SP's) while it runs, all recorded in the Ledger: each 201, each
 * checkpoint note (one root per size across all nodes), and each node's served sizes, which must
 * never go down (across its restarts too: a node serves only what was committed).
 */
export class ClusterLoad {
  readonly answers: Answer[] = [];
  readonly served: Served[] = [];
  private stopped = false;
  private running: Promise<void>[] = [];
  private turn = 0;
  /** Label of the current phase, in the Ledger's messages. */
  phase = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly ledger: Ledger,
    private readonly o: LoadOptions,
  ) {}

  start(): void {
    this.running = [...Array.from({ length: this.o.clients }, () => this.client()), ...this.cluster.nodes.map((n) => this.observer(n))];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
  }

  private pick(): ClusterNode | undefined {
    const up = this.cluster.nodes.filter((n) => n.up);
    return up.length ? up[this.turn++ % up.length] : undefined;
  }

  private async client(): Promise<void> {
    while (!this.stopped) {
      const n = this.pick();
      if (!n) {
        await sleep(20);
        continue;
      }
      const sent = performance.now();
      const outcome = await this.ledger.upload(this.cluster.url(n), this.phase);
      this.answers.push({ node: n.name, sent, answered: performance.now(), outcome });
      if (outcome !== 'created') await sleep(this.o.backoffMs ?? 50);
    }
  }

  private async observer(n: ClusterNode): Promise<void> {
    let last = -1;
    while (!this.stopped) {
      await sleep(this.o.pollMs ?? 100);
      if (!n.up) continue;
      const inc = n.incarnation;
      const where = `${n.name}#${inc} in phase ${this.phase}`;
      try {
        const [log, cp] = await Promise.all([
          getJson<{ treeSize: number; rootHash: string; signedTreeHead: string }>(`${this.cluster.url(n)}/api/v1/log`),
          fetch(`${this.cluster.url(n)}/checkpoint`, { signal: AbortSignal.timeout(15_000) }).then(async (r) => ({ status: r.status, text: await r.text() })),
        ]);
        if (log.status !== 200) continue;
        const { treeSize: size, rootHash } = log.json;
        this.ledger.checkNote(log.json.signedTreeHead, size, rootHash, `GET /api/v1/log from ${where}`);
        if (cp.status === 200) {
          const [, s, r] = cp.text.split('\n');
          this.ledger.checkNote(cp.text, Number(s), Buffer.from(r, 'base64').toString('hex'), `GET /checkpoint from ${where}`, 'c2sp');
        }
        if (size < last) this.ledger.fail(`${where} served size ${size} after ${last}`);
        last = Math.max(last, size);
        this.served.push({ node: n.name, incarnation: inc, size, rootHex: rootHash, t: performance.now() });
      } catch {
        // killed or paused under the request: the next read tells
      }
    }
  }
}
