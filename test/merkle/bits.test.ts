import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bits } from '../../src/merkle/index.js';

const MAX = Number.MAX_SAFE_INTEGER;
/** Sizes that straddle every 32-bit trap, plus anything up to 2^53 - 1. */
const big = fc.oneof(
  fc.integer({ min: 0, max: MAX }),
  fc.integer({ min: 2 ** 31 - 2, max: 2 ** 31 + 2 }),
  fc.integer({ min: 2 ** 32 - 2, max: 2 ** 32 + 2 }),
  fc.constantFrom(2 ** 52, 2 ** 53 - 1, 2 ** 40, 2 ** 40 + 1, 3 * 2 ** 33),
);
const B = (n: number) => BigInt(n);

describe('bits', () => {
  it.each([
    { n: 0, bitLength: 0, ones: 0 },
    { n: 1, bitLength: 1, ones: 1 },
    { n: 7, bitLength: 3, ones: 3 },
    { n: 8, bitLength: 4, ones: 1 },
    { n: 2 ** 31, bitLength: 32, ones: 1 },
    { n: 2 ** 32 - 1, bitLength: 32, ones: 32 },
    { n: 2 ** 32, bitLength: 33, ones: 1 },
    { n: 2 ** 32 + 1, bitLength: 33, ones: 2 },
    { n: 2 ** 53 - 1, bitLength: 53, ones: 53 },
  ])('bitLength and countOnes of $n', ({ n, bitLength, ones }) => {
    expect(bits.bitLength(n)).toBe(bitLength);
    expect(bits.countOnes(n)).toBe(ones);
  });

  it.each([
    { n: 2, k: 1 },
    { n: 3, k: 2 },
    { n: 4, k: 2 },
    { n: 5, k: 4 },
    { n: 2 ** 32, k: 2 ** 31 },
    { n: 2 ** 32 + 1, k: 2 ** 32 },
    { n: 2 ** 53 - 1, k: 2 ** 52 },
  ])('largestPow2Below($n) = $k', ({ n, k }) => {
    expect(bits.largestPow2Below(n)).toBe(k);
  });

  it('agrees with BigInt arithmetic on random sizes up to 2^53', () => {
    fc.assert(
      fc.property(big, fc.integer({ min: 0, max: 53 }), (n, k) => {
        const s = n.toString(2);
        expect(bits.bitLength(n)).toBe(n === 0 ? 0 : s.length);
        expect(bits.countOnes(n)).toBe(s.replaceAll('0', '').length);
        expect(bits.shiftRight(n, k)).toBe(Number(B(n) >> B(k)));
        expect(bits.lowBits(n, k)).toBe(Number(B(n) & ((1n << B(k)) - 1n)));
        expect(bits.isOdd(n)).toBe((B(n) & 1n) === 1n);
        expect(bits.isPow2(n)).toBe(n > 0 && (B(n) & (B(n) - 1n)) === 0n);
        if (n > 0) expect(bits.trailingZeros(n)).toBe(s.length - 1 - s.lastIndexOf('1'));
        if (n >= 2) {
          const want = 1n << B((n - 1).toString(2).length - 1);
          expect(bits.largestPow2Below(n)).toBe(Number(want));
        }
        expect(bits.isSafeIndex(n)).toBe(true);
      }),
      { numRuns: 2000, seed: 53 },
    );
  });

  it('log2Exact and the bug guards', () => {
    expect(bits.log2Exact(2 ** 40)).toBe(40);
    expect(bits.pow2(40)).toBe(2 ** 40);
    expect(() => bits.log2Exact(2 ** 40 + 2)).toThrow(/bad math/);
    expect(() => bits.largestPow2Below(1)).toThrow(/bad math/);
    expect(() => bits.trailingZeros(0)).toThrow(/bad math/);
    expect(bits.isSafeIndex(-1)).toBe(false);
    expect(bits.isSafeIndex(2 ** 53)).toBe(false);
    expect(bits.isSafeIndex(0.5)).toBe(false);
  });
});
