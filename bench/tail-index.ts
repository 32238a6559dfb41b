// The key index's in-memory tail: add + duplicate lookup per entry (3 search keys each, as the
// append bench has), TailIndex against the Map-per-index structure it replaced (kept here only
// as the baseline), both on the same inputs in the same run.
// Usage: node --expose-gc --import tsx bench/tail-index.ts [runs=5]
import { createHash } from 'node:crypto';
import { TailIndex } from '../src/storage/tail-index.js';
import { fmt, machine, median } from './lib.js';

const runs = Number(process.argv[2] ?? 5);
const N = 204_800;

/** The previous tail: leaf hashes as latin1 strings in a Map, each search key → number[]. */
class MapTail {
  private readonly leaves = new Map<string, number>();
  private readonly keys = new Map<string, number[]>();
  private readonly tail: { leaf: string; keys: readonly string[] }[] = [];
  leafIndex(h: Uint8Array): number | undefined {
    return this.leaves.get(Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('latin1'));
  }
  add(h: Uint8Array, keys: readonly string[]): void {
    const leaf = Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('latin1');
    this.leaves.set(leaf, this.tail.length);
    for (const k of keys) {
      const list = this.keys.get(k);
      if (list) list.push(this.tail.length);
      else this.keys.set(k, [this.tail.length]);
    }
    this.tail.push({ leaf, keys });
  }
}

const hashes = Array.from({ length: N }, (_, i) => new Uint8Array(createHash('sha256').update(`leaf ${i}`).digest()));
const keys = Array.from({ length: N }, (_, i) => [`sha256:${i.toString(16).padStart(64, '0')}`, `pubkey:${i % 1000}`, `email:u${i % 5000}@example.com`]);

function time(make: () => { leafIndex(h: Uint8Array): number | undefined; add(h: Uint8Array, k: readonly string[]): void }): number {
  (globalThis as { gc?: () => void }).gc?.();
  const t = make();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    if (t.leafIndex(hashes[i]) !== undefined) throw new Error('unexpected duplicate');
    t.add(hashes[i], keys[i]);
  }
  return ((performance.now() - t0) * 1000) / N;
}

console.log(`tail index benchmark — ${machine()} — ${fmt(N)} entries, median of ${runs} runs`);
const base: number[] = [];
const ours: number[] = [];
for (let r = 0; r < runs; r++) {
  base.push(time(() => new MapTail()));
  ours.push(time(() => new TailIndex(0)));
}
const b = median(base);
const o = median(ours);
console.log(`Map per index (baseline): ${b.toFixed(2)} µs/entry  (runs: ${base.map((x) => x.toFixed(2)).join(', ')})`);
console.log(`TailIndex:                ${o.toFixed(2)} µs/entry  (runs: ${ours.map((x) => x.toFixed(2)).join(', ')})  ${(b / o).toFixed(2)}x faster`);
