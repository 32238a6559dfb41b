import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import vectors from '../vectors/rfc6962.json' with { type: 'json' };
import {
  consistencyProof,
  consistencyProofNodes,
  EMPTY_ROOT,
  inclusionProof,
  inclusionProofNodes,
  leafHash,
  nodeHash,
  rootHash,
  rootNodes,
  verifyConsistency,
  verifyInclusion,
  type NodeId,
} from '../../src/merkle/index.js';
import { isCairnError } from '../../src/errors.js';
import { hex, LazyTree, refReader, sameHashes, unhex } from './helpers.js';
import { refConsistencyRanges, refInclusionRanges, ReferenceTree, type BigRange } from './reference.js';

const vectorTree = new ReferenceTree();
for (const d of vectors.leaves) vectorTree.push(unhex(d));

describe('RFC 6962 test vectors', () => {
  const reader = refReader(vectorTree);

  it('hashes every perfect node of the 8-leaf tree', () => {
    vectors.nodes.byLevel[0].forEach((want, i) => expect(hex(leafHash(unhex(vectors.leaves[i])))).toBe(want));
    for (let level = 1; level < vectors.nodes.byLevel.length; level++) {
      vectors.nodes.byLevel[level].forEach((want, i) => {
        const below = vectors.nodes.byLevel[level - 1];
        expect(hex(nodeHash(unhex(below[2 * i]), unhex(below[2 * i + 1])))).toBe(want);
      });
    }
  });

  it.each(vectors.roots.bySize.map((root, size) => ({ size, root })))('root of size $size', ({ size, root }) => {
    expect(hex(rootHash(size, reader.within(size)))).toBe(root);
    reader.expectCalls(size === 0 ? 0 : 1);
    expect(hex(vectorTree.mth(0, size))).toBe(root);
  });

  it.each(vectors.inclusion)('inclusion proof of leaf $index in size $size', ({ index, size, proof }) => {
    expect(inclusionProof(index, size, reader.within(size)).map(hex)).toEqual(proof);
    expect(vectorTree.inclusion(index, size).map(hex)).toEqual(proof);
    const leaf = leafHash(unhex(vectors.leaves[index]));
    verifyInclusion(leaf, index, size, proof.map(unhex), unhex(vectors.roots.bySize[size]));
  });

  it.each(vectors.consistency)('consistency proof $m → $n', ({ m, n, proof }) => {
    expect(consistencyProof(m, n, reader.within(n)).map(hex)).toEqual(proof);
    expect(vectorTree.consistency(m, n).map(hex)).toEqual(proof);
    verifyConsistency(m, n, proof.map(unhex), unhex(vectors.roots.bySize[m]), unhex(vectors.roots.bySize[n]));
  });
});

describe('exhaustive against the RFC reference', () => {
  const MAX = 300;
  it(`every inclusion and consistency proof for sizes 1..${MAX}, one read each, verified`, () => {
    const ref = new ReferenceTree();
    const reader = refReader(ref);
    const failures: string[] = [];
    let proofs = 0;
    for (let n = 1; n <= MAX; n++) {
      ref.push(new TextEncoder().encode(`leaf ${n - 1}`));
      const root = rootHash(n, reader.within(n));
      if (reader.calls !== 1 || !sameHashes([root], [ref.mth(0, n)])) failures.push(`root ${n}`);
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(i, n, reader.within(n));
        if (reader.calls !== (n === 1 ? 0 : 1)) failures.push(`inclusion ${i}/${n}: ${reader.calls} reads`);
        if (!sameHashes(proof, ref.inclusion(i, n))) failures.push(`inclusion ${i}/${n} differs from PATH`);
        verifyInclusion(ref.leafHashes[i], i, n, proof, root);
        proofs++;
      }
      for (let m = 0; m <= n; m++) {
        const proof = consistencyProof(m, n, reader.within(n));
        if (reader.calls !== (m === 0 || m === n ? 0 : 1)) failures.push(`consistency ${m}/${n}: ${reader.calls} reads`);
        if (!sameHashes(proof, ref.consistency(m, n))) failures.push(`consistency ${m}/${n} differs from PROOF`);
        verifyConsistency(m, n, proof, ref.mth(0, m), root);
        proofs++;
      }
    }
    expect(failures).toEqual([]);
    expect(proofs).toBe((MAX * (MAX + 1)) / 2 + (MAX * (MAX + 3)) / 2);
  });
});

/** checkDecomposition asserts that nodes are the perfect subtrees of [start, end), largest first. */
function checkDecomposition(nodes: readonly NodeId[], [start, end]: BigRange): void {
  let at = start;
  let lastLevel = Infinity;
  for (const n of nodes) {
    expect(Number.isSafeInteger(n.index) && n.index >= 0).toBe(true);
    expect(n.level).toBeLessThan(lastLevel);
    lastLevel = n.level;
    const width = 2n ** BigInt(n.level);
    expect(BigInt(n.index) * width).toBe(at);
    at += width;
  }
  expect(at).toBe(end);
  // Each range of a proof is a perfect subtree or the right edge of one: its pieces are its set bits.
  expect(nodes.length).toBe((end - start).toString(2).replaceAll('0', '').length);
}

describe('planning beyond 2^32 (no 32-bit arithmetic)', () => {
  const MAX = Number.MAX_SAFE_INTEGER;
  const bigSize = fc.oneof(
    fc.integer({ min: 2 ** 32 - 3, max: 2 ** 32 + 3 }),
    fc.integer({ min: 2 ** 31, max: MAX }),
    fc.constantFrom(2 ** 32, 2 ** 33 + 1, 2 ** 52, 2 ** 53 - 1, 2 ** 40 + 2 ** 31 + 7),
  );

  it('rootNodes(size) is the binary decomposition of size', () => {
    fc.assert(
      fc.property(bigSize, (n) => checkDecomposition(rootNodes(n), [0n, BigInt(n)])),
      { numRuns: 300, seed: 1 },
    );
  });

  it('inclusionProofNodes matches the RFC PATH ranges', () => {
    fc.assert(
      fc.property(
        bigSize.chain((n) => fc.tuple(fc.oneof(fc.integer({ min: 0, max: n - 1 }), fc.constantFrom(0, n - 1, Math.floor(n / 2))), fc.constant(n))),
        ([i, n]) => {
          const plan = inclusionProofNodes(i, n);
          const ranges = refInclusionRanges(BigInt(i), BigInt(n));
          expect(plan.length).toBe(ranges.length);
          plan.forEach((nodes, e) => checkDecomposition(nodes, ranges[e]));
        },
      ),
      { numRuns: 300, seed: 2 },
    );
  });

  it('consistencyProofNodes matches the RFC PROOF ranges', () => {
    fc.assert(
      fc.property(
        bigSize.chain((n) => fc.tuple(fc.oneof(fc.integer({ min: 0, max: n }), fc.constantFrom(1, 2 ** 32, n - 1)), fc.constant(n))),
        ([m, n]) => {
          fc.pre(m <= n);
          const plan = consistencyProofNodes(m, n);
          const ranges = refConsistencyRanges(BigInt(m), BigInt(n));
          expect(plan.length).toBe(ranges.length);
          plan.forEach((nodes, e) => checkDecomposition(nodes, ranges[e]));
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });
});

describe('bad requests', () => {
  const never = () => {
    throw new Error('must not read');
  };
  it.each([
    { name: 'index == size', fn: () => inclusionProof(5, 5, never) },
    { name: 'index > size', fn: () => inclusionProof(9, 5, never) },
    { name: 'empty tree', fn: () => inclusionProof(0, 0, never) },
    { name: 'negative index', fn: () => inclusionProof(-1, 5, never) },
    { name: 'fractional index', fn: () => inclusionProof(1.5, 5, never) },
    { name: 'unsafe size', fn: () => inclusionProof(0, 2 ** 53, never) },
    { name: 'NaN size', fn: () => rootHash(NaN, never) },
    { name: 'negative size', fn: () => rootNodes(-1) },
    { name: 'm > n', fn: () => consistencyProof(6, 5, never) },
    { name: 'plan m > n', fn: () => consistencyProofNodes(6, 5) },
    { name: 'plan index >= size', fn: () => inclusionProofNodes(3, 3) },
  ])('$name → BAD_REQUEST', ({ fn }) => {
    expect(fn).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    try {
      fn();
    } catch (e) {
      expect(isCairnError(e, 'BAD_REQUEST')).toBe(true);
    }
  });

  it('empty tree root is EMPTY_ROOT without a read', () => {
    expect(hex(rootHash(0, never))).toBe(hex(EMPTY_ROOT));
  });

  it('a reader returning the wrong number of hashes is a bug, not a bad request', () => {
    expect(() => rootHash(3, () => [EMPTY_ROOT])).toThrow(/ReadNodes returned 1 hashes for 2 nodes/);
    expect(() => rootHash(1, () => [new Uint8Array(5)])).toThrow(/5-byte hash/);
  });
});
