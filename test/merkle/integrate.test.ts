import { describe, expect, it } from 'vitest';
import { HASH_SIZE, TILE_WIDTH, integrate, leafHash, nodeHash, nodeInTile, rootHash, tileWidthAt, tilesBetween, type ReadNodes } from '../../src/merkle/index.js';
import { CompactRange } from './compact-range.js';
import { hex } from './helpers.js';

/** A tile store in a map: what integrate returns is stored, and nodes are read from it. */
class MapTiles {
  readonly tiles = new Map<string, Uint8Array>();
  edge = (level: number, index: number) => this.tiles.get(`${level}/${index}`);
  put(level: number, index: number, data: Uint8Array) {
    this.tiles.set(`${level}/${index}`, data);
  }
  readonly read: ReadNodes = (nodes) =>
    nodes.map((n) => {
      const { tile, start, count } = nodeInTile(n);
      const data = this.tiles.get(`${tile.level}/${tile.index}`)!;
      let hs: Uint8Array[] = [];
      for (let i = start; i < start + count; i++) hs.push(data.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
      while (hs.length > 1) hs = hs.flatMap((_, i) => (i % 2 ? [] : [nodeHash(hs[i], hs[i + 1])]));
      return hs[0];
    });
}

const leaf = (i: number) => leafHash(new TextEncoder().encode(`leaf ${i}`));

// The differential check of Tessera's TestIntegrate: the tiles integrate builds, batch after batch
// of uneven sizes, hash to the same root as a compact range fed the same leaves one by one.
describe('integrate', () => {
  it.each([
    ['single leaves', [1], 600],
    ['batches of 7', [7], 1200],
    ['batches of 255, 256 and 257', [255, 256, 257], 70_000],
    ['one batch crossing a level-1 tile', [66_000], 66_000],
  ])('builds tiles whose root equals a compact range root: %s', (_name, sizes, total) => {
    const store = new MapTiles();
    const range = new CompactRange();
    let size = 0;
    for (let b = 0; size < total; b++) {
      const n = Math.min(sizes[b % sizes.length], total - size);
      const hashes = Array.from({ length: n }, (_, i) => leaf(size + i));
      const updates = integrate(size, hashes, store.edge);
      // It returns exactly the tiles that changed, each at its width in the new tree.
      expect(updates.map((u) => `${u.level}/${u.index}/${u.data.length / HASH_SIZE}`)).toEqual(tilesBetween(size, size + n).map((t) => `${t.level}/${t.index}/${t.width}`));
      for (const u of updates) {
        expect(u.data.length / HASH_SIZE).toBe(tileWidthAt(size + n, u.level, u.index));
        if (u.data.length === TILE_WIDTH * HASH_SIZE) expect(u.expanded).toBeDefined();
        store.put(u.level, u.index, u.data);
      }
      for (const h of hashes) range.append(h);
      size += n;
      expect(hex(rootHash(size, store.read)), `size ${size}`).toBe(hex(range.root()));
    }
  });

  it('refuses an edge tile that does not match the old size (a bug)', () => {
    expect(() => integrate(3, [leaf(3)], () => new Uint8Array(2 * HASH_SIZE))).toThrow(/partial tile 0\/0/);
    expect(() => integrate(3, [leaf(3)], () => undefined)).toThrow(/partial tile 0\/0/);
  });
});
