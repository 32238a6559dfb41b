import { describe, expect, it } from 'vitest';
import { RekorClient, parseLogKey } from '../../src/client/index.js';
import { bytesEqual, leafHash, verifyConsistency, verifyInclusion } from '../../src/merkle/index.js';
import { generateKey, loadPrivateKey, verifierKeyString } from '../../src/note/index.js';
import { body, openTestLog, TEST_ORIGIN } from '../helpers/test-log.js';
import { growTo, serveLog } from '../tiles/helpers.js';
import { serveFakeRekor } from './fake-rekor.js';

describe('RekorClient', () => {
  it('verifies the signed tree head, and checks proofs from /api/v1/log/proof and entries', async () => {
    const log = openTestLog({ keyType: 'ecdsa-p256' });
    await growTo(log, 10);
    const old = log.latest();
    await growTo(log, 37);
    const rekor = new RekorClient(await serveFakeRekor(log));
    for (const key of [parseLogKey(log.key.publicKeyPem), parseLogKey(verifierKeyString(TEST_ORIGIN, log.key))]) {
      const sth = await rekor.logInfo((o) => key.rekor(o));
      expect(sth.checkpoint.size).toBe(37);
      expect(sth.treeId).toBe(log.treeId);
    }
    const key = parseLogKey(log.key.publicKeyPem);
    const other = parseLogKey(loadPrivateKey(generateKey('ecdsa-p256')).publicKeyPem);
    await expect(rekor.logInfo((o) => other.rekor(o))).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    const p = await rekor.consistencyProof(10, 37);
    expect(bytesEqual(p.rootHash, log.latest().rootHash)).toBe(true);
    verifyConsistency(10, 37, p.hashes, old.rootHash, p.rootHash);
    const e = (await rekor.entry(Buffer.from(leafHash(body(20))).toString('hex')))!;
    expect(e.logIndex).toBe(20);
    expect(Buffer.from(e.body).equals(Buffer.from(body(20)))).toBe(true);
    verifyInclusion(leafHash(e.body), 20, e.inclusionProof!.treeSize, e.inclusionProof!.hashes, e.inclusionProof!.rootHash);
    expect(await rekor.entry('ab'.repeat(32))).toBeUndefined();
    expect((await rekor.logInfo((o) => key.rekor(o))).note).toBe(log.latest().rekor);
  });

  it('rejects a signed tree head whose JSON fields disagree with the signed note', async () => {
    const log = openTestLog();
    await growTo(log, 4);
    const stale = log.latest().rekor;
    await growTo(log, 5);
    const rekor = new RekorClient(await serveFakeRekor(log, { sth: () => stale }));
    const key = parseLogKey(log.key.publicKeyPem);
    await expect(rekor.logInfo((o) => key.rekor(o))).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
  });

  it("works against Cairn's own Rekor routes (src/api), not just the spec-written fake", async () => {
    const log = openTestLog();
    await growTo(log, 10);
    const old = log.latest();
    await growTo(log, 23);
    const rekor = new RekorClient(await serveLog(log));
    const key = parseLogKey(verifierKeyString(TEST_ORIGIN, log.key));
    const sth = await rekor.logInfo((o) => key.rekor(o));
    expect(sth.checkpoint.size).toBe(23);
    const p = await rekor.consistencyProof(10, 23);
    verifyConsistency(10, 23, p.hashes, old.rootHash, sth.checkpoint.rootHash);
  });
});
