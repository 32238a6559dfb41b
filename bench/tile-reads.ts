// Full tile and entry bundle reads/s with the immutable answer cache off (--immutable-cache 0, as
// before issue 18) and on (the default), alternating in the same sitting.
//
//   npx tsx bench/tile-reads.ts          (RUNS=3 DURATION=8 CONNECTIONS=64 ENTRIES=262144 by env)
//
// The real server runs in a child process over a log of ENTRIES entries (bench/out, built once);
// autocannon runs in another process and GETs random full level-0 tiles, then random full entry
// bundles with Accept-Encoding: gzip (as a CDN fetching on a miss storm does).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Result as CannonResult } from 'autocannon';
import { entriesPath, tilePath } from '../src/merkle/index.js';
import { BENCH_ORIGIN, SERVER_NODE_FLAGS, benchLog, fmt, machine, median } from './lib.js';

const RUNS = Number(process.env.RUNS ?? 3);
const DURATION = Number(process.env.DURATION ?? 8);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
const ENTRIES = Number(process.env.ENTRIES ?? 262_144);
const ROOT = join(import.meta.dirname, '..');
const FULL = Math.floor(ENTRIES / 256);

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

async function startServer(dataDir: string, cacheMiB: number): Promise<{ child: ChildProcess; url: string }> {
  const args = [...SERVER_NODE_FLAGS, '--import', 'tsx', 'src/cli/main.ts', 'serve', '--data', dataDir, '--origin', BENCH_ORIGIN, '--port', '0', '--heartbeat', '0', '--immutable-cache', String(cacheMiB)];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /serving \S+ at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (!m) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume(); // request log lines: read and dropped
      resolve({ child, url: m[1] });
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

async function main(): Promise<void> {
  console.log(`tile-reads bench: ${RUNS} rounds x ${DURATION} s a phase, ${CONNECTIONS} connections, ${fmt(ENTRIES)} entries (${FULL} full tiles), ${machine()}`);
  const { log, dir } = await benchLog(`tiles-${ENTRIES}`, ENTRIES);
  await log.close();
  const results: Record<string, Load[]> = {};
  for (let run = 1; run <= RUNS; run++) {
    for (const cache of [0, 64]) {
      const { child, url } = await startServer(dir, cache);
      try {
        for (const kind of ['tile', 'bundle']) {
          const r = await load(url, kind);
          (results[`${kind} cache=${cache}`] ??= []).push(r);
          console.log(`  run ${run} ${kind.padEnd(6)} --immutable-cache ${String(cache).padEnd(2)}: ${fmt(r.perSecond).padStart(7)}/s  p99 ${r.p99} ms  (errors/non-2xx ${r.non2xx})`);
        }
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
  }
  console.log('medians:');
  for (const kind of ['tile', 'bundle']) {
    const off = results[`${kind} cache=0`];
    const on = results[`${kind} cache=64`];
    const [a, b] = [median(off.map((r) => r.perSecond)), median(on.map((r) => r.perSecond))];
    console.log(`  ${kind.padEnd(6)} off ${fmt(a)}/s (p99 ${median(off.map((r) => r.p99))} ms)  on ${fmt(b)}/s (p99 ${median(on.map((r) => r.p99))} ms)  ratio ${(b / a).toFixed(2)}`);
  }
}

if (process.argv[2] === 'load') await loader(process.argv[3], process.argv[4]);
else await main();
