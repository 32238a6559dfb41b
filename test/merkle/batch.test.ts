import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ExpandedTile, TILE_HEIGHT, hasNativeLeafHashes, hasNativeTileNodes, leafHashes, tileNodes, tileNodesJs as jsTileNodes } from '../../src/merkle/index.js';
import { rng } from '../helpers/rng.js';

// The batched hashers of the append path: native where the addon is built (npm install builds
// it; only an explicit CAIRN_NO_NATIVE=1 turns it off), the JS of merkle otherwise.
const forcedOff = process.env.CAIRN_NO_NATIVE === '1';

describe.skipIf(forcedOff)('native batch hashers', () => {
  it("names the function in the batch hashers' type errors", () => {
    const anyT = tileNodes as unknown as (x: unknown) => Uint8Array;
    const anyL = leafHashes as unknown as (x: unknown) => Uint8Array[];
    expect(() => anyT('abc')).toThrow(/^tileNodes: hashes must be a Uint8Array$/);
    expect(() => anyL([new Uint8Array(1), 'abc'])).toThrow(/^leafHashes: each body must be a Uint8Array$/);
  });
});

describe('leafHashes', () => {
  it(forcedOff ? 'falls back to JS under CAIRN_NO_NATIVE=1' : 'runs natively without CAIRN_NO_NATIVE', () => {
    expect(hasNativeLeafHashes()).toBe(!forcedOff);
  });

  it('equals RFC 6962 SHA-256(0x00 || body) for every body of a batch, views and odd sizes included', () => {
    const next = rng(6962);
    const backing = randomBytes(20000);
    const bodies: Uint8Array[] = [new Uint8Array(0), new Uint8Array([0]), randomBytes(4097), backing.subarray(1234, 1234 + 350)];
    for (let i = 0; i < 300; i++) {
      const start = Math.floor(next() * 10000);
      bodies.push(backing.subarray(start, start + Math.floor(next() * 9000)));
    }
    const got = leafHashes(bodies);
    expect(got).toHaveLength(bodies.length);
    bodies.forEach((b, i) => expect(Buffer.from(got[i]).toString('hex'), `body ${i}`).toBe(createHash('sha256').update(Buffer.from([0])).update(b).digest('hex')));
    expect(leafHashes([])).toEqual([]);
  });

  it('throws TypeError for anything but an array of Uint8Array', () => {
    expect(() => leafHashes([new Uint8Array(1), 'x' as unknown as Uint8Array])).toThrow(TypeError);
  });
});

describe('tileNodes', () => {
  it(forcedOff ? 'falls back to JS under CAIRN_NO_NATIVE=1' : 'runs natively without CAIRN_NO_NATIVE', () => {
    expect(hasNativeTileNodes()).toBe(!forcedOff);
  });

  it('equals the nodes ExpandedTile builds in JS, for random tiles of every shape, views included', () => {
    const next = rng(256);
    const backing = randomBytes(40 * 257);
    const widths = [1, 2, 3, 4, 127, 128, 129, 255, 256, 256, 256];
    for (let i = 0; i < 40; i++) widths.push(1 + Math.floor(next() * 256));
    for (const width of widths) {
      const start = Math.floor(next() * 40) * 32 + (width % 2); // odd offsets too
      const data = backing.subarray(start, start + width * 32);
      const got = tileNodes(data);
      expect(Buffer.from(got).toString('hex'), `width ${width}`).toBe(Buffer.from(jsTileNodes(data)).toString('hex'));
      const js = new ExpandedTile(data);
      const fast = new ExpandedTile(data, got);
      for (let r = 1; r <= TILE_HEIGHT; r++) for (let j = 0; (j + 1) * 2 ** r <= width; j++) expect(Buffer.compare(fast.node(r, j), js.node(r, j))).toBe(0);
    }
  });

  it('refuses anything but 1..256 hashes in a Uint8Array', () => {
    expect(() => tileNodes(new Uint8Array(0))).toThrow();
    expect(() => tileNodes(new Uint8Array(31))).toThrow();
    expect(() => tileNodes(new Uint8Array(257 * 32))).toThrow();
    expect(() => tileNodes('x' as unknown as Uint8Array)).toThrow();
  });
});
