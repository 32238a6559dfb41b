// In-process append benchmark: leaves/s through Log.append at batch sizes 1, 64 and 1024, each
// batch committed in one fsync'd SQLite transaction (WAL, synchronous=FULL) with its checkpoint,
// receipts and inclusion proofs included, and index.db caught up by the end.
// Two ways of submitting: "closed" sends one batch's worth and waits for all its receipts before
// sending more (nothing to overlap with a commit); "stream" keeps 4 batches' worth outstanding,
// as a busy server has, so the next batch can be built while one commits.
// Also printed: the process's CPU time (all threads: sequencer, log writer, index worker, GC)
// per entry over the same interval, steadier than the rate on a shared machine.
// Each configuration runs with no search keys (the log core alone: leaf hashes, tiles, checkpoint
// and the leaf-hash index) and with three an entry, as a hashedrekord with a certificate has.
// Usage: npx tsx bench/append.ts [runs=5] [modes=closed,stream] [batches=1,64,1024] [keys=0,3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Log } from '../src/log/index.js';
import { BENCH_ORIGIN, SERVER_NODE_FLAGS, entryBody, fmt, machine, median, withServerFlags } from './lib.js';

withServerFlags();

const runs = Number(process.argv[2] ?? 5);
const modes = (process.argv[3] ?? 'closed,stream').split(',');
const WINDOW = 4;
const batches = (process.argv[4] ?? '1,64,1024').split(',').map(Number);
const keyCounts = (process.argv[5] ?? '0,3').split(',').map(Number);

async function run(batch: number, total: number, salt: string, mode: string, keys: number): Promise<{ rate: number; cpuUs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-'));
  const log = Log.open({ dataDir: dir, origin: BENCH_ORIGIN, heartbeatMs: 0, maxBatch: batch, synchronous: 'FULL' });
  try {
    // Warm-up: one batch outside the measurement.
    await Promise.all(Array.from({ length: batch }, (_, j) => log.append({ body: entryBody(j, salt + 'w'), kind: 'hashedrekord/0.0.1', indexKeys: [] })));
    // Inputs are made before the clock starts: the figure is the log's work, not the bench's.
    const subs = Array.from({ length: total }, (_, i) => ({
      body: entryBody(i, salt),
      kind: 'hashedrekord/0.0.1',
      indexKeys: [`sha256:${i.toString(16).padStart(64, '0')}`, `pubkey:${i % 1000}`, `email:u${i % 5000}@example.com`].slice(0, keys),
    }));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const outstanding: Promise<unknown>[] = [];
    for (let done = 0; done < total; done += batch) {
      outstanding.push(Promise.all(subs.slice(done, done + batch).map((s) => log.append(s))));
      if (outstanding.length >= (mode === 'stream' ? WINDOW : 1)) await outstanding.shift();
    }
    await Promise.all(outstanding);
    // The clock stops only once every leaf hash and search key is in index.db too, not just in
    // the key index's memory (its worker runs on the other core meanwhile).
    await log.flushIndex();
    const rate = total / ((performance.now() - t0) / 1000);
    const cpu = process.cpuUsage(c0);
    return { rate, cpuUs: (cpu.user + cpu.system) / total };
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`append benchmark — ${machine()} — median of ${runs} runs, synchronous=FULL, node ${SERVER_NODE_FLAGS.join(' ')}`);
for (const keys of keyCounts) {
  for (const mode of modes) {
    for (const [batch, total] of ([[1, 2000], [64, 32_000], [1024, 204_800]] as const).filter(([b]) => batches.includes(b))) {
      const rates: number[] = [];
      const cpus: number[] = [];
      for (let r = 0; r < runs; r++) {
        const { rate, cpuUs } = await run(batch, total, `k${keys}b${batch}r${r}`, mode, keys);
        rates.push(rate);
        cpus.push(cpuUs);
      }
      console.log(`${keys} keys, ${mode.padEnd(6)} batch ${String(batch).padStart(4)}: ${fmt(median(rates)).padStart(9)} leaves/s  (runs: ${rates.map(fmt).join(', ')}); CPU ${median(cpus).toFixed(1)} µs an entry`);
    }
  }
}
