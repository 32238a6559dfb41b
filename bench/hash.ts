/**
 * bench/hash.ts compares SHA-256 implementations on the two input shapes the Merkle tree hashes:
 * an interior node (0x01 || left || right = 65 bytes) and a leaf (0x00 || ~300-byte entry).
 * It prints the median ops/s over RUNS timed runs per candidate and the ratio to node:crypto
 * createHash. Last, a batch of 1024 leaf hashes as the sequencer takes them: merkle.leafHashes (one
 * native call) against merkle.leafHash per body. Run: npx tsx bench/hash.ts
 */
import { createHash, hash as oneShot } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { hasNativeLeafHashes, leafHashes } from '../src/merkle/index.js';
import { leafHash } from '../src/merkle/index.js';

const RUNS = 7;
const MIN_MS = 200;

type Candidate = { name: string; fn: (input: Uint8Array) => Uint8Array };

const candidates: Candidate[] = [
  { name: 'node:crypto createHash', fn: (b) => createHash('sha256').update(b).digest() },
  { name: 'node:crypto hash (one-shot)', fn: (b) => oneShot('sha256', b, 'buffer') as unknown as Uint8Array },
  { name: '@noble/hashes sha256', fn: (b) => sha256(b) },
];

/** opsPerSecond runs fn on input for at least MIN_MS and returns its rate. */
function opsPerSecond(fn: (b: Uint8Array) => Uint8Array, input: Uint8Array): number {
  let ops = 0;
  let sink = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < MIN_MS) {
    for (let i = 0; i < 1000; i++) sink ^= fn(input)[0];
    ops += 1000;
    elapsed = performance.now() - start;
  }
  if (sink === 256) console.log(''); // keep the result alive
  return (ops / elapsed) * 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function bench(label: string, input: Uint8Array): void {
  console.log(`\n${label} (${input.length} bytes), median of ${RUNS} runs:`);
  for (const c of candidates) opsPerSecond(c.fn, input); // warm up every candidate first
  const rates = new Map<string, number>();
  for (const c of candidates) {
    const runs: number[] = [];
    for (let r = 0; r < RUNS; r++) runs.push(opsPerSecond(c.fn, input));
    rates.set(c.name, median(runs));
  }
  const base = rates.get(candidates[0].name)!;
  for (const [name, rate] of rates) {
    console.log(`  ${name.padEnd(30)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} ops/s  x${(rate / base).toFixed(2)}`);
  }
}

/** benchNodeHash times whole nodeHash(left, right) shapes: prefix handling included. */
function benchNodeHash(): void {
  const left = new Uint8Array(32).fill(3);
  const right = new Uint8Array(32).fill(4);
  const prefix = new Uint8Array([1]);
  const scratch = new Uint8Array(65);
  scratch[0] = 1;
  const shapes: Candidate[] = [
    { name: 'createHash 3x update', fn: () => createHash('sha256').update(prefix).update(left).update(right).digest() },
    {
      name: 'scratch + one-shot hash',
      fn: () => {
        scratch.set(left, 1);
        scratch.set(right, 33);
        return oneShot('sha256', scratch, 'buffer') as unknown as Uint8Array;
      },
    },
    {
      name: 'scratch + noble sha256',
      fn: () => {
        scratch.set(left, 1);
        scratch.set(right, 33);
        return sha256(scratch);
      },
    },
  ];
  console.log(`\nnodeHash(left, right) as implemented, median of ${RUNS} runs:`);
  for (const c of shapes) opsPerSecond(c.fn, scratch);
  const rates = shapes.map((c) => {
    const runs: number[] = [];
    for (let r = 0; r < RUNS; r++) runs.push(opsPerSecond(c.fn, scratch));
    return [c.name, median(runs)] as const;
  });
  for (const [name, rate] of rates) {
    console.log(`  ${name.padEnd(30)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} ops/s  x${(rate / rates[0][1]).toFixed(2)}`);
  }
}

const node = new Uint8Array(65).fill(7);
node[0] = 1;
const leaf = new Uint8Array(301).fill(9);
leaf[0] = 0;
bench('node hash', node);
bench('leaf hash', leaf);
benchNodeHash();

/** benchLeafBatch times a sequencer batch's leaf hashes (1024 bodies of ~350 bytes), per leaf. */
function benchLeafBatch(): void {
  const bodies = Array.from({ length: 1024 }, (_, i) => new Uint8Array(350).fill(i & 0xff));
  const perLeaf = (fn: () => unknown) => {
    const runs: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t0 = performance.now();
      for (let k = 0; k < 100; k++) fn();
      runs.push(((performance.now() - t0) * 1000) / (100 * bodies.length));
    }
    return median(runs);
  };
  perLeaf(() => leafHashes(bodies)); // warm up
  perLeaf(() => bodies.map(leafHash));
  const js = perLeaf(() => bodies.map(leafHash));
  const batch = perLeaf(() => leafHashes(bodies));
  console.log(`\nleaf hashes of a 1024-entry batch (350-byte bodies), median of ${RUNS} runs:`);
  console.log(`  merkle.leafHash per body (node:crypto)   ${js.toFixed(3)} µs/leaf`);
  console.log(`  merkle.leafHashes (${hasNativeLeafHashes() ? 'native, one call' : 'NO ADDON: JS fallback'})     ${batch.toFixed(3)} µs/leaf  x${(js / batch).toFixed(2)}`);
}
benchLeafBatch();
