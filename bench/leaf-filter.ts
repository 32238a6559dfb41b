// The leaf filter's cost per new leaf (a mayHave miss, then add) and its false positives over
// the first 200,000 leaves of a log, started small (grows by parts) or with room for 1M leaves
// (what KeyIndex does). Usage: npx tsx bench/leaf-filter.ts [runs=5]
import { randomBytes } from 'node:crypto';
import { LeafFilter } from '../src/storage/leaf-filter.js';
import { leafPrefix } from '../src/storage/leaf-prefix.js';
import { machine, median } from './lib.js';

const runs = Number(process.argv[2] ?? 5);
const N = 200_000;
console.log(`leaf filter — ${machine()} — ${N} new leaves, median of ${runs} runs`);
for (const capacity of [1024, 1 << 20]) {
  const us: number[] = [];
  const fp: number[] = [];
  for (let r = 0; r < runs; r++) {
    const f = new LeafFilter(capacity);
    const leaves = Array.from({ length: N }, () => randomBytes(32));
    const t0 = performance.now();
    let maybes = 0;
    for (const h of leaves) {
      const p = leafPrefix(h);
      if (f.mayHave(p)) maybes++;
      f.add(p);
    }
    us.push(((performance.now() - t0) * 1000) / N);
    fp.push(maybes / N);
  }
  console.log(`first capacity ${String(capacity).padStart(7)}: ${median(us).toFixed(3)} µs a leaf (runs: ${us.map((x) => x.toFixed(3)).join(', ')}); false positives ${(100 * median(fp)).toFixed(2)} %`);
}
