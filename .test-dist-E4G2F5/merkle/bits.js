/**
 * Tree arithmetic on sizes and indexes held as JS numbers (safe integers, up to 2^53).
 *
 * JS bit operators (>>, <<, &, |, ^) truncate their operands to 32 bits, which silently breaks
 * Merkle math above 2^31 leaves. Everything here uses division and remainder by powers of two
 * instead; Math.clz32 is only ever applied to values already known to be below 2^32.
 */
const TWO_32 = 2 ** 32;
/** POW2[k] = 2^k for k in 0..53: a table lookup is cheaper than Math.pow in proof planning loops. */
const POW2 = Array.from({ length: 54 }, (_, k) => 2 ** k);
/** isSafeIndex reports whether n is a non-negative safe integer, i.e. a valid size or index. */
export function isSafeIndex(n) {
    return Number.isSafeInteger(n) && n >= 0;
}
/** pow2 returns 2^k. */
export function pow2(k) {
    return POW2[k] ?? 2 ** k;
}
/** shiftRight returns floor(n / 2^k), the index of n's ancestor k levels up. */
export function shiftRight(n, k) {
    return Math.floor(n / 2 ** k);
}
/** lowBits returns n mod 2^k. */
export function lowBits(n, k) {
    return n % 2 ** k;
}
/** isOdd reports whether the lowest bit of n is set. */
export function isOdd(n) {
    return n % 2 === 1;
}
/** bitLength returns the number of bits needed to write n (0 for 0, 1 for 1, 3 for 4..7). */
export function bitLength(n) {
    if (n < TWO_32)
        return 32 - Math.clz32(n);
    return 64 - Math.clz32(Math.floor(n / TWO_32));
}
/** isPow2 reports whether n is an exact power of two (1, 2, 4, …). */
export function isPow2(n) {
    return n > 0 && POW2[bitLength(n) - 1] === n;
}
/** log2Exact returns k for n = 2^k; it throws (a bug) if n is not a power of two. */
export function log2Exact(n) {
    const k = bitLength(n) - 1;
    if (n <= 0 || 2 ** k !== n)
        throw new Error(`merkle: bad math: ${n} is not a power of two`);
    return k;
}
/**
 * largestPow2Below returns the largest power of two strictly less than n, the split point k of
 * RFC 6962 §2.1 ("k < n <= 2k"). n must be at least 2.
 */
export function largestPow2Below(n) {
    if (n < 2)
        throw new Error(`merkle: bad math: no power of two below ${n}`);
    return POW2[bitLength(n - 1) - 1];
}
/** trailingZeros returns the number of trailing zero bits of n > 0. */
export function trailingZeros(n) {
    if (n <= 0)
        throw new Error(`merkle: bad math: trailingZeros(${n})`);
    let k = 0;
    while (n % 2 === 0) {
        n /= 2; // exact: n is even
        k++;
    }
    return k;
}
/** countOnes returns the number of set bits of n, i.e. the number of perfect subtrees of a tree of size n. */
export function countOnes(n) {
    let c = 0;
    while (n > 0) {
        c += n % 2;
        n = Math.floor(n / 2);
    }
    return c;
}
