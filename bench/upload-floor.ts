// Cairn's uploads against the upload floor (bench/upload-floor-server.ts: node:http, native
// verify, fdatasync'd group commit, nothing else), alternating in one sitting with the same load
// generator, so that the machine's speed at the time is in both. Issue 16's uploads target is an
// absolute rate; this says how much of it this machine allows at all, and what Cairn gets of that.
//
//   npx tsx bench/upload-floor.ts      (ROUNDS=3 DURATION=10 CONNECTIONS=64 ENTRIES=200000 by env)
//
// FLOOR_THREADS=1 checks signatures on the floor's one thread; the default (2) on a worker thread
// beside it, as Cairn does.
// Each round runs a fresh Cairn (`cairn serve`, SQLite, synchronous=FULL) and a fresh floor
// server, each first warmed for WARMUP s (default 6; not counted: a fresh Cairn spends its first
// seconds compiling, ~1.9 s of V8 compile threads in its first 8 s under load against ~0.13 s in
// its third, and uploads ~25 % slower meanwhile) and then measured for DURATION s of distinct v1
// uploads; the order alternates between rounds.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entriesFile, freePort, load, resultLine, startServe, type LoadResult } from './http-load.js';
import { fmt, machine, median } from './lib.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DURATION = Number(process.env.DURATION ?? 10);
const ENTRIES = Number(process.env.ENTRIES ?? 200_000);
const WARMUP = Number(process.env.WARMUP ?? 6);
const FLOOR_THREADS = Number(process.env.FLOOR_THREADS ?? 2);

async function startFloor(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'upload-floor-server.ts'), String(port), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, VERIFY_THREAD: FLOOR_THREADS > 1 ? '1' : '0' },
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`floor server exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

async function phase(name: 'cairn' | 'floor', file: string, first: number): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), `cairn-upload-${name}-`));
  const { child, url } = name === 'cairn' ? await startServe(['--data', dir]) : await startFloor(dir);
  try {
    // Warm with the second half of the bodies, measure with the first: all distinct, all new.
    if (WARMUP > 0) await load([url, 'post', String(Math.floor(ENTRIES / 2)), String(WARMUP), file], [child.pid!]);
    return await load([url, 'post', String(first), String(DURATION), file], [child.pid!]);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`upload floor bench: ${ROUNDS} rounds x ${DURATION} s each after ${WARMUP} s of warm-up, floor on ${FLOOR_THREADS} thread(s), ${machine()}`);
  const file = await entriesFile(ENTRIES);
  const rates: Record<'cairn' | 'floor', LoadResult[]> = { cairn: [], floor: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    const order: ('cairn' | 'floor')[] = round % 2 ? ['cairn', 'floor'] : ['floor', 'cairn'];
    for (const name of order) {
      // Each server starts empty, so the same bodies serve every phase.
      const r = await phase(name, file, 0);
      rates[name].push(r);
      console.log(`  round ${round}: ${resultLine(name.padEnd(5), r)}`);
    }
  }
  const med = (name: 'cairn' | 'floor', f: (r: LoadResult) => number) => median(rates[name].map(f));
  for (const name of ['cairn', 'floor'] as const) {
    console.log(`median ${name}: ${fmt(med(name, (r) => r.perSecond))} uploads/s, p99 ${med(name, (r) => r.p99)} ms, server cpu ${med(name, (r) => r.serverCpu ?? 0)}%, loadgen ${med(name, (r) => r.loadCpu ?? 0)}%`);
  }
  const ratios = rates.cairn.map((r, i) => r.perSecond / rates.floor[i].perSecond);
  console.log(`cairn / floor per round: ${ratios.map((x) => x.toFixed(2)).join(', ')}; median ${median(ratios).toFixed(2)}`);
}

await main();
