import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { AdmitPool, createApp } from '../../src/api/index.js';
import { leafHash } from '../../src/merkle/index.js';
import { openNote, c2spVerifier, rekorVerifier, parseCheckpoint, rekorV2LogId } from '../../src/note/index.js';
import { verifyInclusion } from '../../src/merkle/index.js';
import { openTestLog } from '../helpers/test-log.js';

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spki = key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

function hashedRekord(artifact: string, patch: Record<string, unknown> = {}) {
  const data = Buffer.from(artifact);
  return {
    hashedRekordRequestV002: {
      digest: createHash('sha256').update(data).digest('base64'),
      signature: { content: sign('sha256', data, key.privateKey).toString('base64'), verifier: { publicKey: { rawBytes: spki }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } },
      ...patch,
    },
  };
}

describe('POST /api/v2/log/entries', () => {
  it.each(['ed25519', 'ecdsa-p256'] as const)('answers 201 with a TransparencyLogEntry that checks out (log key %s)', async (keyType) => {
    const log = openTestLog({ keyType });
    const app = createApp(log, { publicUrl: 'http://127.0.0.1' });
    await request(app).post('/api/v2/log/entries').send(hashedRekord('zero')).expect(201);
    const res = await request(app).post('/api/v2/log/entries').send(hashedRekord('one')).expect(201).expect('Content-Type', /application\/json/);
    const tle = res.body;
    expect(Object.keys(tle)).toEqual(['logIndex', 'logId', 'kindVersion', 'integratedTime', 'inclusionPromise', 'inclusionProof', 'canonicalizedBody']);
    expect(tle).toMatchObject({ logIndex: '1', kindVersion: { kind: 'hashedrekord', version: '0.0.2' }, integratedTime: '0', inclusionPromise: null });
    expect(Buffer.from(tle.logId.keyId, 'base64')).toEqual(Buffer.from(rekorV2LogId(log.origin, log.key)));
    const body = Buffer.from(tle.canonicalizedBody, 'base64');
    const proof = tle.inclusionProof;
    expect(proof).toMatchObject({ logIndex: '1', treeSize: '2' });
    // The envelope is the signed checkpoint of this batch, keyed as rekor-tiles keys it.
    const verifier = keyType === 'ed25519' ? c2spVerifier(log.origin, log.key.publicKeyPem) : rekorVerifier(log.origin, log.key.publicKeyPem);
    const cp = parseCheckpoint(openNote(proof.checkpoint.envelope, [verifier]).text);
    expect(Buffer.from(cp.rootHash).toString('base64')).toBe(proof.rootHash);
    expect(cp.size).toBe(2);
    const hashes = proof.hashes.map((h: string) => new Uint8Array(Buffer.from(h, 'base64')));
    expect(() => verifyInclusion(leafHash(body), 1, 2, hashes, cp.rootHash)).not.toThrow();
    // The same leaf through the v1 API.
    const v1 = await request(app).get('/api/v1/log/entries?logIndex=1').expect(200);
    expect(Object.values(v1.body as Record<string, { body: string }>)[0].body).toBe(tle.canonicalizedBody);
  });

  it('finds v2 entries through the v1 search index', async () => {
    const log = openTestLog();
    const app = createApp(log, { publicUrl: 'http://127.0.0.1' });
    await request(app).post('/api/v2/log/entries').send(hashedRekord('searched')).expect(201);
    const hash = createHash('sha256').update('searched').digest('hex');
    const res = await request(app).post('/api/v1/index/retrieve').send({ hash: `sha256:${hash}` }).expect(200);
    expect(res.body).toHaveLength(1);
  });

  const cases: [string, string | object, string, number, number, RegExp][] = [
    ['not JSON', 'not json', 'application/json', 400, 3, /not valid JSON/],
    ['not UTF-8', 'hex:7bff7d', 'application/octet-stream', 400, 3, /not UTF-8/],
    ['empty body', '', 'application/json', 400, 3, /not valid JSON/],
    ['a JSON array', '[]', 'application/json', 400, 3, /must be an object/],
    ['an unknown field', { ...hashedRekord('x'), foo: 1 }, 'application/json', 400, 3, /unknown field "foo"/],
    ['a wrong field type', hashedRekord('x', { digest: 7 }), 'application/json', 400, 3, /base64 string/],
    ['a wrong digest length', hashedRekord('x', { digest: Buffer.alloc(31).toString('base64') }), 'application/json', 400, 3, /digest is 31 bytes/],
    ['a disallowed algorithm', { hashedRekordRequestV002: { ...hashedRekord('x').hashedRekordRequestV002, signature: { ...hashedRekord('x').hashedRekordRequestV002.signature, verifier: { publicKey: { rawBytes: spki }, keyDetails: 'PKIX_ED25519' } } } }, 'application/json', 400, 3, /not an allowed/],
    ['a signature that does not verify', hashedRekord('x', { digest: createHash('sha256').update('y').digest('base64') }), 'application/json', 400, 3, /does not verify/],
    ['an unknown key type', hashedRekord('x', { signature: { content: 'AAAA', verifier: { publicKey: { rawBytes: generateKeyPairSync('x448').publicKey.export({ type: 'spki', format: 'der' }).toString('base64') }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } } }), 'application/json', 400, 3, /unsupported public key/],
  ];
  it.each(cases)('refuses %s with the rekor-tiles error shape', async (_name, body, type, status, code, message) => {
    const log = openTestLog();
    const app = createApp(log, { publicUrl: 'http://127.0.0.1' });
    const payload = typeof body === 'object' ? JSON.stringify(body) : body.startsWith('hex:') ? Buffer.from(body.slice(4), 'hex') : body;
    const res = await request(app).post('/api/v2/log/entries').set('Content-Type', type).send(payload).expect(status);
    expect(res.body).toMatchObject({ code, details: [] });
    expect(res.body.message).toMatch(message);
    expect(log.size).toBe(0);
    // The server keeps serving.
    await request(app).post('/api/v2/log/entries').send(hashedRekord('after')).expect(201);
  });

  it('admits on the admission worker threads exactly as inline', async () => {
    const pool = await AdmitPool.start({ size: 1 });
    try {
      const inline = createApp(openTestLog(), { publicUrl: 'http://127.0.0.1' });
      const pooled = createApp(openTestLog(), { publicUrl: 'http://127.0.0.1', admission: pool });
      const req = hashedRekord('pooled'); // ECDSA signatures are randomized: one request for both
      const a = await request(inline).post('/api/v2/log/entries').send(req).expect(201);
      const b = await request(pooled).post('/api/v2/log/entries').send(req).expect(201);
      expect(b.body.canonicalizedBody).toBe(a.body.canonicalizedBody);
      for (const body of ['not json', JSON.stringify(hashedRekord('x', { digest: 'AAAA' })), JSON.stringify({ ...hashedRekord('x'), extra: 1 })]) {
        const x = await request(inline).post('/api/v2/log/entries').set('Content-Type', 'application/json').send(body);
        const y = await request(pooled).post('/api/v2/log/entries').set('Content-Type', 'application/json').send(body);
        expect([y.status, y.body]).toEqual([x.status, x.body]);
        expect(y.status).toBe(400);
      }
    } finally {
      await pool.close();
    }
  });

  it('refuses an oversized body with 413', async () => {
    const log = openTestLog();
    const app = createApp(log, { publicUrl: 'http://127.0.0.1', maxBodyBytes: 4096 });
    const big = JSON.stringify(hashedRekord('x', { signature: { content: Buffer.alloc(6000).toString('base64') } }));
    const res = await request(app).post('/api/v2/log/entries').set('Content-Type', 'application/json').send(big).expect(413);
    expect(res.body.message).toMatch(/too large/);
    expect(log.size).toBe(0);
  });
});
