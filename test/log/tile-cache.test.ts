/**
 * TileCache over an async driver: a tile fetch that f asked for but never awaited (f failed
 * otherwise first) must not end the process when the fetch fails. A node whose pool connections
 * were cut by pg_terminate_backend died of exactly that (an unhandled rejection from
 * PostgresStorage.tile) in the multi-node reliability test.
 */
import { describe, expect, it } from 'vitest';
import { TileCache } from '../../src/log/index.js';

describe('TileCache with an async driver', () => {
  it('a fetch dropped because f failed otherwise is no unhandled rejection when it fails', async () => {
    const unhandled: unknown[] = [];
    const on = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', on);
    try {
      let fail!: (e: Error) => void;
      const cache = new TileCache<boolean>(() => new Promise<Uint8Array | undefined>((_, reject) => (fail = reject)), 16);
      // As readNodes does: note the tile to fetch, go on, then fail for another reason.
      const f = () => {
        try {
          cache.read(0, 0);
        } catch {
          // pending: fetched after f returns
        }
        throw new Error('stored tile 0/1 is damaged');
      };
      expect(() => cache.run(f)).toThrow('damaged');
      fail(new Error('terminating connection due to administrator command'));
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', on);
    }
  });
});
