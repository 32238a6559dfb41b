// The intoto and cose kinds through the HTTP API's generic admission path: Rekor's own test
// inputs upload with 201 and the body Rekor stores, are found by search, and are refused with a
// 400 {code, message} when they do not verify; the server keeps serving.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/index.js';
import { TEST_ORIGIN, openTestLog } from '../helpers/test-log.js';
import { verifyLogEntry, type LogEntryAnon } from './verifier.js';

const FIXTURES = join(import.meta.dirname, '..', 'kinds', 'fixtures');
const read = (name: string) => readFileSync(join(FIXTURES, name));
const b64 = (b: Uint8Array | string) => Buffer.from(b).toString('base64');

const cose = { apiVersion: '0.0.1', kind: 'cose', spec: { message: b64(read('rekor-test_cose.cbor')), publicKey: b64(read('rekor-test_cose.pub')), data: { aad: b64('test aad') } } };
const intoto1 = { apiVersion: '0.0.1', kind: 'intoto', spec: { content: { envelope: read('rekor-intoto_dsse.json').toString() }, publicKey: b64(read('rekor-intoto_dsse.pem')) } };

describe('intoto and cose over HTTP', () => {
  it('upload, read back, search; bad ones are 400s and the log is unchanged', async () => {
    const log = openTestLog({ keyType: 'ecdsa-p256' });
    const app = createApp(log, { publicUrl: 'http://cairn.test/' });
    for (const [i, entry] of [cose, intoto1].entries()) {
      const res = await request(app).post('/api/v1/log/entries').send(entry).expect(201);
      const [id, e] = Object.entries(res.body as Record<string, LogEntryAnon>)[0];
      expect(e.logIndex).toBe(i);
      verifyLogEntry(id, e, log.key.publicKeyPem, TEST_ORIGIN);
      expect(JSON.parse(Buffer.from(e.body, 'base64').toString())).toMatchObject({ kind: entry.kind, apiVersion: entry.apiVersion });
      await request(app).post('/api/v1/log/entries').send(entry).expect(409);
    }
    // The COSE envelope's hash finds the cose entry.
    const envelopeHash = createHash('sha256').update(read('rekor-test_cose.cbor')).digest('hex');
    const found = await request(app).post('/api/v1/index/retrieve').send({ hash: `sha256:${envelopeHash}` }).expect(200);
    expect(found.body).toHaveLength(1);

    const noAad = structuredClone(cose);
    noAad.spec.data = {} as typeof noAad.spec.data;
    const bad = await request(app).post('/api/v1/log/entries').send(noAad).expect(400);
    expect(bad.body.message).toMatch(/signature does not verify/);
    expect(bad.body.code).toBe(400);
    const wrongKey = structuredClone(intoto1);
    wrongKey.spec.publicKey = b64(read('rekor-intoto_multi_pub2.pem'));
    await request(app).post('/api/v1/log/entries').send(wrongKey).expect(400);
    expect(log.size).toBe(2);
  });
});
