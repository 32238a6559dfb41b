/**
 * LeafFilter is a Bloom filter over leaf hashes: "certainly not in the log" for nearly every new
 * leaf without a trip to index.db. Why: a SQLite lookup of a random key from the event loop costs
 * ~15 µs while index.db's worker is writing (the page cache is discarded at each of its commits),
 * and every submission needs one. A "maybe" (a real duplicate, or ~1% false positives) still asks
 * index.db, so answers stay exact. Nothing is ever removed (a forgotten leaf only costs a lookup).
 *
 * Leaf hashes are SHA-256 outputs, uniformly random: the filter's K bit positions are simply K of
 * the hash's 32-bit words, no further hashing needed. It grows by adding a filter twice the size
 * of the last when that one is full (a scalable Bloom filter), so it never needs a rebuild.
 */
export class LeafFilter {
    parts = [];
    constructor(capacity) {
        this.grow(Math.max(1024, capacity));
    }
    add(leafHash) {
        let p = this.parts[this.parts.length - 1];
        if (p.count >= p.capacity)
            p = this.grow(p.capacity * 2);
        for (let i = 0; i < K; i++) {
            const bit = position(leafHash, i, p.m);
            p.bits[bit >>> 5] |= 1 << (bit & 31);
        }
        p.count++;
    }
    /** mayHave is false only for a leaf hash never added. */
    mayHave(leafHash) {
        for (const p of this.parts) {
            let all = true;
            for (let i = 0; i < K && all; i++) {
                const bit = position(leafHash, i, p.m);
                all = (p.bits[bit >>> 5] & (1 << (bit & 31))) !== 0;
            }
            if (all)
                return true;
        }
        return false;
    }
    /** bytes is the filter's memory (for metrics and the docs). */
    get bytes() {
        return this.parts.reduce((n, p) => n + p.bits.byteLength, 0);
    }
    grow(capacity) {
        const m = Math.ceil((capacity * BITS_PER_LEAF) / 32) * 32;
        const p = { bits: new Uint32Array(m / 32), m, count: 0, capacity };
        this.parts.push(p);
        return p;
    }
}
// 10 bits and 7 probes a leaf: ~0.8% false positives per part (the Bloom optimum for that size).
const BITS_PER_LEAF = 10;
const K = 7;
/**
 * position maps the hash's i-th 32-bit word onto [0, m) by multiplying, not by `% m`: an
 * unsigned word past 2^31 makes V8 take a floating-point remainder (a call into C), and there
 * are 7 per add and per lookup (~40% of the filter's time). Exact enough: w * m < 2^63 rounds
 * by at most 2^10, far less than m (at least 10240), so the result stays below m. The positions
 * only live in memory (the filter is rebuilt at start).
 */
function position(h, i, m) {
    const o = 4 * i;
    const w = (h[o] | (h[o + 1] << 8) | (h[o + 2] << 16) | (h[o + 3] << 24)) >>> 0;
    return Math.floor(w * m * 2 ** -32);
}
