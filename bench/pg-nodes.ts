// Many nodes on PostgreSQL against one SQLite node (issue 13): uploads/s and proof reads/s through
// real `cairn serve` child processes, in one sitting, with bench/http.ts's load generator
// (bench/http-load.ts: autocannon in its own process, CONNECTIONS connections in all, given to the
// nodes round-robin).
//
//   npx tsx bench/pg-nodes.ts     (RUNS=3 DURATION=10 CONNECTIONS=64 ENTRIES=200000 CONFIGS=sqlite,pg1,pg2,pg3)
//
// Each run starts every configuration afresh, in turn (order reversed on even runs, so drift over
// the sitting does not favour one): `sqlite` is one `cairn serve --data TMP`; `pgN` is N
// `cairn serve --database URL?schema=S` nodes on one new schema (node 1 first: it creates the log
// and leads; the others join). Then CONNECTIONS connections POST distinct Rekor v1 hashedrekord
// uploads for DURATION s (every log is new, so the same pre-generated bodies serve every run),
// the bench waits until every node serves the same tree (and checks it holds every acknowledged
// upload), then GETs /api/v1/log/entries?logIndex=N (entry, SET, inclusion proof) at random N for
// DURATION s; the nodes are stopped (SIGTERM) and the schema dropped.
// Each phase reports the CPU (% of one core) of each node (with its threads), of the database's
// backends serving this bench's database (`pg`), of PostgreSQL's background processes (`pg-aux`:
// WAL writer, checkpointer…, shared with anyone else using the cluster; a backend that exits
// during a phase is not counted) and of the load generator; during uploads, the shared queue's depth as the leader's /metrics reports it (max).
// Medians over runs at the end, as a markdown table. The machine's load average is printed.
// Needs PostgreSQL at CAIRN_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres);
// the bench creates a database of its own there and drops it at the end.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateKey } from '../src/note/index.js';
import { CONNECTIONS, LOADGEN, entriesFile, load, procStats, resultLine, startServe, type LoadResult } from './http-load.js';
import { BENCH_ORIGIN, fmt, machine, median } from './lib.js';

const RUNS = Number(process.env.RUNS ?? 3);
const DURATION = Number(process.env.DURATION ?? 10);
const ENTRIES = Number(process.env.ENTRIES ?? 200_000);
const CONFIGS = (process.env.CONFIGS ?? 'sqlite,pg1,pg2,pg3').split(',');
const ADMIN_URL = process.env.CAIRN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Extra `cairn serve` flags for the PostgreSQL nodes (e.g. --lease-ms 5000), space-separated. */
const PG_FLAGS = process.env.PG_FLAGS?.split(' ').filter(Boolean) ?? [];

interface Node {
  child: ChildProcess;
  url: string;
}

interface Cluster {
  nodes: Node[];
  /** The node that sequences (its /readyz says leader), or the only one. */
  leader: number;
  close(): Promise<void>;
}

interface RunResult {
  up: LoadResult;
  read: LoadResult;
  size: number;
  leader: number;
  queueMax?: number;
}

const dbName = `cairn_bench_${process.pid}`;
const dbUrl = (() => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

async function json<T>(url: string): Promise<T> {
  const r = await fetch(url);
  return (await r.json()) as T;
}

async function treeSize(url: string): Promise<number> {
  return (await json<{ treeSize: number }>(`${url}/api/v1/log`)).treeSize;
}

async function stop(nodes: Node[]): Promise<void> {
  await Promise.all(
    nodes.map(async (n) => {
      if (n.child.exitCode !== null || n.child.signalCode !== null) return;
      const gone = new Promise((r) => n.child.once('exit', r));
      n.child.kill('SIGTERM');
      const t = setTimeout(() => n.child.kill('SIGKILL'), 30_000);
      await gone;
      clearTimeout(t);
    }),
  );
}

/** leaderOf polls the nodes' /readyz until one says it leads (the sequencer has caught up and feeds the queue). */
async function leaderOf(nodes: Node[]): Promise<number> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    for (let i = 0; i < nodes.length; i++) {
      try {
        if ((await json<{ role?: string }>(`${nodes[i].url}/readyz`)).role === 'leader') return i;
      } catch {
        // starting
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no node leads after 30 s');
}

async function startCluster(config: string, run: number, key: string, admin: pg.Client): Promise<Cluster> {
  if (config === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-pg-nodes-'));
    const node = await startServe(['--data', dir, '--origin', BENCH_ORIGIN, '--no-tsa']);
    return {
      nodes: [node],
      leader: 0,
      close: async () => {
        await stop([node]);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const n = Number(/^pg(\d+)$/.exec(config)?.[1]);
  if (!(n >= 1)) throw new Error(`unknown configuration ${config} (sqlite or pgN)`);
  const schema = `bench_r${run}_${config}`; // not pg_…: PostgreSQL reserves that prefix
  const args = ['--database', `${dbUrl}?schema=${schema}`, '--key', key, '--origin', BENCH_ORIGIN, '--no-tsa', ...PG_FLAGS];
  const nodes: Node[] = [];
  const close = async () => {
    await stop(nodes);
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  };
  try {
    nodes.push(await startServe(args)); // creates the log and leads
    nodes.push(...(await Promise.all(Array.from({ length: n - 1 }, () => startServe(args)))));
    return { nodes, leader: await leaderOf(nodes), close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** pgMeters returns CPU meters (pid -> seconds) for PostgreSQL's backends of this bench's database and its background processes. */
async function pgMeters(admin: pg.Client): Promise<Record<string, () => Map<number, number>>> {
  const backend = Number((await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  let postmaster: number;
  try {
    postmaster = procStats().get(backend)!.ppid;
  } catch {
    return {}; // PostgreSQL elsewhere: its processes are not ours to read
  }
  const kinds = new Map<number, 'mine' | 'aux' | 'other'>();
  const kind = (pid: number): 'mine' | 'aux' | 'other' => {
    let k = kinds.get(pid);
    if (!k) {
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        // gone
      }
      // Client backends are titled "postgres: USER DB HOST(PORT) STATE"; the rest are the server's own.
      k = cmd.includes(` ${dbName} `) ? 'mine' : /\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/.test(cmd) ? 'other' : 'aux';
      kinds.set(pid, k);
    }
    return k;
  };
  const meter = (want: 'mine' | 'aux') => {
    const m = new Map<number, number>();
    for (const [pid, s] of procStats()) if (s.ppid === postmaster && kind(pid) === want) m.set(pid, s.cpu);
    return m;
  };
  return { pg: () => meter('mine'), 'pg-aux': () => meter('aux') };
}

/** queueDepth reads cairn_queue_depth from a node's /metrics (undefined when it has none). */
async function queueDepth(url: string): Promise<number | undefined> {
  try {
    const m = /^cairn_queue_depth(?:\{[^}]*\})? (\d+(?:\.\d+)?)/m.exec(await (await fetch(`${url}/metrics`)).text());
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** converged waits until every node serves the same tree size, and returns it. */
async function converged(nodes: Node[]): Promise<number> {
  const until = Date.now() + 30_000;
  for (;;) {
    const sizes = await Promise.all(nodes.map((n) => treeSize(n.url)));
    if (sizes.every((s) => s === sizes[0])) return sizes[0];
    if (Date.now() > until) throw new Error(`nodes serve different trees after 30 s: ${sizes.join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function measure(config: string, run: number, key: string, file: string, admin: pg.Client, meters: Record<string, () => Map<number, number>>): Promise<RunResult> {
  const cluster = await startCluster(config, run, key, admin);
  try {
    const urls = cluster.nodes.map((n) => n.url).join(',');
    const pids = cluster.nodes.map((n) => n.child.pid!);
    const m = config === 'sqlite' ? {} : meters;
    // The shared queue's depth at the leader, once a second during the uploads.
    let queueMax: number | undefined;
    const sampler = setInterval(() => {
      void queueDepth(cluster.nodes[cluster.leader].url).then((d) => {
        if (d !== undefined) queueMax = Math.max(queueMax ?? 0, d);
      });
    }, 1000);
    let up: LoadResult;
    try {
      up = await load([urls, 'post', '0', String(DURATION), file], pids, m);
    } finally {
      clearInterval(sampler);
    }
    const size = await converged(cluster.nodes);
    // In flight when autocannon stopped: integrated but not counted, at most one per connection;
    // a 503 (queued, not integrated in time) may be integrated later.
    const late = up.statuses['5xx'] ?? 0;
    if (size < up.ok || size > up.ok + CONNECTIONS + late) throw new Error(`${config}: tree size ${size} but ${up.ok} uploads were acknowledged`);
    const read = await load([urls, 'get', String(size), String(DURATION)], pids, m);
    return { up, read, size, leader: cluster.leader, queueMax: config === 'sqlite' ? undefined : queueMax };
  } finally {
    await cluster.close();
  }
}

async function main(): Promise<void> {
  console.log(`pg-nodes bench: ${CONFIGS.join(', ')}; ${RUNS} runs x ${DURATION} s a phase, ${CONNECTIONS} connections in all, load generator ${LOADGEN}, ${machine()}`);
  if (LOADGEN !== 'autocannon') throw new Error('pg-nodes spreads connections over nodes with autocannon; LOADGEN=wrk takes one URL');
  const file = await entriesFile(ENTRIES);
  const keyDir = mkdtempSync(join(tmpdir(), 'cairn-pg-nodes-key-'));
  const key = join(keyDir, 'log-key.pem');
  writeFileSync(key, generateKey('ed25519'), { mode: 0o600 });
  const admin = new pg.Client(ADMIN_URL);
  await admin.connect();
  const version = (await admin.query<{ v: string }>("SELECT current_setting('server_version') || ', synchronous_commit ' || current_setting('synchronous_commit') || ', fsync ' || current_setting('fsync') AS v")).rows[0].v;
  console.log(`PostgreSQL ${version} at ${new URL(ADMIN_URL).host}; database ${dbName}`);
  await admin.query(`CREATE DATABASE ${dbName}`);
  const db = new pg.Client(dbUrl);
  await db.connect();
  const results = new Map<string, RunResult[]>(CONFIGS.map((c) => [c, []]));
  try {
    const meters = await pgMeters(admin);
    for (let run = 1; run <= RUNS; run++) {
      const order = run % 2 ? CONFIGS : [...CONFIGS].reverse();
      for (const config of order) {
        const load0 = loadavg()[0];
        const r = await measure(config, run, key, file, db, meters);
        results.get(config)!.push(r);
        console.log(
          `  run ${run} ${config.padEnd(6)} (load ${load0.toFixed(1)}): ${resultLine('uploads', r.up)}${r.queueMax !== undefined ? ` queue max ${fmt(r.queueMax)}` : ''} | ${resultLine('proof reads', r.read)} | tree ${fmt(r.size)}, leader node ${r.leader + 1}`,
        );
      }
    }
  } finally {
    await db.end();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    rmSync(keyDir, { recursive: true, force: true });
  }
  const m = (xs: RunResult[], f: (r: RunResult) => number | undefined) => {
    const v = xs.map(f).filter((x): x is number => x !== undefined);
    return v.length ? median(v) : undefined;
  };
  const cpu = (xs: RunResult[], phase: 'up' | 'read') => {
    const nodes = xs[0][phase].serverCpus!.length;
    const per = Array.from({ length: nodes }, (_, i) => fmt(m(xs, (r) => r[phase].serverCpus![i])!));
    const extra = Object.keys(xs[0][phase].extraCpu ?? {}).map((k) => `${k} ${fmt(m(xs, (r) => r[phase].extraCpu![k])!)}`);
    return [`nodes ${per.join(' + ')}`, ...extra, `gen ${fmt(m(xs, (r) => r[phase].loadCpu)!)}`].join(', ');
  };
  const sqlite = m(results.get('sqlite') ?? [], (r) => r.up.perSecond);
  console.log(`\nmedians of ${RUNS} (CPU in % of one core; node CPU in node order, leader first unless a later node won):\n`);
  // CPU time an upload cost: the nodes' (all of them) and the database backends', in ms; less
  // sensitive than rates to other work on the machine.
  const perOp = (r: LoadResult, cpuPct: number) => (((cpuPct / 100) * (r.seconds ?? DURATION)) / Math.max(1, r.ok)) * 1000;
  const costs = (xs: RunResult[]) => {
    const node = m(xs, (r) => perOp(r.up, r.up.serverCpu!))!;
    const db = m(xs, (r) => (r.up.extraCpu?.pg === undefined ? undefined : perOp(r.up, r.up.extraCpu.pg)));
    return `${node.toFixed(2)}${db === undefined ? '' : ` + ${db.toFixed(2)}`}`;
  };
  console.log('| configuration | uploads/s | vs SQLite | upload p50 / p99 | CPU ms an upload (nodes + pg) | proof reads/s | read p50 / p99 | CPU during uploads | CPU during reads | queue max |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const [config, xs] of results) {
    if (!xs.length) continue;
    const ups = m(xs, (r) => r.up.perSecond)!;
    const q = m(xs, (r) => r.queueMax);
    console.log(
      `| ${config} | ${fmt(ups)} (${xs.map((r) => fmt(r.up.perSecond)).join(', ')}) | ${sqlite ? `${Math.round((ups / sqlite) * 100)} %` : '?'} | ${m(xs, (r) => r.up.p50)} / ${m(xs, (r) => r.up.p99)} ms | ${costs(xs)} | ` +
        `${fmt(m(xs, (r) => r.read.perSecond)!)} (${xs.map((r) => fmt(r.read.perSecond)).join(', ')}) | ${m(xs, (r) => r.read.p50)} / ${m(xs, (r) => r.read.p99)} ms | ${cpu(xs, 'up')} | ${cpu(xs, 'read')} | ${q === undefined ? '–' : fmt(q)} |`,
    );
  }
  console.log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}

await main();
