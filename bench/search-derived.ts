// Search latency over the log bench/storage-size.ts --derived built (bench/out/size-derived-<n>:
// real hashedrekord bodies, one of 256 certificates each), where every hit is re-checked against
// the entry's keys: read from entry_keys (main) or derived from the body (issue 16, no row).
// p50/p99 of Log.search, index.db caught up (no tail), for
//   - sha256: a unique artifact hash, 1 hit;
//   - subject: a certificate's DNS name, n/256 entries, first 100 (Rekor's index/retrieve pages).
//
//   npx tsx bench/storage-size.ts --derived 1000000 && npx tsx bench/search-derived.ts 1000000
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILE, Log } from '../src/log/index.js';
import { BENCH_ORIGIN, fmt, machine } from './lib.js';

const n = Number(process.argv[2] ?? 1_000_000);
const dir = join(import.meta.dirname, 'out', `size-derived-${n}`);
if (!existsSync(join(dir, DB_FILE))) throw new Error(`no log in ${dir}: run npx tsx bench/storage-size.ts --derived ${n} first`);
const hex = (i: number, tag: string) => (tag + i.toString(16)).padStart(64, '0');
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const log = Log.open({ dataDir: dir, origin: BENCH_ORIGIN, heartbeatMs: 0 });
try {
  await log.flushIndex();
  console.log(`search-derived: ${fmt(log.size)} entries — ${machine()}`);
  const queries: [string, (q: number) => string, number, number][] = [
    ['sha256 (1 hit)', (q) => `sha256:${hex((q * 7919) % log.size, 'a')}`, 100, 2000],
    ['subject (first 100 of ~n/256)', (q) => `subject:host${q % 256}.example`, 100, 200],
  ];
  for (const [name, key, limit, count] of queries) {
    for (let q = 0; q < 50; q++) log.search(key(q + 100_000), limit); // warm-up
    const ms: number[] = [];
    let hits = 0;
    for (let q = 0; q < count; q++) {
      const t0 = performance.now();
      hits += (log.search(key(q), limit) as number[]).length;
      ms.push(performance.now() - t0);
    }
    console.log(`  ${name.padEnd(30)} p50 ${pct(ms, 50).toFixed(3)} ms  p99 ${pct(ms, 99).toFixed(3)} ms  (${count} queries, ${(hits / count).toFixed(1)} hits each)`);
  }
} finally {
  await log.close();
}
