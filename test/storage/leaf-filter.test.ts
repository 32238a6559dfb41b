import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LeafFilter } from '../../src/storage/leaf-filter.js';
import { leafPrefix } from '../../src/storage/leaf-prefix.js';

const randomPrefix = () => leafPrefix(randomBytes(32));

describe('LeafFilter', () => {
  it('never forgets a leaf as it grows past its first size, and rejects nearly every other', () => {
    const f = new LeafFilter(1000);
    const added = Array.from({ length: 20_000 }, randomPrefix);
    for (const p of added) f.add(p);
    for (const p of added) expect(f.mayHave(p)).toBe(true);
    // 20k leaves in parts of 1k, 2k, ... 16k: each part ~0.8% false positives, a few parts' worth in all.
    let fp = 0;
    for (let i = 0; i < 20_000; i++) if (f.mayHave(randomPrefix())) fp++;
    expect(fp / 20_000).toBeLessThan(0.06);
    expect(f.bytes).toBeLessThan(64 * 1024);
  });

  it('keeps about 0.8% false positives in one part, as a filter over the full hash did', () => {
    const f = new LeafFilter(100_000);
    for (let i = 0; i < 100_000; i++) f.add(randomPrefix());
    let fp = 0;
    for (let i = 0; i < 100_000; i++) if (f.mayHave(randomPrefix())) fp++;
    expect(fp / 100_000).toBeLessThan(0.012);
  });

  it('tells apart prefixes that differ only in their high or low half', () => {
    const f = new LeafFilter(10);
    f.add(0x1234_0000_0001);
    expect(f.mayHave(0x1234_0000_0001)).toBe(true);
    expect(f.mayHave(0x1235_0000_0001)).toBe(false);
    expect(f.mayHave(0x1234_0000_0002)).toBe(false);
  });

  it('keeps the extreme prefixes (all bits set, none set, signed ends) in range', () => {
    const f = new LeafFilter(1);
    for (const b of [0xff, 0x00, 0x80, 0x7f]) {
      const p = leafPrefix(new Uint8Array(32).fill(b));
      f.add(p);
      expect(f.mayHave(p)).toBe(true);
    }
  });
});

describe('leafPrefix', () => {
  it('is the first 6 bytes, big-endian and signed, so SQLite stores it in 6 bytes', () => {
    const h = new Uint8Array(32).fill(0xee);
    h.set([0x01, 0x02, 0x03, 0x04, 0x05, 0x06]);
    expect(leafPrefix(h)).toBe(0x010203040506);
    h.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(leafPrefix(h)).toBe(-1);
    h.set([0x80, 0, 0, 0, 0, 0]);
    expect(leafPrefix(h)).toBe(-(2 ** 47));
    h.set([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(leafPrefix(h)).toBe(2 ** 47 - 1);
    const big = randomBytes(40);
    expect(leafPrefix(big.subarray(3, 35))).toBe(big.readIntBE(3, 6));
  });
});
