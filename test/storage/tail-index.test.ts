/** TailIndex (KeyIndex's in-memory tail) against a plain model, with keys whose hashes collide. */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyHash, TailIndex } from '../../src/storage/tail-index.js';

const SEED = 12345;
const leaves: Uint8Array[] = [];
const leaf = (n: number) => (leaves[n] ??= new Uint8Array(createHash('sha256').update(`leaf ${n}`).digest()));

/** Two distinct keys with the same 32-bit hash under SEED (found by a birthday search). */
function collidingPair(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const k = `email:user${i}@example.com`;
    const h = keyHash(SEED, k);
    const other = seen.get(h);
    if (other !== undefined) return [other, k];
    seen.set(h, k);
  }
}

describe('TailIndex', () => {
  const [c1, c2] = collidingPair();

  it('finds colliding keys apart', () => {
    expect(keyHash(SEED, c1)).toBe(keyHash(SEED, c2));
    const t = new TailIndex(10, SEED);
    t.add(leaf(0), [c1]);
    t.add(leaf(1), [c2, 'x']);
    t.add(leaf(2), [c1, c2]);
    expect(t.search(c1, 100)).toEqual([10, 12]);
    expect(t.search(c2, 100)).toEqual([11, 12]);
    expect(t.search(c2, 12)).toEqual([11]);
    expect(t.leafIndex(leaf(1))).toBe(11);
    expect(t.leafIndex(leaf(3))).toBeUndefined();
  });

  it('keeps answering while entries are dropped from the front and added at the end many times over', () => {
    const t = new TailIndex(5, SEED);
    let n = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 700; i++, n++) t.add(leaf(n), [`a${n % 3}`, 'all', `e${n}`]);
      t.dropBelow(5 + n - 100);
      expect(t.first).toBe(5 + n - 100);
      expect(t.search('all', Infinity)).toEqual(Array.from({ length: 100 }, (_, i) => 5 + n - 100 + i));
      expect(t.search(`e${n - 1}`, Infinity)).toEqual([5 + n - 1]);
      expect(t.search(`e${n - 101}`, Infinity)).toEqual([]);
      expect(t.leafIndex(leaf(n - 100))).toBe(5 + n - 100);
      expect(t.leafIndex(leaf(n - 101))).toBeUndefined();
    }
  });

  it('answers like a model through random adds, truncations and drops from the front', () => {
    const keyPool = [c1, c2, 'sha256:aa', 'pubkey:1', 'pubkey:2', ...Array.from({ length: 40 }, (_, i) => `k${i}`)];
    const op = fc.oneof(
      // n entries, entry i with key list i % lists.length: enough to grow the arrays and reclaim dropped entries.
      { weight: 6, arbitrary: fc.record({ add: fc.integer({ min: 1, max: 1400 }), lists: fc.array(fc.array(fc.constantFrom(...keyPool), { maxLength: 4 }), { minLength: 1, maxLength: 20 }) }) },
      { weight: 1, arbitrary: fc.record({ truncate: fc.nat(300) }) },
      { weight: 2, arbitrary: fc.record({ drop: fc.nat(1500) }) },
    );
    fc.assert(
      fc.property(fc.nat(1000), fc.array(op, { minLength: 4, maxLength: 30 }), (first, ops) => {
        const t = new TailIndex(first, SEED);
        // The model: entry first + i has model[i] (or undefined once dropped).
        let lo = first;
        const model: { leaf: number; keys: string[] }[] = [];
        let nextLeaf = 0;
        let step = 0;
        const hi = () => first + model.length;
        for (const o of ops) {
          if ('add' in o) {
            for (let i = 0; i < o.add; i++) {
              const keys = o.lists[i % o.lists.length];
              model.push({ leaf: nextLeaf, keys });
              t.add(leaf(nextLeaf++), keys);
            }
          } else if ('truncate' in o) {
            const size = Math.max(lo, hi() - o.truncate);
            model.length = size - first;
            t.truncate(size);
          } else {
            const to = Math.min(hi(), lo + o.drop);
            lo = Math.max(lo, to);
            t.dropBelow(to);
          }
          expect(t.first).toBe(lo);
          expect(t.size).toBe(hi() - lo);
          // After every step: the oldest, newest and a middle entry, and a few keys.
          for (const i of [lo - first - 1, lo - first, Math.floor((lo - first + model.length) / 2), model.length - 1]) {
            if (i >= 0 && i < model.length) expect(t.leafIndex(leaf(model[i].leaf))).toBe(first + i >= lo ? first + i : undefined);
          }
          for (const k of [c1, c2, keyPool[5 + (step++ % 40)]]) checkKey(k);
        }
        for (let i = Math.max(0, lo - first - 5); i < model.length; i++) {
          expect(t.leafIndex(leaf(model[i].leaf))).toBe(first + i >= lo ? first + i : undefined);
        }
        expect(t.leafIndex(leaf(nextLeaf))).toBeUndefined();
        for (const k of keyPool) checkKey(k);

        function checkKey(k: string): void {
          const below = lo + Math.floor((hi() - lo) / 2);
          const want: number[] = [];
          for (let i = lo - first; i < model.length; i++) if (model[i].keys.includes(k)) want.push(first + i);
          expect(t.search(k, hi())).toEqual(want);
          expect(t.search(k, below)).toEqual(want.filter((x) => x < below));
        }
      }),
      { numRuns: 60, seed: 7 },
    );
  });
});
