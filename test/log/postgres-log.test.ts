/**
 * The log service on PostgreSQL (Log.openOn over PostgresStorage): appends, dedup, proofs that
 * verify, close and reopen, and a follower node that reads what the leader committed once it
 * refreshes. A fresh database per file; skipped with one line where no PostgreSQL answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isCairnError } from '../../src/errors.js';
import { Log, loadOrCreateKey, type AnyLog } from '../../src/log/index.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/merkle/index.js';
import { c2spVerifier, openCheckpoint } from '../../src/note/index.js';
import { PostgresStorage } from '../../src/storage/index.js';
import { testDatabase, testSchema } from '../helpers/postgres.js';
import { referenceRoot } from '../helpers/reference-root.js';
import { TEST_ORIGIN, body, tempDir } from '../helpers/test-log.js';

const url = await testDatabase();
const logs: AnyLog[] = [];
afterEach(async () => {
  for (const l of logs.splice(0)) await l.close().catch(() => {});
});

const key = () => loadOrCreateKey(tempDir(), undefined, 'ed25519').key;

async function openPg(schema: string, k: ReturnType<typeof key>, lead: number | false = 3000): Promise<AnyLog> {
  const storage = await PostgresStorage.open({ url: url!, schema, lead });
  try {
    const log = await Log.openOn(storage, k, { origin: TEST_ORIGIN, heartbeatMs: 0, maxBatch: 50 });
    logs.push(log);
    return log;
  } catch (e) {
    await storage.close();
    throw e;
  }
}

function append(log: AnyLog, i: number, salt = '') {
  return log.append({ body: body(i, salt), kind: 'test', indexKeys: [`k:${i % 5}`], signEntryTimestamp: true });
}

if (!url) describe.skip('Log on PostgreSQL (no server)', () => it('skipped', () => {}));
else
  describe('Log on PostgreSQL', () => {
    it('appends, refuses duplicates, and serves proofs that verify', async () => {
      const log = await openPg(testSchema(), key());
      const receipts = await Promise.all(Array.from({ length: 300 }, (_, i) => append(log, i)));
      for (const r of receipts) verifyInclusion(r.entry.leafHash, r.entry.index, r.checkpoint.size, r.proof, r.checkpoint.rootHash);
      expect(new Set(receipts.map((r) => r.entry.index)).size).toBe(300);
      const dup = await append(log, 17).catch((e: unknown) => e);
      expect(isCairnError(dup, 'DUPLICATE') && dup.details.index).toBe(receipts[17].entry.index);
      expect(log.size).toBe(300);
      const cp = log.latest();
      openCheckpoint(cp.c2sp, [c2spVerifier(TEST_ORIGIN, log.key.publicKeyPem)]);
      const entries = await log.entries(0, 300);
      const leaves = entries.map((e) => e.leafHash);
      expect(Buffer.from(referenceRoot(leaves))).toEqual(Buffer.from(cp.rootHash));
      for (const [i, size] of [[0, 300], [299, 300], [150, 257], [255, 256]]) {
        verifyInclusion(leaves[i], i, size, await log.inclusionProof(i, size), await log.rootAt(size));
      }
      for (const [m, n] of [[1, 300], [100, 256], [256, 300]]) verifyConsistency(m, n, await log.consistencyProof(m, n), await log.rootAt(m), await log.rootAt(n));
      const e = (await log.entryByLeafHash(leafHash(body(42))))!;
      expect(Buffer.from(e.entryTimestamp!)).toEqual(Buffer.from(receipts[42].entry.entryTimestamp!));
      expect(await log.search('k:2', 3)).toEqual(receipts.filter((_, i) => i % 5 === 2).map((r) => r.entry.index).sort((a, b) => a - b).slice(0, 3));
      expect(Buffer.from(await log.tile(0, 0, 256))).toEqual(Buffer.concat(leaves.slice(0, 256)));
    });

    it('survives close and reopen with the same tree, and refuses another key', async () => {
      const schema = testSchema();
      const k = key();
      const a = await openPg(schema, k);
      await Promise.all(Array.from({ length: 120 }, (_, i) => append(a, i)));
      const root = a.latest().rootHash;
      await a.close();
      const b = await openPg(schema, k);
      expect(b.size).toBe(120);
      expect(Buffer.from(b.latest().rootHash)).toEqual(Buffer.from(root));
      const more = await append(b, 0, 'more');
      expect(more.entry.index).toBe(120);
      verifyConsistency(120, 121, await b.consistencyProof(120, 121), root, more.checkpoint.rootHash);
      await b.close();
      const other = await openPg(schema, key()).catch((e: unknown) => e);
      expect(isCairnError(other, 'CONFIG')).toBe(true);
    });

    it('a follower node sees what the leader committed once it refreshes, and cannot append', async () => {
      const schema = testSchema();
      const k = key();
      const leader = await openPg(schema, k);
      await Promise.all(Array.from({ length: 40 }, (_, i) => append(leader, i)));
      const follower = await openPg(schema, k, false);
      expect(follower.size).toBe(40);
      const late = await Promise.all(Array.from({ length: 300 }, (_, i) => append(leader, i, 'late')));
      expect(follower.size).toBe(40); // not yet refreshed: the size it serves stays put
      const cp = await follower.refresh();
      expect(cp.size).toBe(340);
      expect(Buffer.from(cp.rootHash)).toEqual(Buffer.from(leader.latest().rootHash));
      const r = late[299];
      verifyInclusion(r.entry.leafHash, r.entry.index, 340, await follower.inclusionProof(r.entry.index, 340), cp.rootHash);
      verifyConsistency(40, 340, await follower.consistencyProof(40, 340), await follower.rootAt(40), cp.rootHash);
      expect((await follower.entryByLeafHash(r.entry.leafHash))?.index).toBe(r.entry.index);
      const refused = await append(follower, 9999).catch((e: unknown) => e);
      expect(isCairnError(refused, 'UNAVAILABLE')).toBe(true);
      expect(leader.size).toBe(340);
    });
  });
