/**
 * bench/merkle.ts measures warm-cache proof serving the way storage does it: every tile of a
 * 2^20-leaf tree expanded once (ExpandedTile) in a Map, ReadNodes = nodeInTile + lookup, then
 * inclusion and consistency proofs at random indexes (target ≥ 50,000 inclusion proofs/s).
 * Run: npx tsx bench/merkle.ts
 */
import {
  consistencyProof,
  ExpandedTile,
  HASH_SIZE,
  inclusionProof,
  inclusionProofNodes,
  nodeInTile,
  RangeMemo,
  rootHash,
  TILE_HEIGHT,
  TILE_WIDTH,
  tileRoot,
  verifyInclusion,
  type ReadNodes,
} from '../src/merkle/index.js';

const SIZE = 2 ** 20;
const RUNS = 5;

function leaf(i: number): Uint8Array {
  const h = new Uint8Array(HASH_SIZE);
  new DataView(h.buffer).setFloat64(0, i);
  h[31] = 0xaa;
  return h;
}

let t = performance.now();
const tiles = new Map<string, ExpandedTile>();
let level: Uint8Array[] = Array.from({ length: SIZE }, (_, i) => leaf(i));
for (let L = 0; level.length > 0; L++) {
  const up: Uint8Array[] = [];
  for (let n = 0; n * TILE_WIDTH < level.length; n++) {
    const run = level.slice(n * TILE_WIDTH, (n + 1) * TILE_WIDTH);
    const data = new Uint8Array(run.length * HASH_SIZE);
    run.forEach((h, i) => data.set(h, i * HASH_SIZE));
    tiles.set(`${L}/${n}`, new ExpandedTile(data));
    if (run.length === TILE_WIDTH) up.push(tileRoot(data));
  }
  level = up;
}
console.log(`built and expanded ${tiles.size} tiles for ${SIZE} leaves in ${Math.round(performance.now() - t)} ms`);

const read: ReadNodes = (nodes) =>
  nodes.map((n) => {
    const { tile, start, count } = nodeInTile(n);
    return tiles.get(`${tile.level}/${tile.index}`)!.node(n.level % TILE_HEIGHT, start / count);
  });

function rate(label: string, ops: number, fn: (i: number) => void): void {
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    for (let i = 0; i < ops; i++) fn(i);
    rates.push((ops / (performance.now() - start)) * 1000);
  }
  rates.sort((a, b) => a - b);
  console.log(`  ${label.padEnd(44)} ${Math.round(rates[RUNS >> 1]).toLocaleString('en-US').padStart(10)} /s (median of ${RUNS})`);
}

const rand = (i: number, n: number) => Math.floor(((i * 2654435761) % 4294967296) / 4294967296 * n);
const sizes = [SIZE, SIZE - 12345];
for (const size of sizes) {
  const root = rootHash(size, read);
  console.log(`\ntree size ${size}:`);
  rate('inclusionProofNodes (planning only)', 50_000, (i) => inclusionProofNodes(rand(i, size), size));
  rate('inclusionProof (plan + read + fold)', 50_000, (i) => inclusionProof(rand(i, size), size, read));
  rate('consistencyProof', 50_000, (i) => consistencyProof(1 + rand(i, size - 1), size, read));
  rate('rootHash', 50_000, () => rootHash(size, read));
  const memo = new RangeMemo();
  rate('inclusionProof with a right-edge RangeMemo', 50_000, (i) => inclusionProof(rand(i, size), size, read, memo));
  rate('consistencyProof with a right-edge RangeMemo', 50_000, (i) => consistencyProof(1 + rand(i, size - 1), size, read, memo));
  rate('verifyInclusion', 20_000, (i) => {
    const idx = rand(i, size);
    verifyInclusion(leaf(idx), idx, size, inclusionProof(idx, size, read), root);
  });
}
t = performance.now();
