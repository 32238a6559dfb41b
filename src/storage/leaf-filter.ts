/**
 * LeafFilter is a Bloom filter over leaf hashes: "certainly not in the log" for nearly every new
 * leaf without a trip to index.db. Why: a SQLite lookup of a random key from the event loop costs
 * ~15 µs while index.db's worker is writing (the page cache is discarded at each of its commits),
 * and every submission needs one. A "maybe" (a real duplicate, or ~1% false positives) still asks
 * index.db, so answers stay exact. Nothing is ever removed (a forgotten leaf only costs a lookup).
 *
 * It holds leaves by their 48-bit prefix (leaf-prefix.ts), which is all index.db keeps to rebuild
 * it from at start. Leaf hashes are SHA-256 outputs, uniformly random, so the prefix is too: the
 * K bit positions are double hashing (h1 + i·h2) of its two halves. It grows by adding a filter
 * twice the size of the last when that one is full (a scalable Bloom filter), so it never needs a
 * rebuild.
 */
export class LeafFilter {
  private readonly parts: { bits: Uint32Array; m: number; count: number; capacity: number }[] = [];

  constructor(capacity: number) {
    this.grow(Math.max(1024, capacity));
  }

  /** add adds a leaf by its prefix (leafPrefix). */
  add(prefix: number): void {
    let p = this.parts[this.parts.length - 1];
    if (p.count >= p.capacity) p = this.grow(p.capacity * 2);
    const h1 = prefix >>> 0;
    const h2 = second(prefix, h1);
    for (let i = 0; i < K; i++) {
      const bit = position(h1, h2, i, p.m);
      p.bits[bit >>> 5] |= 1 << (bit & 31);
    }
    p.count++;
  }

  /** mayHave is false only for a leaf prefix never added. */
  mayHave(prefix: number): boolean {
    const h1 = prefix >>> 0;
    const h2 = second(prefix, h1);
    for (const p of this.parts) {
      let all = true;
      for (let i = 0; i < K && all; i++) {
        const bit = position(h1, h2, i, p.m);
        all = (p.bits[bit >>> 5] & (1 << (bit & 31))) !== 0;
      }
      if (all) return true;
    }
    return false;
  }

  /** bytes is the filter's memory (for metrics and the docs). */
  get bytes(): number {
    return this.parts.reduce((n, p) => n + p.bits.byteLength, 0);
  }

  private grow(capacity: number): (typeof this.parts)[number] {
    const m = Math.ceil((capacity * BITS_PER_LEAF) / 32) * 32;
    const p = { bits: new Uint32Array(m / 32), m, count: 0, capacity };
    this.parts.push(p);
    return p;
  }
}

// 10 bits and 7 probes a leaf: ~0.8% false positives per part (the Bloom optimum for that size).
const BITS_PER_LEAF = 10;
const K = 7;

/** second is the double-hashing step: the prefix's high 16 bits mixed with its low word, odd. */
function second(prefix: number, h1: number): number {
  const hi = Math.floor(prefix / 0x100000000) & 0xffff;
  return (Math.imul(hi ^ (h1 >>> 16) ^ (h1 << 16), 0x9e3779b1) | 1) >>> 0;
}

/**
 * position maps the i-th probe word (h1 + i·h2 mod 2^32) onto [0, m) by multiplying, not by
 * `% m`: an unsigned word past 2^31 makes V8 take a floating-point remainder (a call into C),
 * and there are 7 per add and per lookup. Exact enough: w * m < 2^63 rounds by at most 2^10, far
 * less than m (at least 10240), so the result stays below m. The positions only live in memory
 * (the filter is rebuilt at start).
 */
function position(h1: number, h2: number, i: number, m: number): number {
  const w = (h1 + Math.imul(i, h2)) >>> 0;
  return Math.floor(w * m * 2 ** -32);
}
