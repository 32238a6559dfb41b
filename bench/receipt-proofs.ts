// The planning cost of a batch's receipts: merkle.inclusionProofs for 1,024 new leaves at the
// right edge of a ~1M-leaf tree, as the sequencer computes them after each commit. Reads return
// one fixed hash, so the figure is the proof planning and folding, not tile access.
// Usage: npx tsx bench/receipt-proofs.ts [runs=7]
import { inclusionProofs, type NodeId } from '../src/merkle/index.js';
import { machine, median } from './lib.js';

const runs = Number(process.argv[2] ?? 7);
const BATCH = 1024;
const BATCHES = 200;
const h = new Uint8Array(32).fill(7);
const read = (nodes: readonly NodeId[]) => nodes.map(() => h);

const perProof: number[] = [];
for (let r = 0; r < runs; r++) {
  let size = 1_000_000 + r * 12_345;
  const t0 = performance.now();
  for (let b = 0; b < BATCHES; b++) {
    const next = size + BATCH;
    inclusionProofs(size, next, next, read);
    size = next;
  }
  perProof.push(((performance.now() - t0) * 1000) / (BATCHES * BATCH));
}
console.log(`receipt proofs — ${machine()} — batches of ${BATCH}: ${median(perProof).toFixed(3)} µs a proof, median of ${runs} (runs: ${perProof.map((x) => x.toFixed(3)).join(', ')})`);
