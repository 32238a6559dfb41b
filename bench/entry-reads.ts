// Entry reads through the storage driver, the path GET /api/v1/log/entries?logIndex=N and the
// entry bundles take: random single entries (Log.entryByIndex), and ranges of 256 (Log.entries,
// what an entry bundle reads). Builds (once) a log of N entries whose bodies are 600–1,600 bytes
// (~1.1 KB on average, as a hashedrekord with a certificate) in bench/out/reads-<N>, then reads
// it warm. Run it in two worktrees to compare storage layouts.
//
//   npx tsx bench/entry-reads.ts [entries=200000] [runs=5]
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILE, Log } from '../src/log/index.js';
import { BENCH_ORIGIN, fmt, machine, median } from './lib.js';

const n = Number(process.argv[2] ?? 200_000);
const runs = Number(process.argv[3] ?? 5);
const dir = join(import.meta.dirname, 'out', `reads-${n}`);

/** bodyOf is entry i's body: JSON padded to 600 + (i·7919 mod 1000) bytes. */
function bodyOf(i: number): Uint8Array {
  const head = JSON.stringify({ kind: 'bench', i });
  return new TextEncoder().encode(head + ' '.repeat(600 + ((i * 7919) % 1000) - head.length));
}

if (!existsSync(join(dir, DB_FILE))) {
  mkdirSync(dir, { recursive: true });
  const log = Log.open({ dataDir: dir, origin: BENCH_ORIGIN, heartbeatMs: 0, maxBatch: 8192, synchronous: 'OFF' });
  while (log.size < n) {
    const start = log.size;
    await Promise.all(Array.from({ length: Math.min(8192, n - start) }, (_, j) => log.append({ kind: 'hashedrekord/0.0.1', body: bodyOf(start + j), indexKeys: [] })));
  }
  await log.flushIndex();
  await log.close();
}

const log = Log.open({ dataDir: dir, origin: BENCH_ORIGIN, heartbeatMs: 0 });
const READS = 100_000;
const RANGES = 2_000;
let seed = 12345;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
// Warm the page cache once.
for (let i = 0; i < n; i += 256) log.entries(i, i + 256);
const single: number[] = [];
const range: number[] = [];
let bytes = 0;
for (let r = 0; r < runs; r++) {
  let t0 = performance.now();
  for (let k = 0; k < READS; k++) bytes += (log.entryByIndex(rand()) as { body: Uint8Array }).body.length;
  single.push(((performance.now() - t0) * 1000) / READS);
  t0 = performance.now();
  for (let k = 0; k < RANGES; k++) {
    const s = Math.floor(rand() / 256) * 256;
    for (const e of log.entries(s, s + 256) as { body: Uint8Array }[]) bytes += e.body.length;
  }
  range.push(((performance.now() - t0) * 1000) / RANGES);
}
await log.close();
console.log(`entry reads — ${machine()} — ${fmt(n)} entries, median of ${runs} runs (${bytes > 0 ? 'bodies read' : ''})`);
console.log(`  one entry by index:     ${median(single).toFixed(2)} µs (runs: ${single.map((x) => x.toFixed(2)).join(', ')})`);
console.log(`  256 entries (a bundle): ${median(range).toFixed(1)} µs (runs: ${range.map((x) => x.toFixed(1)).join(', ')})`);
