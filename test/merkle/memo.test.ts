import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consistencyProof, inclusionProof, RangeMemo, rootHash } from '../../src/merkle/index.js';
import { refReader, sameHashes } from './helpers.js';
import { ReferenceTree } from './reference.js';

const ref = new ReferenceTree();
for (let i = 0; i < 700; i++) ref.push(new TextEncoder().encode(`memo leaf ${i}`));
const reader = refReader(ref);

describe('RangeMemo', () => {
  it('proofs and roots through a shared memo equal the memo-free ones, over many calls', () => {
    const memo = new RangeMemo(64); // small, so clearing when full is exercised too
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 700 }), fc.nat(), fc.nat(), (size, a, b) => {
        const read = reader.within(size);
        const index = a % size;
        const m = b % (size + 1);
        expect(sameHashes(inclusionProof(index, size, read, memo), inclusionProof(index, size, read))).toBe(true);
        expect(sameHashes(consistencyProof(m, size, read, memo), consistencyProof(m, size, read))).toBe(true);
        expect(Buffer.compare(rootHash(size, read, memo), ref.mth(0, size))).toBe(0);
      }),
      { numRuns: 600 },
    );
  });

  it('remembers only ragged ranges, and a remembered right edge spares the fold and the read', () => {
    const memo = new RangeMemo();
    const size = 613; // 512 + 64 + 32 + 4 + 1: ragged right edges
    rootHash(size, reader.within(size), memo);
    expect(memo.get(0, size)).toEqual(ref.mth(0, size));
    expect(memo.get(0, 512)).toBeUndefined(); // a perfect subtree is a single read, never memoized
    const read = reader.within(size);
    expect(Buffer.compare(rootHash(size, read, memo), ref.mth(0, size))).toBe(0);
    expect(reader.calls).toBe(0);
  });

  it('hands out copies: mutating a returned hash does not poison the memo', () => {
    const memo = new RangeMemo();
    const size = 613;
    const first = rootHash(size, reader.within(size), memo);
    first.fill(0);
    expect(Buffer.compare(rootHash(size, reader.within(size), memo), ref.mth(0, size))).toBe(0);
  });
});
