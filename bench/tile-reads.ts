// Full tile and entry bundle reads/s, alternating targets in the same sitting. By default the
// immutable answer cache off (--immutable-cache 0, as before issue 18) against on (the default);
// TARGETS=cache64,workers2,nginx compares the server (1 and 2 HTTP processes) with nginx serving
// `cairn export` of the same log (issue 16's ceiling; nginx from Debian's package, its config as
// the README's snippet: static files, worker_processes auto; nginx1: one worker process), with
// each full bundle pre-gzipped for gzip_static so both send the same bytes; nodehttp is a bare
// node:http server answering the same files from memory (the floor of Node's HTTP machinery).
//
//   npx tsx bench/tile-reads.ts          (RUNS=3 DURATION=8 CONNECTIONS=64 ENTRIES=262144 by env)
//   TARGETS=cache64,workers2,nginx npx tsx bench/tile-reads.ts
//   BASE_ROOT=../wt-base TARGETS=base,cache64,nginx npx tsx bench/tile-reads.ts   (A/B against another checkout)
//
// The real server runs in a child process over a log of ENTRIES entries (bench/out, built once);
// autocannon runs in another process and GETs random full level-0 tiles, then random full entry
// bundles with Accept-Encoding: gzip (as a CDN fetching on a miss storm does). Each target is
// first asked for every full tile and bundle once (warm), then measured; KINDS=tile or bundle
// measures one kind only. CPU: the server's (with its children, e.g. nginx's workers) and the
// load generator's, % of one core.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Result as CannonResult } from 'autocannon';
import { entriesPath, tilePath } from '../src/merkle/index.js';
import { freePort, startServe, treeCpu } from './http-load.js';
import { BENCH_ORIGIN, benchLog, fmt, machine, median } from './lib.js';

const RUNS = Number(process.env.RUNS ?? 3);
const DURATION = Number(process.env.DURATION ?? 8);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
const ENTRIES = Number(process.env.ENTRIES ?? 262_144);
const ROOT = join(import.meta.dirname, '..');
const FULL = Math.floor(ENTRIES / 256);
const TARGETS = (process.env.TARGETS ?? 'cache0,cache64').split(',');
const KINDS = (process.env.KINDS ?? 'tile,bundle').split(',');

interface Load {
  perSecond: number;
  p99: number;
  non2xx: number;
  /** CPU of the load generator's process over its life, % of one core. */
  loadCpu: number;
  /** CPU of the server (its process and descendants: workers, nginx's workers) over the phase, % of one core. */
  serverCpu?: number;
}

async function loader(url: string, kind: string): Promise<void> {
  const { default: autocannon } = await import('autocannon');
  const path = () => {
    const i = Math.floor(Math.random() * FULL);
    return '/' + (kind === 'tile' ? tilePath({ level: 0, index: i, width: 256 }) : entriesPath(i, 256));
  };
  const headers = kind === 'bundle' ? { 'accept-encoding': 'gzip' } : {};
  const r = await new Promise<CannonResult>((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: DURATION, requests: [{ method: 'GET', headers, setupRequest: (req) => ({ ...req, path: path() }) }] }, (err, res) => (err ? reject(err) : resolve(res)));
  });
  const cpu = process.cpuUsage();
  const loadCpu = Math.round(((cpu.user + cpu.system) / 1e6 / (performance.now() / 1000)) * 100);
  process.stdout.write(JSON.stringify({ perSecond: r['2xx'] / r.duration, p99: r.latency.p99, non2xx: r.non2xx + r.errors + r.timeouts, loadCpu } satisfies Load));
}

/** load runs one phase in a child process and measures the CPU server (a pid) used meanwhile. */
async function load(url: string, kind: string, server: number): Promise<Load> {
  const cpu0 = treeCpu(server);
  const t0 = performance.now();
  const r = await loadOnly(url, kind);
  r.serverCpu = Math.round(((treeCpu(server) - cpu0) / ((performance.now() - t0) / 1000)) * 100);
  return r;
}

function loadOnly(url: string, kind: string): Promise<Load> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'tile-reads.ts'), 'load', url, kind], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Load) : reject(new Error(`load exited with ${code}`))));
  });
}

/** startServer runs `cairn serve` as the other benches do (startServe: --log-level warn, so no line a request, as nginx's access_log off). */
function startServer(dataDir: string, cacheMiB: number, workers = 1, root?: string): Promise<{ child: ChildProcess; url: string }> {
  return startServe(['--data', dataDir, '--origin', BENCH_ORIGIN, '--immutable-cache', String(cacheMiB), '--workers', String(workers)], { root });
}

/**
 * startNginx serves the export of dataDir (written once beside it) with nginx in the foreground,
 * with `workers` worker processes ('auto': one a core). Full bundles are also there gzipped
 * (NNN.gz, zlib's default level as Cairn's), served by gzip_static to a client that accepts gzip,
 * as Cairn answers: the same bytes on the wire for both.
 */
async function startNginx(dataDir: string, workers: string): Promise<{ child: ChildProcess; url: string }> {
  const out = exportOf(dataDir);
  const port = await freePort();
  const prefix = mkdtempSync(join(tmpdir(), 'cairn-nginx-'));
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes ${workers}; pid ${prefix}/nginx.pid; error_log ${prefix}/error.log;
events { worker_connections 1024; }
http {
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  types { application/octet-stream tile; text/plain checkpoint; } default_type application/octet-stream;
  client_body_temp_path ${prefix}; proxy_temp_path ${prefix}; fastcgi_temp_path ${prefix}; uwsgi_temp_path ${prefix}; scgi_temp_path ${prefix};
  server {
    listen 127.0.0.1:${port};
    location / {
      root ${out};
      location ~ ^/tile/entries/ { gzip_static on; gzip_vary on; add_header Cache-Control "public, max-age=31536000, immutable"; }
      location ~ /tile/ { add_header Cache-Control "public, max-age=31536000, immutable"; }
    }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', prefix, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { child, url: await answering(`http://127.0.0.1:${port}`, child) };
}

/** exportOf returns the `cairn export` of dataDir, written once beside it, with each full bundle also gzipped beside itself. */
function exportOf(dataDir: string): string {
  const out = `${dataDir}-export`;
  if (!existsSync(join(out, 'checkpoint'))) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'export', '--data', dataDir, '--to', out], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('cairn export failed');
  }
  for (let i = 0; i < FULL; i++) {
    const file = join(out, entriesPath(i, 256));
    if (!existsSync(`${file}.gz`)) writeFileSync(`${file}.gz`, gzipSync(readFileSync(file)));
  }
  return out;
}

/** answering resolves with url once its /checkpoint answers (5 s at most; then child is stopped). */
async function answering(url: string, child: ChildProcess): Promise<string> {
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${url}/checkpoint`).catch(() => undefined))?.ok) return url;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGTERM');
  throw new Error(`${url} did not answer`);
}

/**
 * bareServer is the floor of node:http itself (target nodehttp): one process answering the
 * exported files from memory with the headers Cairn sends, nothing else (no routing, metrics,
 * logging, negotiation). Run as `tile-reads.ts bare PORT EXPORT_DIR`.
 */
async function bareServer(port: number, root: string): Promise<void> {
  const { createServer } = await import('node:http');
  const files = new Map<string, Buffer>();
  createServer((req, res) => {
    let body = files.get(req.url!);
    if (!body) {
      try {
        body = readFileSync(join(root, req.url!.replace(/\.\./g, '')));
      } catch {
        res.statusCode = 404;
        return res.end();
      }
      files.set(req.url!, body);
    }
    res.statusCode = 200;
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('Content-Type', req.url!.startsWith('/tile/') ? 'application/octet-stream' : 'text/plain; charset=utf-8');
    res.setHeader('Content-Length', body.length);
    res.end(body);
  }).listen(port, '127.0.0.1');
}

async function startBare(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const out = exportOf(dataDir);
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'tile-reads.ts'), 'bare', String(port), out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  return { child, url: await answering(`http://127.0.0.1:${port}`, child) };
}

/**
 * warm asks for every full tile and bundle once (bundles as gzip, as the load does) before the
 * measured phases, for every target alike: a server that has run for a while has answered each
 * of them before (Cairn's immutable cache filled, nginx's files in the page cache), and a phase
 * of a few seconds would otherwise count each target's start-up.
 */
async function warm(url: string, bareUrl = '\0'): Promise<void> {
  const paths = KINDS.flatMap((kind) => Array.from({ length: FULL }, (_, i) => [kind, '/' + (kind === 'tile' ? tilePath({ level: 0, index: i, width: 256 }) : entriesPath(i, 256))]));
  let next = 0;
  const one = async (): Promise<void> => {
    for (let i = next++; i < paths.length; i = next++) {
      const [kind, path] = paths[i];
      const r = await fetch(url + path, { headers: kind === 'bundle' ? { 'accept-encoding': 'gzip' } : {} });
      if (!r.ok) throw new Error(`warming ${path}: ${r.status}`);
      // Bundles go gzipped from every target but the bare node:http floor (which has no gzip).
      if (kind === 'bundle' && !url.includes(bareUrl) && r.headers.get('content-encoding') !== 'gzip') throw new Error(`${url}${path} was not sent gzipped`);
      await r.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 8 }, one));
}

function start(target: string, dir: string): Promise<{ child: ChildProcess; url: string }> {
  // nginx as the README configures it (a worker a core), or with one worker: like one Cairn process.
  if (target === 'nginx') return startNginx(dir, 'auto');
  if (target === 'nginx1') return startNginx(dir, '1');
  if (target === 'nodehttp') return startBare(dir);
  if (target === 'workers2') return startServer(dir, 64, 2);
  // The same server from another checkout (an A/B of a change: BASE_ROOT=DIR, a `git worktree add DIR COMMIT` with npm install done).
  if (target === 'base' || target === 'base-workers2') return startServer(dir, 64, target === 'base' ? 1 : 2, process.env.BASE_ROOT ?? ROOT);
  const m = /^cache(\d+)$/.exec(target);
  if (!m) throw new Error(`unknown target ${target} (cacheN, workers2, base, base-workers2, nginx, nginx1, nodehttp)`);
  return startServer(dir, Number(m[1]));
}

async function main(): Promise<void> {
  console.log(`tile-reads bench: ${RUNS} rounds x ${DURATION} s a phase, ${CONNECTIONS} connections, ${fmt(ENTRIES)} entries (${FULL} full tiles), ${machine()}`);
  const { log, dir } = await benchLog(`tiles-${ENTRIES}`, ENTRIES);
  await log.close();
  const results: Record<string, Load[]> = {};
  for (let run = 1; run <= RUNS; run++) {
    for (const target of TARGETS) {
      const { child, url } = await start(target, dir);
      try {
        await warm(url, target === 'nodehttp' ? url : undefined);
        for (const kind of KINDS) {
          const r = await load(url, kind, child.pid!);
          (results[`${kind} ${target}`] ??= []).push(r);
          console.log(`  run ${run} ${kind.padEnd(6)} ${target.padEnd(8)}: ${fmt(r.perSecond).padStart(7)}/s  p99 ${r.p99} ms  (errors/non-2xx ${r.non2xx})  CPU server ${r.serverCpu}% generator ${r.loadCpu}%  load ${loadavg()[0].toFixed(1)}`);
        }
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
  }
  console.log(`medians (ratio: against ${TARGETS[TARGETS.length - 1]}):`);
  for (const kind of KINDS) {
    const base = median(results[`${kind} ${TARGETS[TARGETS.length - 1]}`].map((r) => r.perSecond));
    for (const target of TARGETS) {
      const rs = results[`${kind} ${target}`];
      const m = median(rs.map((r) => r.perSecond));
      const cpu = `CPU server ${median(rs.map((r) => r.serverCpu!))}% generator ${median(rs.map((r) => r.loadCpu))}%`;
      console.log(`  ${kind.padEnd(6)} ${target.padEnd(8)} ${fmt(m).padStart(7)}/s  p99 ${median(rs.map((r) => r.p99))} ms  ratio ${(m / base).toFixed(2)}  ${cpu}`);
    }
  }
}

if (process.argv[2] === 'load') await loader(process.argv[3], process.argv[4]);
else if (process.argv[2] === 'bare') await bareServer(Number(process.argv[3]), process.argv[4]);
else await main();
