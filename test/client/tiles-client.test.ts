import { describe, expect, it } from 'vitest';
import { TileClient, httpFetcher, parseLogKey, type Fetcher } from '../../src/client/index.js';
import { isCairnError } from '../../src/errors.js';
import { bytesEqual, leafHash, verifyConsistency, verifyInclusion } from '../../src/merkle/index.js';
import { generateKey, loadPrivateKey, verifierKeyString } from '../../src/note/index.js';
import { body, openTestLog, TEST_ORIGIN } from '../helpers/test-log.js';
import { growTo, serveLog } from '../tiles/helpers.js';

/** flip returns a fetcher that serves path with one byte changed. */
function flip(f: Fetcher, path: string, at = 5): Fetcher {
  return async (p) => {
    const b = await f(p);
    if (p !== path || !b) return b;
    const c = b.slice();
    c[at] ^= 1;
    return c;
  };
}

describe('TileClient', () => {
  it('verifies the checkpoint with a vkey or a PEM key, and rejects another key', async () => {
    const log = openTestLog();
    await growTo(log, 3);
    const client = new TileClient(httpFetcher(await serveLog(log)));
    const vkey = parseLogKey(verifierKeyString(TEST_ORIGIN, log.key));
    expect((await client.checkpoint(vkey.c2sp(TEST_ORIGIN))).checkpoint.size).toBe(3);
    const pem = parseLogKey(log.key.publicKeyPem);
    const got = await client.checkpoint((o) => pem.c2sp(o));
    expect(got.checkpoint.origin).toBe(TEST_ORIGIN);
    expect(got.note).toBe(log.latest().c2sp);
    const other = parseLogKey(loadPrivateKey(generateKey('ed25519')).publicKeyPem);
    await expect(client.checkpoint((o) => other.c2sp(o))).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    const otherVkey = parseLogKey(verifierKeyString(TEST_ORIGIN, loadPrivateKey(generateKey('ecdsa-p256'))));
    await expect(client.checkpoint(otherVkey.c2sp(TEST_ORIGIN))).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
  });

  it('computes roots and proofs from tiles that match the log and verify against signed roots', async () => {
    const log = openTestLog({ maxBatch: 4096, maxQueue: 1 << 20 });
    const sizes = [1, 5, 256, 257, 600, 1023, 1300];
    for (const s of sizes) await growTo(log, s);
    const client = new TileClient(httpFetcher(await serveLog(log)));
    for (const s of sizes) {
      const cp = log.checkpointAt(s)!;
      expect(bytesEqual(await client.rootAt(s), cp.rootHash), `root ${s}`).toBe(true);
      for (const i of [0, Math.floor(s / 2), s - 1]) {
        const proof = await client.inclusionProof(i, s);
        expect(proof.map((h) => Buffer.from(h).toString('hex'))).toEqual(log.inclusionProof(i, s).map((h) => Buffer.from(h).toString('hex')));
        verifyInclusion(leafHash(body(i)), i, s, proof, cp.rootHash);
      }
      for (const m of sizes.filter((m) => m <= s)) {
        verifyConsistency(m, s, await client.consistencyProof(m, s), log.checkpointAt(m)!.rootHash, cp.rootHash);
      }
    }
    const entries = await client.bundle(2, 1300);
    expect(entries.length).toBe(256);
    expect(Buffer.from(entries[7]).equals(Buffer.from(body(519)))).toBe(true);
    expect((await client.bundle(5, 1300)).length).toBe(20);
    // Tiles fetched once: full tiles are cached.
    const before = client.requests;
    await client.rootAt(1300);
    expect(client.requests - before).toBeLessThanOrEqual(2);
  });

  it('verifyTiles authenticates every tile against the signed root and names a tampered one', async () => {
    const log = openTestLog({ maxBatch: 4096 });
    await growTo(log, 700);
    const url = await serveLog(log);
    const root = log.latest().rootHash;
    const level0 = await new TileClient(httpFetcher(url)).verifyTiles(0, 700, root);
    expect([...level0.keys()]).toEqual([0, 1, 2]);
    // A full level-0 tile is not on the root's path: only the chain to level 1 catches it.
    for (const path of ['tile/0/000', 'tile/0/001', 'tile/0/002.p/188', 'tile/1/000.p/2']) {
      const err = await new TileClient(flip(httpFetcher(url), path)).verifyTiles(0, 700, root).catch((e) => e);
      expect(isCairnError(err, 'CORRUPT'), path).toBe(true);
    }
    // Only tiles that changed since the old size are fetched.
    const c = new TileClient(httpFetcher(url));
    await c.verifyTiles(600, 700, root);
    expect(c.requests).toBeLessThanOrEqual(4);
    // A truncated or missing tile is an error, not a short read.
    const short: Fetcher = async (p) => (p === 'tile/0/001' ? new Uint8Array(32) : httpFetcher(url)(p));
    await expect(new TileClient(short).verifyTiles(0, 700, root)).rejects.toMatchObject({ code: 'CORRUPT' });
    const gone: Fetcher = async (p) => (p === 'tile/0/001' ? undefined : httpFetcher(url)(p));
    await expect(new TileClient(gone).verifyTiles(0, 700, root)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('parseLogKey', () => {
  it('accepts Ed25519 and ECDSA vkeys and PEM keys, and refuses cosigner and malformed keys', () => {
    for (const type of ['ed25519', 'ecdsa-p256'] as const) {
      const k = loadPrivateKey(generateKey(type));
      const v = parseLogKey(verifierKeyString('example.com/log', k));
      expect(v.name).toBe('example.com/log');
      expect(Buffer.from(v.publicKey.spkiDer).equals(Buffer.from(k.spkiDer))).toBe(true);
      expect(parseLogKey('\n' + k.publicKeyPem + '\n').name).toBeUndefined();
    }
    const raw = loadPrivateKey(generateKey('ed25519')).rawPublicKey;
    const cosigner = `w.example+${'00'.repeat(4)}+${Buffer.concat([Buffer.of(4), raw]).toString('base64')}`;
    expect(() => parseLogKey(cosigner)).toThrow();
    expect(() => parseLogKey('not a key')).toThrow();
  });
});
