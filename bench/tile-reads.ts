// Full tile and entry bundle reads/s, alternating targets in the same sitting. By default the
// immutable answer cache off (--immutable-cache 0, as before issue 18) against on (the default);
// TARGETS=cache64,workers2,nginx compares the server (1 and 2 HTTP processes) with nginx serving
// `cairn export` of the same log (issue 16's ceiling; nginx from Debian's package, its config as
// the README's snippet: static files, worker_processes auto, no gzip).
//
//   npx tsx bench/tile-reads.ts          (RUNS=3 DURATION=8 CONNECTIONS=64 ENTRIES=262144 by env)
//   TARGETS=cache64,workers2,nginx npx tsx bench/tile-reads.ts
//
// The real server runs in a child process over a log of ENTRIES entries (bench/out, built once);
// autocannon runs in another process and GETs random full level-0 tiles, then random full entry
// bundles with Accept-Encoding: gzip (as a CDN fetching on a miss storm does).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Result as CannonResult } from 'autocannon';
import { entriesPath, tilePath } from '../src/merkle/index.js';
import { freePort, startServe } from './http-load.js';
import { BENCH_ORIGIN, benchLog, fmt, machine, median } from './lib.js';

const RUNS = Number(process.env.RUNS ?? 3);
const DURATION = Number(process.env.DURATION ?? 8);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
const ENTRIES = Number(process.env.ENTRIES ?? 262_144);
const ROOT = join(import.meta.dirname, '..');
const FULL = Math.floor(ENTRIES / 256);
const TARGETS = (process.env.TARGETS ?? 'cache0,cache64').split(',');

interface Load {
  perSecond: number;
  p99: number;
  non2xx: number;
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
  process.stdout.write(JSON.stringify({ perSecond: r['2xx'] / r.duration, p99: r.latency.p99, non2xx: r.non2xx + r.errors + r.timeouts } satisfies Load));
}

function load(url: string, kind: string): Promise<Load> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'tile-reads.ts'), 'load', url, kind], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Load) : reject(new Error(`load exited with ${code}`))));
  });
}

/** startServer runs `cairn serve` as the other benches do (startServe: --log-level warn, so no line a request, as nginx's access_log off). */
function startServer(dataDir: string, cacheMiB: number, workers = 1): Promise<{ child: ChildProcess; url: string }> {
  return startServe(['--data', dataDir, '--origin', BENCH_ORIGIN, '--immutable-cache', String(cacheMiB), '--workers', String(workers)]);
}

/** startNginx serves the export of dataDir (written once beside it) with nginx in the foreground. */
async function startNginx(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const out = `${dataDir}-export`;
  if (!existsSync(join(out, 'checkpoint'))) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'export', '--data', dataDir, '--to', out], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('cairn export failed');
  }
  const port = await freePort();
  const prefix = mkdtempSync(join(tmpdir(), 'cairn-nginx-'));
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes auto; pid ${prefix}/nginx.pid; error_log ${prefix}/error.log;
events { worker_connections 1024; }
http {
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  types { application/octet-stream tile; text/plain checkpoint; } default_type application/octet-stream;
  client_body_temp_path ${prefix}; proxy_temp_path ${prefix}; fastcgi_temp_path ${prefix}; uwsgi_temp_path ${prefix}; scgi_temp_path ${prefix};
  server {
    listen 127.0.0.1:${port};
    location / { root ${out}; location ~ /tile/ { add_header Cache-Control "public, max-age=31536000, immutable"; } }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', prefix, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${url}/checkpoint`).catch(() => undefined))?.ok) return { child, url };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGTERM');
  throw new Error('nginx did not answer');
}

function start(target: string, dir: string): Promise<{ child: ChildProcess; url: string }> {
  if (target === 'nginx') return startNginx(dir);
  if (target === 'workers2') return startServer(dir, 64, 2);
  const m = /^cache(\d+)$/.exec(target);
  if (!m) throw new Error(`unknown target ${target} (cacheN, workers2, nginx)`);
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
        for (const kind of ['tile', 'bundle']) {
          const r = await load(url, kind);
          (results[`${kind} ${target}`] ??= []).push(r);
          console.log(`  run ${run} ${kind.padEnd(6)} ${target.padEnd(8)}: ${fmt(r.perSecond).padStart(7)}/s  p99 ${r.p99} ms  (errors/non-2xx ${r.non2xx})`);
        }
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
  }
  console.log(`medians (ratio: against ${TARGETS[TARGETS.length - 1]}):`);
  for (const kind of ['tile', 'bundle']) {
    const base = median(results[`${kind} ${TARGETS[TARGETS.length - 1]}`].map((r) => r.perSecond));
    for (const target of TARGETS) {
      const rs = results[`${kind} ${target}`];
      const m = median(rs.map((r) => r.perSecond));
      console.log(`  ${kind.padEnd(6)} ${target.padEnd(8)} ${fmt(m).padStart(7)}/s  p99 ${median(rs.map((r) => r.p99))} ms  ratio ${(m / base).toFixed(2)}`);
    }
  }
}

if (process.argv[2] === 'load') await loader(process.argv[3], process.argv[4]);
else await main();
