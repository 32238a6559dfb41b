/** Coalesce (storage/coalesce.ts): the keys asked for in one event-loop turn are fetched with one call. */
import { describe, expect, it } from 'vitest';
import { Coalesce } from '../../src/storage/coalesce.js';

describe('Coalesce', () => {
  it('fetches the keys of one turn in one call, each key once; a key not found resolves undefined', async () => {
    const calls: number[][] = [];
    const c = new Coalesce<number, string>(async (keys) => {
      calls.push(keys);
      return new Map(keys.filter((k) => k % 2 === 0).map((k) => [k, `v${k}`]));
    });
    const got = await Promise.all([c.get(2), c.get(3), c.get(2), c.get(4)]);
    expect(got).toEqual(['v2', undefined, 'v2', 'v4']);
    expect(calls).toEqual([[2, 3, 4]]);
    // A later turn is a new call.
    expect(await c.get(6)).toBe('v6');
    expect(calls).toEqual([[2, 3, 4], [6]]);
  });

  it('a failed fetch fails every key of its turn, and the next turn fetches again', async () => {
    let fail = true;
    const c = new Coalesce<string, number>(async (keys) => {
      if (fail) throw new Error('gone');
      return new Map(keys.map((k) => [k, k.length]));
    });
    const r = await Promise.allSettled([c.get('a'), c.get('bb')]);
    expect(r.map((x) => x.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await c.get('ccc')).toBe(3);
  });

  it('a synchronous fetch answers its turn together; one that throws fails its turn, not the process', async () => {
    let fail = false;
    const c = new Coalesce<number, number>((keys) => {
      if (fail) throw new Error('gone');
      return new Map(keys.map((k) => [k, k * 10]));
    });
    expect(await Promise.all([c.get(1), c.get(2)])).toEqual([10, 20]);
    fail = true;
    const r = await Promise.allSettled([c.get(3), c.get(4)]);
    expect(r.map((x) => x.status)).toEqual(['rejected', 'rejected']);
  });
});
