/** A PostgreSQL snapshot's backup restores the whole log, search keys included (the contract suite checks entries and tiles). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, leafHash } from '../../src/merkle/index.js';
import { PostgresStorage, openPostgresSnapshot, restorePostgres } from '../../src/storage/index.js';
import { testDatabase, testSchema } from '../helpers/postgres.js';
import { tempDir } from '../helpers/test-log.js';

const url = await testDatabase();
const cp = (size: number) => ({ size, rootHash: EMPTY_ROOT, signedAt: size, c2sp: `c ${size}\n`, rekor: `r ${size}\n` });

describe.skipIf(!url)('PostgreSQL backup and restore', () => {
  it('restores entries, search keys, checkpoints and cosignatures', async () => {
    const place = { url: url!, schema: testSchema() };
    const s = await PostgresStorage.open(place);
    await s.create({ origin: 'o', publicKeyPem: 'k', treeId: '7' }, cp(0));
    const entries = Array.from({ length: 5 }, (_, i) => ({ index: i, leafHash: leafHash(Buffer.from(`e${i}`)), body: Buffer.from(`e${i}`), kind: 'test', integratedTime: i }));
    await s.commit({ oldSize: 0, entries, keys: entries.map((e) => [`k:${e.index % 2}`]), tiles: [{ level: 0, index: 0, data: Buffer.alloc(160, 1) }], checkpoint: cp(5) });
    await s.saveCosignature({ witness: 'w', size: 5, checkpoint: 'c 5\n', lines: '— w x\n' });
    await s.close();
    const snap = await openPostgresSnapshot(place);
    const file = join(tempDir(), 'b.json');
    await snap.backup(file);
    const to = { url: url!, schema: testSchema() };
    await restorePostgres(file, to);
    const r = await PostgresStorage.open(to);
    expect(await r.search('k:1', 10, 5)).toEqual([1, 3]);
    expect(await r.count()).toBe(5);
    expect((await r.latest())!.size).toBe(5);
    expect(await r.leafIndex(entries[4].leafHash)).toBe(4);
    expect(await r.cosignatures()).toEqual([{ witness: 'w', size: 5, checkpoint: 'c 5\n', lines: '— w x\n' }]);
    await r.close();
  });
});
