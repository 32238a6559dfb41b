// Proof benchmark: inclusion and consistency proofs per second on a 1,000,000-entry log at random
// indices and sizes, from a warm tile cache. Usage: npx tsx bench/proof.ts [size=1000000] [runs=7]
import type { Log } from '../src/log/index.js';
import { benchLog, fmt, machine, median } from './lib.js';

// The tile cache is the log's own: reached behind its back for this one count.
const tileMisses = (log: Log) => (log as unknown as { tiles: { misses: number } }).tiles.misses;

const size = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.argv[3] ?? 7);
const N = 100_000;

const { log } = await benchLog(`log-${size}`, size);
let seed = 42;
const rand = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return Math.floor((seed / 2147483648) * n);
};

// Warm the cache: one pass over every level-0 tile.
for (let i = 0; i < size; i += 256) log.inclusionProof(i, size);
const missesBefore = tileMisses(log);

function measure(op: () => void): number {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) op();
  return N / ((performance.now() - t0) / 1000);
}

const incl: number[] = [];
const cons: number[] = [];
const consAny: number[] = [];
for (let r = 0; r < runs; r++) {
  incl.push(measure(() => log.inclusionProof(rand(size), size)));
  // What monitors and witnesses ask: from an older size to the current one.
  cons.push(measure(() => log.consistencyProof(rand(size + 1), size)));
  // Any pair: every second size has its own ragged right edge, so the right-edge memo rarely helps.
  consAny.push(
    measure(() => {
      const n = 1 + rand(size);
      log.consistencyProof(rand(n + 1), n);
    }),
  );
}
console.log(`proof benchmark — ${machine()} — tree of ${fmt(size)} entries, ${fmt(N)} proofs a run, median of ${runs} runs`);
console.log(`inclusion proofs:   ${fmt(median(incl)).padStart(9)} /s  (runs: ${incl.map(fmt).join(', ')})`);
console.log(`consistency proofs: ${fmt(median(cons)).padStart(9)} /s  to the current size (runs: ${cons.map(fmt).join(', ')})`);
console.log(`consistency proofs: ${fmt(median(consAny)).padStart(9)} /s  between random sizes (runs: ${consAny.map(fmt).join(', ')})`);
console.log(`tile cache misses after warm-up: ${tileMisses(log) - missesBefore}`);
await log.close();
