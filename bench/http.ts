// HTTP load bench of the Rekor API: the real server in a child process, autocannon in another.
//
//   npx tsx bench/http.ts            (RUNS=3 DURATION=10 CONNECTIONS=64 ENTRIES=200000 by env)
//
// 1. Pre-generates ENTRIES distinct signed hashedrekord uploads (ECDSA P-256, node:crypto) in
//    worker threads, for Rekor v1 and for Rekor v2 (hashedRekordRequestV002), cached in
//    bench/out/http-entries-<ENTRIES>.ndjson and http-v2-entries-<ENTRIES>.ndjson.
// 2. Starts `cairn serve` on 127.0.0.1 (port 0) over a temp data dir (default durability:
//    synchronous=FULL; log level warn so request logging is not measured).
//    SERVER_FLAGS adds node flags to the server (e.g. --cpu-prof).
// 3. RUNS times: CONNECTIONS connections POST distinct v1 uploads for DURATION s, then distinct v2
//    uploads for DURATION s, then GET entries with inclusion proofs at random indexes for
//    DURATION s, then POST RFC 3161 timestamp requests (the JSON form @sigstore/sign sends) for
//    DURATION s. Prints each run and the medians. V2=0 / TSA=0 skip those phases.
// WORKERS=N starts the server with --workers N (node:cluster; default 1, one process).
// Each phase reports the CPU the server's processes (primary and workers) and the load
// generator's process used, in per cent of one core.
// The load generator shares the machine's cores with the server, as the targets assume.
// LOADGEN=wrk uses wrk (C; `apt-get install wrk`, one thread) instead of autocannon. Measured
// here (bench/README.md) wrk gave lower upload rates and second-long p99s with large POST bodies,
// so autocannon stays the default; the figures say which one ran.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Request as CannonRequest, Instance as CannonInstance, Result as CannonResult } from 'autocannon';
import { SERVER_NODE_FLAGS, fmt, machine, median } from './lib.js';

const RUNS = Number(process.env.RUNS ?? 3);
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
const ENTRIES = Number(process.env.ENTRIES ?? 200_000);
const ROOT = join(import.meta.dirname, '..');
const LOADGEN = process.env.LOADGEN ?? 'autocannon';
const V2 = process.env.V2 !== '0';
const TSA = process.env.TSA !== '0';
const WORKERS = Number(process.env.WORKERS ?? 1);

/** treeCpu returns the CPU seconds (user + system) used so far by pid and its descendants (Linux /proc). */
function treeCpu(pid: number): number {
  const stats = new Map<number, { ppid: number; cpu: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const f = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(d), { ppid: Number(rest[1]), cpu: (Number(rest[11]) + Number(rest[12])) / 100 });
    } catch {
      // gone meanwhile
    }
  }
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
  const script = join(import.meta.dirname, 'wrk', mode === 'post' ? 'post.lua' : 'get.lua');
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--timeout', '5s', '-s', script, url, '--', ...(mode === 'post' ? [file!, String(a)] : [String(a)])];
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{"sent"'));
      if (code !== 0 || !line) return reject(new Error(`wrk exited with ${code}: ${out}`));
      const w = JSON.parse(line) as { sent: number; requests: number; durationUs: number; p50Us: number; p99Us: number; non2xx: number; errors: number };
      const ok = w.requests - w.non2xx;
      resolve({ sent: w.sent, ok, non2xx: w.non2xx, errors: w.errors, perSecond: ok / (w.durationUs / 1e6), p50: w.p50Us / 1000, p99: w.p99Us / 1000, statuses: { '2xx': ok, other: w.non2xx } });
    });
  });
}
const OUT = join(import.meta.dirname, 'out');

interface LoadResult {
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

async function entriesFile(v2 = false): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `http-${v2 ? 'v2-' : ''}entries-${ENTRIES}.ndjson`);
  if (existsSync(file)) return file;
  const t = performance.now();
  const workers = 2;
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const n = Math.floor(ENTRIES / workers) + (w < ENTRIES % workers ? 1 : 0);
      return new Promise<string>((resolve, reject) => {
        const worker = new Worker(GEN_WORKER, { eval: true, workerData: { n, v2 } });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }),
  );
  writeFileSync(file, parts.join('\n') + '\n');
  process.stderr.write(`  generated ${fmt(ENTRIES)} signed uploads in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  return file;
}

/** freePort returns a port that was free on 127.0.0.1 a moment ago. */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

// The server logs at warn so per-request log lines are not what is measured; it then prints no
// startup line, so readiness is polled.
async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [...SERVER_NODE_FLAGS, ...(process.env.SERVER_FLAGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', 'src/cli/main.ts', 'serve', '--data', dataDir, '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn', '--heartbeat', '0', '--workers', String(WORKERS)],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let i = 0; i < 600 && !exited; i++) {
    try {
      if ((await fetch(`${url}/api/v1/log`)).ok) return { child, url };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('server did not start');
}

/** load runs the load generator in its own process so its work is not the server's. */
async function load(args: string[], server: number): Promise<LoadResult> {
  const cpu0 = treeCpu(server);
  const t0 = performance.now();
  const r = await loadOnly(args);
  const seconds = (performance.now() - t0) / 1000;
  return { ...r, serverCpu: Math.round(((treeCpu(server) - cpu0) / seconds) * 100) };
}

function loadOnly(args: string[]): Promise<LoadResult> {
  if (LOADGEN === 'wrk') return wrkLoad(args[0], args[1], Number(args[2]), Number(args[3]), args[4]);
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'http.ts'), 'load', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load exited with ${code}`))));
  });
}

async function loader(url: string, mode: string, a: number, b: number): Promise<void> {
  const { default: autocannon } = await import('autocannon');
  let request: CannonRequest;
  let next = a;
  let instance: CannonInstance | undefined;
  let ranOut = false;
  if (mode === 'post' || mode === 'post2') {
    // a = first body to use, b = file; every request gets the next distinct body.
    const bodies = readFileSync(process.argv[7], 'utf8').split('\n');
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

async function treeSize(url: string): Promise<number> {
  return ((await (await fetch(`${url}/api/v1/log`)).json()) as { treeSize: number }).treeSize;
}

async function main(): Promise<void> {
  console.log(`http bench: --workers ${WORKERS}, ${RUNS} runs x ${DURATION} s, ${CONNECTIONS} connections, load generator ${LOADGEN}, ${machine()}`);
  const file = await entriesFile();
  const fileV2 = V2 ? await entriesFile(true) : '';
  const dataDir = mkdtempSync(join(tmpdir(), 'cairn-http-bench-'));
  const { child, url } = await startServer(dataDir);
  const ups: LoadResult[] = [];
  const upsV2: LoadResult[] = [];
  const reads: LoadResult[] = [];
  const stamps: LoadResult[] = [];
  let used = 0;
  let usedV2 = 0;
  const line = (name: string, r: LoadResult) =>
    `${name} ${fmt(r.perSecond)}/s p50 ${r.p50} ms p99 ${r.p99} ms ${JSON.stringify(r.statuses)} errors ${r.errors} cpu server ${r.serverCpu}% loadgen ${r.loadCpu ?? '?'}%` +
    `${r.ranOutAfter !== undefined ? ` (ran out after ${r.ranOutAfter} s; raise ENTRIES)` : ''}`;
  try {
    for (let run = 1; run <= RUNS; run++) {
      const up = await load([url, 'post', String(used), String(DURATION), file], child.pid!);
      used += up.sent;
      ups.push(up);
      const parts = [line('v1 uploads', up)];
      if (V2) {
        const up2 = await load([url, 'post2', String(usedV2), String(DURATION), fileV2], child.pid!);
        usedV2 += up2.sent;
        upsV2.push(up2);
        parts.push(line('v2 uploads', up2));
      }
      const size = await treeSize(url);
      const rd = await load([url, 'get', String(size), String(DURATION)], child.pid!);
      reads.push(rd);
      parts.push(line('proof reads', rd));
      if (TSA) {
        const ts = await load([url, 'tsa', '0', String(DURATION)], child.pid!);
        stamps.push(ts);
        parts.push(line('timestamps', ts));
      }
      console.log(`  run ${run}: ${parts.join(' | ')} | tree ${fmt(size)}`);
    }
    const total = [...ups, ...upsV2].reduce((s, u) => s + u.ok, 0);
    const size = await treeSize(url);
    // Requests in flight when autocannon stops are integrated but not counted: at most one per connection.
    if (size < total || size > total + (ups.length + upsV2.length) * CONNECTIONS) throw new Error(`tree size ${size} but ${total} uploads were acknowledged`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
  const m = (xs: LoadResult[], f: (r: LoadResult) => number) => median(xs.map(f));
  console.log(`median v1 uploads: ${fmt(m(ups, (r) => r.perSecond))} entries/s, p50 ${m(ups, (r) => r.p50)} ms, p99 ${m(ups, (r) => r.p99)} ms`);
  if (V2) console.log(`median v2 uploads: ${fmt(m(upsV2, (r) => r.perSecond))} entries/s, p50 ${m(upsV2, (r) => r.p50)} ms, p99 ${m(upsV2, (r) => r.p99)} ms`);
  console.log(`median proof reads: ${fmt(m(reads, (r) => r.perSecond))} reads/s, p50 ${m(reads, (r) => r.p50)} ms, p99 ${m(reads, (r) => r.p99)} ms`);
  if (TSA) console.log(`median timestamps: ${fmt(m(stamps, (r) => r.perSecond))} timestamps/s, p50 ${m(stamps, (r) => r.p50)} ms, p99 ${m(stamps, (r) => r.p99)} ms`);
}

if (process.argv[2] === 'load') await loader(process.argv[3], process.argv[4], Number(process.argv[5]), Number(process.argv[6]));
else await main();
