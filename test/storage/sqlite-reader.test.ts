// A read-only follower (SqliteReader, the HTTP workers of `serve --workers`) finds entries by
// leaf hash and by search key exactly as the writing log does, whether index.db or the tail
// holds them, and never an entry past the checkpoint it caught up to.
import { describe, expect, it } from 'vitest';
import { Log } from '../../src/log/index.js';
import { leafHash } from '../../src/merkle/index.js';
import { SqliteReader } from '../../src/storage/index.js';
import { TEST_ORIGIN, body, openTestLog, tempDir } from '../helpers/test-log.js';

describe('SqliteReader lookups', () => {
  it('match the writer as index.db takes over the tail', async () => {
    const dir = tempDir();
    // Small runs: index.db moves on every few batches, so lookups cross from the tail to it.
    const writer = openTestLog({ dataDir: dir, index: { minRun: 8, maxRun: 16 } });
    const follower = await Log.openOn(SqliteReader.open(dir), writer.key, { origin: TEST_ORIGIN, heartbeatMs: 0 });
    try {
      const keys = (i: number) => [`k:${i % 7}`, `e:${i}`, 'all'];
      const leaves: Uint8Array[] = [];
      for (let batch = 0; batch < 12; batch++) {
        const subs = Array.from({ length: 9 }, (_, j) => ({ body: body(batch * 9 + j), kind: 'test/0.0.1', indexKeys: keys(batch * 9 + j) }));
        await Promise.all(subs.map((s) => writer.append(s)));
        leaves.push(...subs.map((s) => leafHash(s.body)));
        if (batch % 4 === 3) {
          await writer.flushIndex();
          expect((await writer.storageStats()).indexLag).toBe(0);
        }
        // Not caught up yet: the follower knows nothing past its checkpoint.
        const newest = leaves[leaves.length - 1];
        expect(await follower.entryByLeafHash(newest)).toBeUndefined();
        expect(await follower.search(`e:${leaves.length - 1}`, 10)).toEqual([]);
        await follower.refresh();
        expect(follower.size).toBe(writer.size);
        for (const k of ['all', 'k:0', 'k:3', `e:${leaves.length - 1}`, 'e:0', 'none']) {
          for (const limit of [1, 5, 1000]) expect(await follower.search(k, limit), `${k} ${limit}`).toEqual(writer.search(k, limit));
        }
        for (let i = 0; i < leaves.length; i++) expect((await follower.entryByLeafHash(leaves[i]))?.index).toBe(i);
      }
    } finally {
      await follower.close();
    }
  });
});
