// Where an append's CPU goes, thread by thread (Linux: /proc/self/task): the streaming append of
// bench/append.ts (batches of 1024, four outstanding, synchronous=FULL, index.db caught up before
// the clock stops), each run in a fresh process so that none reuses an earlier run's memory.
// Prints entries/s, how long the appends and the final index catch-up took, and per thread the
// CPU µs an entry and how busy it was. Threads are named by the order Log.open starts them.
// Usage: npx tsx bench/append-threads.ts [entries=204800] [keys=3] [runs=3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log } from '../src/log/index.js';
import { BENCH_ORIGIN, SERVER_NODE_FLAGS, entryBody, fmt, machine, median, withServerFlags } from './lib.js';

withServerFlags();
const total = Number(process.argv[2] ?? 204_800);
const keys = Number(process.argv[3] ?? 3);
const runs = Number(process.argv[4] ?? 3);
const BATCH = 1024;
const WINDOW = 4;

interface Result {
  rate: number;
  appendS: number;
  flushS: number;
  threads: Record<string, number>; // thread → CPU ms
  seconds: number;
}

/** cpuMs returns each thread's user+system CPU time in ms (clock ticks of 10 ms). */
function cpuMs(): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of readdirSync('/proc/self/task')) {
    const f = readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1].split(' ');
    out.set(Number(t), (Number(f[11]) + Number(f[12])) * 10);
  }
  return out;
}

async function once(): Promise<Result> {
  const before = new Set(cpuMs().keys());
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-'));
  const log = Log.open({ dataDir: dir, origin: BENCH_ORIGIN, heartbeatMs: 0, maxBatch: BATCH, synchronous: 'FULL' });
  const started = [...cpuMs().keys()].filter((t) => !before.has(t)).sort((a, b) => a - b);
  const names = new Map<number, string>([[process.pid, 'main']]);
  const order = ['index.db worker', 'log writer', 'WAL checkpointer'];
  started.forEach((t, i) => names.set(t, started.length === order.length ? order[i] : `new thread ${i}`));
  try {
    await Promise.all(Array.from({ length: BATCH }, (_, j) => log.append({ body: entryBody(j, 'w'), kind: 'hashedrekord/0.0.1', indexKeys: [] })));
    const subs = Array.from({ length: total }, (_, i) => ({
      body: entryBody(i, 't'),
      kind: 'hashedrekord/0.0.1',
      indexKeys: [`sha256:${i.toString(16).padStart(64, '0')}`, `pubkey:${i % 1000}`, `email:u${i % 5000}@example.com`].slice(0, keys),
    }));
    const c0 = cpuMs();
    const t0 = performance.now();
    const outstanding: Promise<unknown>[] = [];
    for (let done = 0; done < total; done += BATCH) {
      outstanding.push(Promise.all(subs.slice(done, done + BATCH).map((s) => log.append(s))));
      if (outstanding.length >= WINDOW) await outstanding.shift();
    }
    await Promise.all(outstanding);
    const t1 = performance.now();
    await log.flushIndex();
    const t2 = performance.now();
    const c1 = cpuMs();
    const threads: Record<string, number> = {};
    for (const [t, ms] of c1) {
      const name = names.get(t) ?? 'V8 and libuv helpers (GC)';
      threads[name] = (threads[name] ?? 0) + ms - (c0.get(t) ?? 0);
    }
    return { rate: total / ((t2 - t0) / 1000), appendS: (t1 - t0) / 1000, flushS: (t2 - t1) / 1000, threads, seconds: (t2 - t0) / 1000 };
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.env.CAIRN_BENCH_CHILD) {
  process.stdout.write(JSON.stringify(await once()));
} else {
  const results: Result[] = [];
  for (let r = 0; r < runs; r++) {
    const c = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { env: { ...process.env, CAIRN_BENCH_CHILD: '1' }, encoding: 'utf8' });
    if (c.status !== 0) throw new Error(`run ${r} failed: ${c.stderr}`);
    results.push(JSON.parse(c.stdout) as Result);
  }
  console.log(`append by thread — ${machine()} — ${fmt(total)} entries, ${keys} search keys each, batch ${BATCH}, stream, median of ${runs} fresh processes, node ${SERVER_NODE_FLAGS.join(' ')}`);
  console.log(`${fmt(median(results.map((r) => r.rate)))} entries/s (runs: ${results.map((r) => fmt(r.rate)).join(', ')}); appends ${median(results.map((r) => r.appendS)).toFixed(2)} s + index catch-up ${median(results.map((r) => r.flushS)).toFixed(2)} s`);
  const names = Object.keys(results[0].threads);
  let sum = 0;
  for (const n of names) {
    const us = median(results.map((r) => ((r.threads[n] ?? 0) * 1000) / total));
    const busy = median(results.map((r) => (r.threads[n] ?? 0) / 1000 / r.seconds));
    sum += us;
    console.log(`  ${n.padEnd(28)} ${us.toFixed(1).padStart(5)} µs an entry, ${(100 * busy).toFixed(0).padStart(3)} % busy`);
  }
  console.log(`  ${'total'.padEnd(28)} ${sum.toFixed(1).padStart(5)} µs an entry`);
}
