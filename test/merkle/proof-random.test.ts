/** Random inclusion and consistency proofs on trees of up to 2^20 leaves, against the RFC ranges. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consistencyProof, inclusionProof, rootHash, verifyConsistency, verifyInclusion } from '../../src/merkle/index.js';
import { hex, LazyTree } from './helpers.js';
import { refConsistencyRanges, refInclusionRanges, type BigRange } from './reference.js';

describe('random proofs on trees up to 2^20', () => {
  const CAP = 2 ** 20;
  const tree = new LazyTree(CAP);
  const reader = tree.reader();
  const toRanges = (rs: BigRange[]) => rs.map(([a, b]) => [Number(a), Number(b)] as const);

  it('inclusion proofs equal PATH and verify against rootHash', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: CAP }).chain((n) => fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.constant(n))), ([i, n]) => {
        const root = rootHash(n, reader.within(n));
        expect(hex(root)).toBe(hex(tree.mth(0, n)));
        const proof = inclusionProof(i, n, reader.within(n));
        reader.expectCalls(n === 1 ? 0 : 1);
        const want = toRanges(refInclusionRanges(BigInt(i), BigInt(n))).map(([a, b]) => tree.mth(a, b));
        expect(proof.map(hex)).toEqual(want.map(hex));
        verifyInclusion(tree.node(0, i), i, n, proof, root);
      }),
      { numRuns: 150, seed: 6962 },
    );
  });

  it('consistency proofs equal PROOF and verify between the two roots', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: CAP }).chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n))), ([m, n]) => {
        const proof = consistencyProof(m, n, reader.within(n));
        reader.expectCalls(m === 0 || m === n ? 0 : 1);
        const want = toRanges(refConsistencyRanges(BigInt(m), BigInt(n))).map(([a, b]) => tree.mth(a, b));
        expect(proof.map(hex)).toEqual(want.map(hex));
        verifyConsistency(m, n, proof, rootHash(m, reader.within(m)), rootHash(n, reader.within(n)));
      }),
      { numRuns: 150, seed: 9162 },
    );
  });
});
