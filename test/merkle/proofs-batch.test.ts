/** inclusionProofs (a batch's receipts) against one inclusionProof per leaf and the RFC ranges. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inclusionProof, inclusionProofs, RangeMemo } from '../../src/merkle/index.js';
import { hex, LazyTree } from './helpers.js';
import { refInclusionRanges } from './reference.js';

describe('inclusionProofs', () => {
  const CAP = 2 ** 20;
  const tree = new LazyTree(CAP);
  const reader = tree.reader();

  it('equals inclusionProof for every leaf of random ranges, with one read', () => {
    const memo = new RangeMemo(64);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: CAP }).chain((n) =>
          fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 }).chain((a) => fc.tuple(fc.constant(a), fc.integer({ min: a, max: Math.min(n, a + 600) })))),
        ),
        fc.boolean(),
        ([n, [from, to]], withMemo) => {
          const proofs = inclusionProofs(from, to, n, reader.within(n), withMemo ? memo : undefined);
          reader.expectCalls(n === 1 || from === to ? 0 : 1);
          expect(proofs.length).toBe(to - from);
          for (let i = from; i < to; i++) {
            const want = inclusionProof(i, n, reader.within(n));
            expect(proofs[i - from].map(hex)).toEqual(want.map(hex));
          }
          // Spot-check one proof against the RFC's definition directly, not only against inclusionProof.
          if (to > from) {
            const i = from + ((to - from) >> 1);
            const ref = refInclusionRanges(BigInt(i), BigInt(n)).map(([a, b]) => hex(tree.mth(Number(a), Number(b))));
            expect(proofs[i - from].map(hex)).toEqual(ref);
          }
        },
      ),
      { numRuns: 60, seed: 1024 },
    );
  });

  it('covers a whole small tree at every size: the right edge, where batches land', () => {
    for (let n = 1; n <= 300; n++) {
      const from = Math.max(0, n - 70);
      const proofs = inclusionProofs(from, n, n, reader.within(n));
      for (let i = from; i < n; i++) expect(proofs[i - from].map(hex)).toEqual(inclusionProof(i, n, reader.within(n)).map(hex));
    }
  });

  it('rejects ranges outside the tree', () => {
    const never = () => {
      throw new Error('read');
    };
    expect(() => inclusionProofs(3, 6, 5, never)).toThrow(/not below tree size/);
    expect(() => inclusionProofs(4, 2, 5, never)).toThrow(/below its start/);
    expect(() => inclusionProofs(-1, 2, 5, never)).toThrow(/non-negative/);
    expect(() => inclusionProofs(0, 1, 0, never)).toThrow(/not below tree size/);
    expect(inclusionProofs(2, 2, 5, never)).toEqual([]);
  });
});
