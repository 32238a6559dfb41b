import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '../../src/errors.js';
import {
  entriesPath,
  ExpandedTile,
  inclusionProof,
  nodeInTile,
  parseTilePath,
  rootHash,
  subtreeHash,
  TILE_HEIGHT,
  TILE_WIDTH,
  tilePath,
  tileNodesJs as tileNodes,
  tileRoot,
  tilesBetween,
  tilesForSize,
  type NodeId,
  type ReadNodes,
  type Tile,
} from '../../src/merkle/index.js';
import { hex, LazyTree } from './helpers.js';

const MAX = Number.MAX_SAFE_INTEGER;

describe('tile paths', () => {
  it.each([
    { tile: { level: 0, index: 1234067, width: 256 }, path: 'tile/0/x001/x234/067' },
    { tile: { level: 1, index: 5, width: 17 }, path: 'tile/1/005.p/17' },
    { tile: { level: 0, index: 0, width: 256 }, path: 'tile/0/000' },
    { tile: { level: 2, index: 999, width: 1 }, path: 'tile/2/999.p/1' },
    { tile: { level: 3, index: 1000, width: 255 }, path: 'tile/3/x001/000.p/255' },
    { tile: { level: 63, index: MAX, width: 256 }, path: 'tile/63/x009/x007/x199/x254/x740/991' },
    { tile: { level: 0, index: 2 ** 32, width: 256 }, path: 'tile/0/x004/x294/x967/296' },
  ])('$path', ({ tile, path }) => {
    expect(tilePath(tile)).toBe(path);
    expect(parseTilePath(path)).toEqual({ ...tile, entries: false });
  });

  it.each([
    { index: 1234, width: 5, path: 'tile/entries/x001/234.p/5' },
    { index: 1234067, width: 256, path: 'tile/entries/x001/x234/067' },
    { index: 0, width: 1, path: 'tile/entries/000.p/1' },
  ])('$path', ({ index, width, path }) => {
    expect(entriesPath(index, width)).toBe(path);
    expect(parseTilePath(path)).toEqual({ level: 0, index, width, entries: true });
  });

  it('round-trips every tile up to index 2^53 - 1', () => {
    const tile = fc.record({
      level: fc.integer({ min: 0, max: 63 }),
      index: fc.oneof(fc.integer({ min: 0, max: MAX }), fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 2 ** 32 - 5, max: 2 ** 32 + 5 })),
      width: fc.oneof(fc.constant(256), fc.integer({ min: 1, max: 256 })),
    });
    fc.assert(
      fc.property(tile, fc.boolean(), (t, entries) => {
        const path = entries ? entriesPath(t.index, t.width) : tilePath(t);
        expect(parseTilePath(path)).toEqual({ ...t, level: entries ? 0 : t.level, entries });
      }),
      { numRuns: 1000, seed: 8 },
    );
  });

  it.each([
    { name: 'empty', path: '' },
    { name: 'leading slash', path: '/tile/0/000' },
    { name: 'trailing slash', path: 'tile/0/000/' },
    { name: 'no index', path: 'tile/0' },
    { name: 'no index, trailing slash', path: 'tile/0/' },
    { name: 'not a tile', path: 'tiles/0/000' },
    { name: 'level with leading zero', path: 'tile/00/000' },
    { name: 'level 01', path: 'tile/01/000' },
    { name: 'level 64', path: 'tile/64/000' },
    { name: 'level 100', path: 'tile/100/000' },
    { name: 'negative level', path: 'tile/-1/000' },
    { name: 'level in exponent form', path: 'tile/1e1/000' },
    { name: 'missing level', path: 'tile//000' },
    { name: 'short element', path: 'tile/0/12' },
    { name: 'long element', path: 'tile/0/0123' },
    { name: 'missing x', path: 'tile/0/001/234' },
    { name: 'x on the last element', path: 'tile/0/x001' },
    { name: 'uppercase X', path: 'tile/0/X001/234' },
    { name: 'non-canonical leading x000', path: 'tile/0/x000/005' },
    { name: 'width 0', path: 'tile/0/000.p/0' },
    { name: 'width 256', path: 'tile/0/000.p/256' },
    { name: 'width with leading zero', path: 'tile/0/000.p/017' },
    { name: 'width missing', path: 'tile/0/000.p/' },
    { name: '.p without width', path: 'tile/0/000.p' },
    { name: '.p on an inner element', path: 'tile/0/x001.p/234/5' },
    { name: 'width on a full tile', path: 'tile/0/000/5' },
    { name: 'dot-dot', path: 'tile/0/../000' },
    { name: 'dot-dot level', path: 'tile/../000' },
    { name: 'dot-dot at end', path: 'tile/0/000/..' },
    { name: 'non-ASCII digits', path: 'tile/0/٠٠٠' },
    { name: 'plus sign', path: 'tile/0/+12' },
    { name: 'query string', path: 'tile/0/000?x=1' },
    { name: 'entries with a level', path: 'tile/entries/0/000' },
    { name: 'index 2^53', path: 'tile/0/x009/x007/x199/x254/x740/992' },
    { name: 'huge index', path: 'tile/0/x999/x999/x999/x999/x999/x999/999' },
    { name: 'very long path', path: 'tile/0/' + 'x000/'.repeat(1000) + '000' },
  ])('rejects $name', ({ path }) => {
    let err: unknown;
    try {
      parseTilePath(path);
    } catch (e) {
      err = e;
    }
    expect(isCairnError(err, 'BAD_REQUEST')).toBe(true);
  });

  it.each([
    { name: 'level 64', tile: { level: 64, index: 0, width: 256 } },
    { name: 'negative level', tile: { level: -1, index: 0, width: 256 } },
    { name: 'width 0', tile: { level: 0, index: 0, width: 0 } },
    { name: 'width 257', tile: { level: 0, index: 0, width: 257 } },
    { name: 'negative index', tile: { level: 0, index: -1, width: 256 } },
    { name: 'unsafe index', tile: { level: 0, index: 2 ** 53, width: 256 } },
  ])('tilePath refuses $name', ({ tile }) => {
    expect(() => tilePath(tile)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});

describe('tilesForSize', () => {
  it('matches the c2sp.org/tlog-tiles example for 70,000', () => {
    const tiles = tilesForSize(70000);
    const full0 = Array.from({ length: 273 }, (_, index) => ({ level: 0, index, width: 256 }));
    expect(tiles).toEqual([
      ...full0,
      { level: 0, index: 273, width: 112 },
      { level: 1, index: 0, width: 256 },
      { level: 1, index: 1, width: 17 },
      { level: 2, index: 0, width: 1 },
    ]);
  });

  it.each([
    { size: 0, tiles: [] },
    { size: 1, tiles: [{ level: 0, index: 0, width: 1 }] },
    { size: 256, tiles: [{ level: 0, index: 0, width: 256 }, { level: 1, index: 0, width: 1 }] },
  ])('size $size', ({ size, tiles }) => {
    expect(tilesForSize(size)).toEqual(tiles);
  });

  it('tilesBetween(old, new) is exactly the tiles of new that old lacks', () => {
    const key = (t: Tile) => `${t.level}/${t.index}/${t.width}`;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 150_000 }), fc.integer({ min: 0, max: 3000 }), (old, grow) => {
        const before = new Set(tilesForSize(old).map(key));
        const want = tilesForSize(old + grow).filter((t) => !before.has(key(t)));
        expect(tilesBetween(old, old + grow)).toEqual(want);
      }),
      { numRuns: 60, seed: 256 },
    );
    expect(tilesBetween(2 ** 40, 2 ** 40 + 1)).toEqual([{ level: 0, index: 2 ** 32, width: 1 }]);
    expect(() => tilesBetween(5, 4)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});

describe('nodeInTile', () => {
  it.each([
    { node: { level: 0, index: 0 }, tile: { level: 0, index: 0 }, start: 0, count: 1 },
    { node: { level: 0, index: 300 }, tile: { level: 0, index: 1 }, start: 44, count: 1 },
    { node: { level: 3, index: 33 }, tile: { level: 0, index: 1 }, start: 8, count: 8 },
    { node: { level: 7, index: 1 }, tile: { level: 0, index: 0 }, start: 128, count: 128 },
    { node: { level: 8, index: 0 }, tile: { level: 1, index: 0 }, start: 0, count: 1 },
    { node: { level: 20, index: 3 }, tile: { level: 2, index: 0 }, start: 48, count: 16 },
    { node: { level: 0, index: 2 ** 40 + 5 }, tile: { level: 0, index: 2 ** 32 }, start: 5, count: 1 },
    { node: { level: 13, index: 2 ** 35 + 1 }, tile: { level: 1, index: 2 ** 32 }, start: 32, count: 32 },
    { node: { level: 52, index: 1 }, tile: { level: 6, index: 0 }, start: 16, count: 16 },
  ])('node $node.level/$node.index', ({ node, tile, start, count }) => {
    expect(nodeInTile(node)).toEqual({ tile, start, count });
  });
});

/** tilesOf builds the C2SP tiles of a tree bottom-up from its leaf hashes (full tiles hashed upward). */
function tilesOf(leaves: (i: number) => Uint8Array, size: number): Map<string, Uint8Array> {
  const tiles = new Map<string, Uint8Array>();
  let hashes = Array.from({ length: size }, (_, i) => leaves(i));
  for (let level = 0; hashes.length > 0; level++) {
    const up: Uint8Array[] = [];
    for (let index = 0; index * TILE_WIDTH < hashes.length; index++) {
      const run = hashes.slice(index * TILE_WIDTH, (index + 1) * TILE_WIDTH);
      const data = new Uint8Array(run.length * 32);
      run.forEach((h, i) => data.set(h, i * 32));
      tiles.set(`${level}/${index}`, data);
      if (run.length === TILE_WIDTH) up.push(tileRoot(data));
    }
    hashes = up;
  }
  return tiles;
}

describe('tiles against the reference tree', () => {
  const SIZE = 70_000;
  const tree = new LazyTree(2 ** 17);
  const raw = tilesOf((i) => tree.node(0, i), SIZE);
  const expanded = new Map<string, ExpandedTile>();
  const readNodes: ReadNodes = (nodes: readonly NodeId[]) =>
    nodes.map((n) => {
      const { tile, start, count } = nodeInTile(n);
      const k = `${tile.level}/${tile.index}`;
      let t = expanded.get(k);
      if (!t) expanded.set(k, (t = new ExpandedTile(raw.get(k)!)));
      return t.node(n.level % TILE_HEIGHT, start / count);
    });

  it('stores exactly the tiles tilesForSize names', () => {
    const want = tilesForSize(SIZE).map((t) => `${t.level}/${t.index}:${t.width}`);
    expect([...raw].map(([k, d]) => `${k}:${d.length / 32}`)).toEqual(want);
  });

  it('root from tiles (nodeInTile + ExpandedTile) equals the reference root for random sizes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 1, max: SIZE }), fc.constantFrom(1, 255, 256, 257, 65535, 65536, 65537, SIZE)), (size) => {
        expect(hex(rootHash(size, readNodes))).toBe(hex(tree.mth(0, size)));
      }),
      { numRuns: 200, seed: 70000 },
    );
  });

  it('inclusion proofs served from tiles equal those from the tree', () => {
    const direct: ReadNodes = (nodes) => nodes.map((n) => tree.node(n.level, n.index));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: SIZE }).chain((n) => fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.constant(n))), ([i, n]) => {
        expect(inclusionProof(i, n, readNodes).map(hex)).toEqual(inclusionProof(i, n, direct).map(hex));
      }),
      { numRuns: 200, seed: 17 },
    );
  });

  it('tileRoot equals the level-8 node and the level-1 tile hash', () => {
    const t0 = raw.get('0/5')!;
    const root = tileRoot(t0);
    expect(hex(root)).toBe(hex(tree.node(8, 5)));
    expect(hex(new ExpandedTile(t0).node(8, 0))).toBe(hex(root));
    expect(hex(new ExpandedTile(raw.get('1/0')!).node(0, 5))).toBe(hex(root));
    expect(() => tileRoot(t0.subarray(32))).toThrow(/full tile/);
  });
});

describe('ExpandedTile', () => {
  const hashes = Array.from({ length: 256 }, (_, i) => LazyTree.leaf(i + 1000));
  const bytes = (n: number) => {
    const d = new Uint8Array(n * 32);
    hashes.slice(0, n).forEach((h, i) => d.set(h, i * 32));
    return d;
  };

  it.each([1, 2, 3, 100, 112, 128, 255, 256])('width %i: every complete node equals subtreeHash, incomplete ones throw', (width) => {
    const t = new ExpandedTile(bytes(width));
    expect(t.width).toBe(width);
    for (let r = 0; r <= TILE_HEIGHT; r++) {
      const count = 2 ** r;
      for (let i = 0; (i + 1) * count <= width; i++) expect(hex(t.node(r, i))).toBe(hex(subtreeHash(hashes, i * count, count)));
      expect(() => t.node(r, Math.floor(width / count))).toThrow(/no node/);
    }
    expect(() => t.node(9, 0)).toThrow(/no node/);
    expect(() => t.node(0, -1)).toThrow(/no node/);
  });

  it('takes its nodes precomputed (tileNodes\'s layout) and answers as if it had built them', () => {
    for (const width of [1, 2, 3, 100, 255, 256]) {
      const built = new ExpandedTile(bytes(width));
      const given = new ExpandedTile(bytes(width), tileNodes(bytes(width)));
      for (let r = 0; r <= TILE_HEIGHT; r++) for (let i = 0; (i + 1) * 2 ** r <= width; i++) expect(hex(given.node(r, i))).toBe(hex(built.node(r, i)));
    }
    expect(tileNodes(bytes(1))).toHaveLength(0);
    expect(tileNodes(bytes(256))).toHaveLength(255 * 32);
    expect(() => new ExpandedTile(bytes(256), new Uint8Array(254 * 32))).toThrow(/want 8160/);
    expect(() => tileNodes(new Uint8Array(33))).toThrow(/not 1..256 hashes/);
  });

  it('rejects data that is not 1..256 hashes (a bug)', () => {
    expect(() => new ExpandedTile(new Uint8Array(0))).toThrow(/not 1..256 hashes/);
    expect(() => new ExpandedTile(new Uint8Array(33))).toThrow(/not 1..256 hashes/);
    expect(() => new ExpandedTile(new Uint8Array(257 * 32))).toThrow(/not 1..256 hashes/);
    expect(() => subtreeHash(hashes, 0, 3)).toThrow(/bad subtree run/);
    expect(() => subtreeHash(hashes, 255, 2)).toThrow(/bad subtree run/);
  });
});
