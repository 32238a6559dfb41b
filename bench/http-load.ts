// The HTTP load generator of bench/http.ts and bench/pg-nodes.ts: pre-generated signed uploads,
// autocannon (or wrk) in a child process of its own, and the CPU the servers used meanwhile.
//
// load([urls, mode, a, seconds, file?], serverPids) runs one phase: urls is one URL or several
// joined by commas (autocannon gives connection i to urls[i % n], i.e. round-robin); mode is
// 'post' (distinct Rekor v1 uploads from file, starting at body a), 'post2' (the same for Rekor v2),
// 'get' (GET /api/v1/log/entries?logIndex=N at random N < a) or 'tsa' (RFC 3161 JSON requests).
// CONNECTIONS (default 64), LOADGEN (autocannon | wrk), SERVER_FLAGS and SERVER_ROOT come from the environment.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Request as CannonRequest, Instance as CannonInstance, Result as CannonResult } from 'autocannon';
import { SERVER_NODE_FLAGS, fmt } from './lib.js';

export const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
export const LOADGEN = process.env.LOADGEN ?? 'autocannon';
const ROOT = join(import.meta.dirname, '..');
/** SERVER_ROOT runs the servers from another checkout (A/B of a change: `git worktree add DIR COMMIT`, with node_modules and native/build). */
const SERVER_ROOT = process.env.SERVER_ROOT ?? ROOT;
const OUT = join(import.meta.dirname, 'out');

export interface LoadResult {
  /** Bodies handed to autocannon, answered or not (requests in flight at the end were sent). */
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  perSecond: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  /** Seconds after which the pre-generated uploads ran out and the phase ended early. */
  ranOutAfter?: number;
  /** CPU of the load generator's process and of the server's processes, % of one core over the phase. */
  loadCpu?: number;
  serverCpu?: number;
  /** The same per server pid given to load, in its order. */
  serverCpus?: number[];
  /** CPU of each extra meter given to load (e.g. the database's processes), % of one core. */
  extraCpu?: Record<string, number>;
  /** Wall-clock seconds of the phase as the parent saw it. */
  seconds?: number;
}

/** procStats reads every process's parent and CPU seconds (user + system) from /proc. */
export function procStats(): Map<number, { ppid: number; cpu: number }> {
  const stats = new Map<number, { ppid: number; cpu: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = statOf(Number(d));
    if (s) stats.set(Number(d), s); // else gone meanwhile
  }
  return stats;
}

/** statOf returns process pid's parent and CPU seconds (user + system) so far, or undefined once it is gone. */
function statOf(pid: number): { ppid: number; cpu: number } | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(rest[1]), cpu: (Number(rest[11]) + Number(rest[12])) / 100 };
  } catch {
    return undefined;
  }
}

/** treeCpu returns the CPU seconds (user + system) used so far by pid and its descendants (Linux /proc). */
export function treeCpu(pid: number, stats = procStats()): number {
  let total = 0;
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    total += stats.get(p)?.cpu ?? 0;
    for (const [c, s] of stats) if (s.ppid === p) todo.push(c);
  }
  return total;
}

/** wrkLoad runs wrk with one thread (so uploads use the pre-generated bodies in order). */
function wrkLoad(url: string, mode: string, a: number, seconds: number, file?: string): Promise<LoadResult> {
  if (mode !== 'post' && mode !== 'get') throw new Error(`LOADGEN=wrk runs only v1 uploads and reads; set V2=0 TSA=0`);
  if (url.includes(',')) throw new Error('LOADGEN=wrk takes one URL; use autocannon for several servers');
  const script = join(import.meta.dirname, 'wrk', mode === 'post' ? 'post.lua' : 'get.lua');
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--timeout', '5s', '-s', script, url, '--', ...(mode === 'post' ? [file!, String(a)] : [String(a)])];
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const t0 = performance.now();
  // wrk reports no CPU of its own, and /proc forgets it once it exits: read it every 100 ms (what
  // it uses after the last reading, printing its summary, is left out).
  let cpu = 0;
  const meter = setInterval(() => (cpu = statOf(child.pid!)?.cpu ?? cpu), 100);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearInterval(meter);
      const loadCpu = Math.round((cpu / ((performance.now() - t0) / 1000)) * 100);
      const line = out.split('\n').find((l) => l.startsWith('{"sent"'));
      if (code !== 0 || !line) return reject(new Error(`wrk exited with ${code}: ${out}`));
      const w = JSON.parse(line) as { sent: number; requests: number; durationUs: number; p50Us: number; p99Us: number; non2xx: number; errors: number };
      const ok = w.requests - w.non2xx;
      resolve({ loadCpu, sent: w.sent, ok, non2xx: w.non2xx, errors: w.errors, perSecond: ok / (w.durationUs / 1e6), p50: w.p50Us / 1000, p99: w.p99Us / 1000, statuses: { '2xx': ok, other: w.non2xx } });
    });
  });
}

// Runs in each worker thread (plain JS, so it needs no loader): signs n random artifacts.
const GEN_WORKER = `
const { createHash, generateKeyPairSync, randomBytes, sign } = require('node:crypto');
const { parentPort, workerData } = require('node:worker_threads');
const keys = Array.from({ length: 64 }, () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, content: Buffer.from(publicKey.export({ type: 'spki', format: 'pem' })).toString('base64'), der: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') };
});
const out = [];
for (let i = 0; i < workerData.n; i++) {
  const k = keys[i % keys.length];
  const artifact = randomBytes(32);
  const digest = createHash('sha256').update(artifact).digest();
  const content = sign('sha256', artifact, k.privateKey).toString('base64');
  out.push(JSON.stringify(workerData.v2
    ? { hashedRekordRequestV002: { digest: digest.toString('base64'), signature: { content, verifier: { publicKey: { rawBytes: k.der }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } } } }
    : { apiVersion: '0.0.1', kind: 'hashedrekord', spec: {
        data: { hash: { algorithm: 'sha256', value: digest.toString('hex') } },
        signature: { content, publicKey: { content: k.content } },
      } }));
}
parentPort.postMessage(out.join('\\n'));
`;

/**
 * entriesFile returns bench/out/http-[v2-]entries-<n>.ndjson, n distinct signed hashedrekord
 * uploads (ECDSA P-256, 64 keys in rotation), generating it in worker threads the first time.
 */
export async function entriesFile(n: number, v2 = false): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `http-${v2 ? 'v2-' : ''}entries-${n}.ndjson`);
  if (existsSync(file)) return file;
  const t = performance.now();
  const workers = 2;
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const k = Math.floor(n / workers) + (w < n % workers ? 1 : 0);
      return new Promise<string>((resolve, reject) => {
        const worker = new Worker(GEN_WORKER, { eval: true, workerData: { n: k, v2 } });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }),
  );
  writeFileSync(file, parts.join('\n') + '\n');
  process.stderr.write(`  generated ${fmt(n)} signed uploads in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  return file;
}

/** freePort returns a port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * startServe spawns `cairn serve` on 127.0.0.1 at a free port with args added (SERVER_FLAGS adds
 * node flags, e.g. --cpu-prof) from o.root (default SERVER_ROOT) and resolves once /api/v1/log answers. It logs at warn so
 * per-request log lines are not what is measured; it then prints no startup line, so readiness
 * is polled.
 */
export async function startServe(args: string[], o: { timeoutMs?: number; root?: string } = {}): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [...SERVER_NODE_FLAGS, ...(process.env.SERVER_FLAGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', 'src/cli/main.ts', 'serve', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn', '--heartbeat', '0', ...args],
    { cwd: o.root ?? SERVER_ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  let exited = false;
  child.once('exit', () => (exited = true));
  const until = Date.now() + (o.timeoutMs ?? 60_000);
  while (Date.now() < until && !exited) {
    try {
      if ((await fetch(`${url}/api/v1/log`)).ok) return { child, url };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`server did not start: cairn serve ${args.join(' ')}`);
}

/**
 * load runs one phase of the load generator in its own process (so its work is not the
 * servers'), and measures the CPU the server processes (each with its descendants) and any extra
 * meters used during it. A meter returns the CPU seconds used so far by each process it counts
 * (pid -> seconds): a process that appears during the phase counts from 0, one that exits during
 * it is not counted (so a meter over short-lived processes reads low, never negative).
 */
export async function load(args: string[], servers: number[], extra: Record<string, () => Map<number, number>> = {}): Promise<LoadResult> {
  const s0 = procStats();
  const cpu0 = servers.map((p) => treeCpu(p, s0));
  const x0 = Object.fromEntries(Object.entries(extra).map(([k, f]) => [k, f()]));
  const t0 = performance.now();
  const r = await loadOnly(args);
  const seconds = (performance.now() - t0) / 1000;
  const s1 = procStats();
  const pct = (cpu: number) => Math.round((cpu / seconds) * 100);
  const serverCpus = servers.map((p, i) => pct(treeCpu(p, s1) - cpu0[i]));
  const used = (before: Map<number, number>, after: Map<number, number>) => [...after].reduce((t, [pid, cpu]) => t + cpu - (before.get(pid) ?? 0), 0);
  const extraCpu = Object.fromEntries(Object.entries(extra).map(([k, f]) => [k, pct(used(x0[k], f()))]));
  return { ...r, seconds, serverCpu: serverCpus.reduce((a, b) => a + b, 0), serverCpus, extraCpu };
}

function loadOnly(args: string[]): Promise<LoadResult> {
  if (LOADGEN === 'wrk') return wrkLoad(args[0], args[1], Number(args[2]), Number(args[3]), args[4]);
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'http-load.ts'), 'load', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load exited with ${code}`))));
  });
}

/** loader is the child process: one autocannon phase, its result as JSON on stdout. */
async function loader(urls: string, mode: string, a: number, b: number, file?: string): Promise<void> {
  const { default: autocannon } = await import('autocannon');
  let request: CannonRequest;
  let next = a;
  let instance: CannonInstance | undefined;
  let ranOut = false;
  if (mode === 'post' || mode === 'post2') {
    // a = first body to use, file = the bodies; every request gets the next distinct body.
    const bodies = readFileSync(file!, 'utf8').split('\n');
    request = {
      method: 'POST',
      path: mode === 'post' ? '/api/v1/log/entries' : '/api/v2/log/entries',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req: CannonRequest) => {
        if (next >= bodies.length - 1) {
          // Out of pre-generated bodies: end the phase now (its rate is over the time it ran); the
          // few requests still issued repeat the last body and count as non-2xx (409).
          if (!ranOut) setImmediate(() => instance?.stop());
          ranOut = true;
          return { ...req, body: bodies[bodies.length - 2] };
        }
        return { ...req, body: bodies[next++] };
      },
    };
  } else if (mode === 'tsa') {
    // What @sigstore/sign's TSAWitness posts: the SHA-256 of a signature, as JSON.
    const body = JSON.stringify({ artifactHash: Buffer.alloc(32, 7).toString('base64'), hashAlgorithm: 'sha256' });
    request = { method: 'POST', path: '/api/v1/timestamp', headers: { 'content-type': 'application/json' }, body };
  } else {
    // a = tree size: random indexes below it.
    request = { method: 'GET', setupRequest: (req: CannonRequest) => ({ ...req, path: `/api/v1/log/entries?logIndex=${Math.floor(Math.random() * a)}` }) };
  }
  // autocannon takes several URLs (its README; its types say string) and gives connection i to url i % n.
  const url = (urls.includes(',') ? urls.split(',') : urls) as string;
  const r = await new Promise<CannonResult>((resolve, reject) => {
    instance = autocannon({ url, connections: CONNECTIONS, duration: b, requests: [request] }, (err, res) => (err ? reject(err) : resolve(res)));
  });
  const statuses: Record<string, number> = {};
  for (const k of ['1xx', '2xx', '3xx', '4xx', '5xx'] as const) if (r[k]) statuses[k] = r[k];
  const cpu = process.cpuUsage();
  const loadCpu = Math.round(((cpu.user + cpu.system) / 1e6 / (performance.now() / 1000)) * 100);
  const result: LoadResult = { loadCpu, sent: mode.startsWith('post') ? next - a : 0, ok: r['2xx'], non2xx: r.non2xx, errors: r.errors + r.timeouts, perSecond: r['2xx'] / r.duration, p50: r.latency.p50, p99: r.latency.p99, statuses, ...(ranOut ? { ranOutAfter: r.duration } : {}) };
  process.stdout.write(JSON.stringify(result));
}

/** line formats one phase's result. */
export function resultLine(name: string, r: LoadResult): string {
  return (
    `${name} ${fmt(r.perSecond)}/s p50 ${r.p50} ms p99 ${r.p99} ms ${JSON.stringify(r.statuses)} errors ${r.errors} cpu server ${r.serverCpu}%` +
    `${r.serverCpus && r.serverCpus.length > 1 ? ` (${r.serverCpus.join('+')})` : ''}` +
    `${Object.entries(r.extraCpu ?? {}).map(([k, v]) => ` ${k} ${v}%`).join('')} loadgen ${r.loadCpu ?? '?'}%` +
    `${r.ranOutAfter !== undefined ? ` (ran out after ${r.ranOutAfter} s; raise ENTRIES)` : ''}`
  );
}

if (process.argv[2] === 'load' && process.argv[1]?.endsWith('http-load.ts')) await loader(process.argv[3], process.argv[4], Number(process.argv[5]), Number(process.argv[6]), process.argv[7]);
