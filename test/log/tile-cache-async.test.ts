/**
 * TileCache over an async driver (PostgreSQL's): a partial tile read asynchronously is cached when
 * nothing could have grown it meanwhile (a follower's right edge: before, every proof on a
 * follower re-read it from the database), and serves only its own read when a batch was
 * installed or a follower's refresh came between asking and answer.
 */
import { describe, expect, it } from 'vitest';
import { isPromise } from '../../src/log/index.js';
import { TileCache } from '../../src/log/tile-cache.js';
import { inclusionProof, integrate, leafHash, rootHash, verifyInclusion } from '../../src/merkle/index.js';

const SIZE = 300; // tile 0/0 full, 0/1 partial (44), 1/0 partial (1)
const leaves = Array.from({ length: SIZE }, (_, i) => leafHash(new TextEncoder().encode(`leaf ${i}`)));
const stored = new Map<string, Uint8Array>();
for (const u of integrate(0, leaves, () => undefined)) stored.set(`${u.level}/${u.index}`, u.data);

/** asyncCache returns a cache whose loads answer on a later turn, and the loads made. */
function asyncCache(): { cache: TileCache<false>; loads: string[]; hold: () => void; release: () => void } {
  const loads: string[] = [];
  let held: (() => void)[] | undefined;
  const cache = new TileCache<false>((level, index) => {
    loads.push(`${level}/${index}`);
    return new Promise((r) => {
      const go = () => r(stored.get(`${level}/${index}`));
      if (held) held.push(go);
      else setImmediate(go);
    });
  }, 16);
  const release = () => {
    const h = held ?? [];
    held = undefined;
    for (const g of h) g();
  };
  return { cache, loads, hold: () => (held = []), release };
}

const proof = (cache: TileCache<false>, i: number) => cache.run(() => inclusionProof(i, SIZE, cache.readNodes));

describe('TileCache over an async driver', () => {
  it('caches partial tiles read in one generation: the second proof needs no load', async () => {
    const { cache, loads } = asyncCache();
    const first = proof(cache, 5);
    expect(isPromise(first)).toBe(true);
    const p = await first;
    const r = await cache.run(() => rootHash(SIZE, cache.readNodes));
    verifyInclusion(leaves[5], 5, SIZE, p, r);
    const n = loads.length;
    expect([...loads].sort()).toEqual(['0/0', '0/1', '1/0']); // one load a tile
    const again = proof(cache, 299);
    expect(isPromise(again)).toBe(false); // every tile at hand now, partials included
    verifyInclusion(leaves[299], 299, SIZE, again as Uint8Array[], r);
    expect(loads.length).toBe(n);
    // A follower's refresh drops them: they are read again.
    cache.forgetPartial();
    expect(isPromise(proof(cache, 7))).toBe(true);
  });

  it('a partial answered after an install (a batch committed meanwhile) serves its read only', async () => {
    const { cache, loads, hold, release } = asyncCache();
    hold();
    const first = proof(cache, 5);
    await new Promise((r) => setImmediate(r));
    cache.install([]); // a batch's tiles: the partials in flight may be older than the tree now
    release();
    await first;
    const count = (t: string) => loads.filter((l) => l === t).length;
    expect([count('0/0'), count('0/1'), count('1/0')]).toEqual([1, 1, 1]); // one load a tile
    await proof(cache, 6); // the partial 0/1 it needs is read again; the full tile 0/0 stays cached
    expect([count('0/0'), count('0/1'), count('1/0')]).toEqual([1, 2, 1]);
  });

  it('a full tile newer than its cached partial parent is checked against the parent read again, not called damage', async () => {
    // A follower cached the right edge at size 300 (parent 1/0 of width 1); another node's batches
    // then filled tiles 0/1 and 0/2 (size 900, parent width 3) before this node's refresh dropped the partials.
    const tilesAt = (n: number) => {
      const m = new Map<string, Uint8Array>();
      const ls = Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`grown ${i}`)));
      for (const u of integrate(0, ls, () => undefined)) m.set(`${u.level}/${u.index}`, u.data);
      return { m, ls };
    };
    let now = tilesAt(300);
    const cache = new TileCache<false>((level, index) => new Promise((r) => setImmediate(() => r(now.m.get(`${level}/${index}`)))), 16);
    await cache.run(() => inclusionProof(5, 300, cache.readNodes)); // caches 1/0 at width 1
    now = tilesAt(900);
    const full = await cache.run(() => cache.read(0, 2)); // never cached: read now, full
    expect(full && Buffer.from(full)).toEqual(Buffer.from(now.m.get('0/2')!));
    const p = await cache.run(() => inclusionProof(600, 700, cache.readNodes));
    verifyInclusion(now.ls[600], 600, 700, p, await cache.run(() => rootHash(700, cache.readNodes)));
    // A parent that is still too short after it was read again is damage.
    now.m.set('1/0', now.m.get('1/0')!.subarray(0, 64));
    const fresh = new TileCache<false>((level, index) => new Promise((r) => setImmediate(() => r(now.m.get(`${level}/${index}`)))), 16);
    await expect(fresh.run(() => fresh.read(0, 2))).rejects.toThrow(/does not hash to the value its parent/);
  });
});
