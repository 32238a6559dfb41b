import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LeafFilter } from '../../src/storage/leaf-filter.js';

describe('LeafFilter', () => {
  it('never forgets a leaf as it grows past its first size, and rejects nearly every other', () => {
    const f = new LeafFilter(1000);
    const added = Array.from({ length: 20_000 }, () => new Uint8Array(randomBytes(32)));
    for (const h of added) f.add(h);
    for (const h of added) expect(f.mayHave(h)).toBe(true);
    // 20k leaves in parts of 1k, 2k, ... 16k: each part ~0.8% false positives, a few parts' worth in all.
    let fp = 0;
    for (let i = 0; i < 20_000; i++) if (f.mayHave(new Uint8Array(randomBytes(32)))) fp++;
    expect(fp / 20_000).toBeLessThan(0.06);
    expect(f.bytes).toBeLessThan(64 * 1024);
  });

  it('reads the hash itself, including one that is a view into a larger buffer', () => {
    const f = new LeafFilter(10);
    const big = randomBytes(100);
    f.add(big.subarray(3, 35));
    expect(f.mayHave(new Uint8Array(big.subarray(3, 35)))).toBe(true);
    expect(f.mayHave(new Uint8Array(big.subarray(4, 36)))).toBe(false);
  });

  it('keeps the extreme hashes (all bits set, none set) in range', () => {
    const f = new LeafFilter(1);
    for (const b of [0xff, 0x00, 0x80, 0x7f]) {
      const h = new Uint8Array(32).fill(b);
      f.add(h);
      expect(f.mayHave(h)).toBe(true);
    }
  });
});
