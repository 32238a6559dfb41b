import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/index.js';
import { TEST_ORIGIN, openTestLog } from '../helpers/test-log.js';
import { newSigner, proposedEntry } from './entries-gen.js';
import { verifyLogEntry, type LogEntryAnon } from './verifier.js';

const PUBLIC_URL = 'http://cairn.test/';
const ENTRIES_URL = 'http://cairn.test/api/v1/log/entries/';

function only(b: Record<string, LogEntryAnon>): [string, LogEntryAnon] {
  const all = Object.entries(b);
  expect(all).toHaveLength(1);
  return all[0];
}

describe('POST /api/v1/log/entries', () => {
  it('creates an entry: 201, Location and ETag, a SET and an inclusion proof to the batch checkpoint', async () => {
    for (const keyType of ['ed25519', 'ecdsa-p256'] as const) {
      const log = openTestLog({ keyType });
      const app = createApp(log, { publicUrl: PUBLIC_URL });
      const signer = newSigner();
      for (let i = 0; i < 3; i++) {
        const res = await request(app).post('/api/v1/log/entries').send(proposedEntry(signer)).expect(201).expect('Content-Type', /application\/json/);
        const [id, e] = only(res.body);
        expect(res.headers.location).toBe(ENTRIES_URL + id);
        expect(res.headers.etag).toBe(id);
        expect(e.logIndex).toBe(i);
        const cp = verifyLogEntry(id, e, log.key.publicKeyPem, TEST_ORIGIN);
        // The checkpoint is the one signed for the batch that integrated the entry.
        expect(cp.size).toBe(i + 1);
        expect(e.verification.inclusionProof.checkpoint).toBe(log.checkpointAt(i + 1)!.rekor);
        const body = JSON.parse(Buffer.from(e.body, 'base64').toString());
        expect(body).toMatchObject({ kind: 'hashedrekord', apiVersion: '0.0.1' });
        // The Location serves the same entry, with the SET stored when it was integrated (an
        // ECDSA signature is randomized: equal bytes mean it was not signed again).
        const again = await request(app).get(new URL(res.headers.location).pathname).expect(200);
        expect(only(again.body)[1].body).toBe(e.body);
        expect(only(again.body)[1].verification.signedEntryTimestamp).toBe(e.verification.signedEntryTimestamp);
        expect(Buffer.from(log.entryByIndex(i)!.entryTimestamp!).toString('base64')).toBe(e.verification.signedEntryTimestamp);
      }
      // An entry appended without one (through the log's own API) gets a valid SET when read.
      const plain = await log.append({ body: Buffer.from(JSON.stringify({ plain: keyType })), kind: 'test', indexKeys: [] });
      expect(plain.entry.entryTimestamp).toBeUndefined();
      const read = await request(app).get(`/api/v1/log/entries?logIndex=${plain.entry.index}`).expect(200);
      verifyLogEntry(...only(read.body), log.key.publicKeyPem, TEST_ORIGIN);
    }
  });

  it('answers a duplicate with 409, the existing entry\'s Location and Rekor\'s message, and adds no leaf', async () => {
    const log = openTestLog();
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    const entry = proposedEntry(newSigner());
    const first = await request(app).post('/api/v1/log/entries').send(entry).expect(201);
    const id = only(first.body)[0];
    const dup = await request(app).post('/api/v1/log/entries').send(entry).expect(409).expect('Content-Type', /json/);
    expect(dup.headers.location).toBe(ENTRIES_URL + id);
    expect(dup.body).toEqual({ code: 409, message: `an equivalent entry already exists in the transparency log with UUID ${id}` });
    expect(log.size).toBe(1);
  });

  it('integrates concurrent copies of one entry exactly once', async () => {
    const log = openTestLog();
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    const entry = proposedEntry(newSigner());
    const codes = (await Promise.all(Array.from({ length: 6 }, () => request(app).post('/api/v1/log/entries').send(entry)))).map((r) => r.status);
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c === 409)).toHaveLength(5);
    expect(log.size).toBe(1);
  });

  const badEntries: [string, () => unknown][] = [
    ['a signature over another artifact', () => ({ ...proposedEntry(newSigner()), spec: { ...proposedEntry(newSigner()).spec, data: proposedEntry(newSigner()).spec.data } })],
    ['an unsupported kind', () => ({ kind: 'rpm', apiVersion: '0.0.1', spec: {} })],
    ['an unsupported apiVersion', () => ({ ...proposedEntry(newSigner()), apiVersion: '9.9.9' })],
    ['no kind', () => ({ apiVersion: '0.0.1', spec: {} })],
    ['a spec of the wrong shape', () => ({ kind: 'hashedrekord', apiVersion: '0.0.1', spec: 'x' })],
    ['a non-base64 signature', () => {
      const e = proposedEntry(newSigner());
      e.spec.signature.content = '!!!';
      return e;
    }],
    ['an array', () => [proposedEntry(newSigner())]],
    ['an empty object', () => ({})],
  ];
  it('refuses malformed and unverifiable entries with 400 and Rekor\'s "error processing entry" message', async () => {
    const log = openTestLog();
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    for (const [name, make] of badEntries) {
      const res = await request(app).post('/api/v1/log/entries').send(make() as object);
      expect(res.status, name).toBe(400);
      expect(res.headers['content-type'], name).toMatch(/json/);
      expect(res.body.code, name).toBe(400);
      expect(res.body.message, name).toMatch(/^error processing entry: /);
    }
    expect(log.size).toBe(0);
  });

  it('refuses a body that is not JSON with 400', async () => {
    const log = openTestLog();
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    for (const [type, text] of [['application/json', '{"kind":'], ['text/plain', 'hello'], ['application/json', '"just a string"']]) {
      const res = await request(app).post('/api/v1/log/entries').set('Content-Type', type).send(text).expect(400);
      expect(res.body.code).toBe(400);
    }
  });

  it('refuses a body over maxBodyBytes with 413', async () => {
    const log = openTestLog();
    const app = createApp(log, { publicUrl: PUBLIC_URL, maxBodyBytes: 2000 });
    const e = proposedEntry(newSigner());
    await request(app).post('/api/v1/log/entries').send(e).expect(201);
    const big = { ...proposedEntry(newSigner()), pad: 'x'.repeat(3000) };
    const res = await request(app).post('/api/v1/log/entries').send(big).expect(413).expect('Content-Type', /json/);
    expect(res.body.code).toBe(413);
  });

  it('answers a full sequencer queue with 503 and Retry-After', async () => {
    const log = openTestLog({ maxQueue: 0 });
    const res = await request(createApp(log, { publicUrl: PUBLIC_URL })).post('/api/v1/log/entries').send(proposedEntry(newSigner())).expect(503);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body.code).toBe(503);
  });
});

describe('POST /api/v1/log/entries/retrieve with proposed entries', () => {
  it('finds an entry by its proposed form', async () => {
    const log = openTestLog();
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    const signer = newSigner();
    const a = proposedEntry(signer);
    const created = only((await request(app).post('/api/v1/log/entries').send(a).expect(201)).body);
    await request(app).post('/api/v1/log/entries').send(proposedEntry(signer)).expect(201);
    const res = await request(app).post('/api/v1/log/entries/retrieve').send({ entries: [a, proposedEntry(signer)] }).expect(200);
    expect(res.body).toHaveLength(1);
    expect(only(res.body[0])[0]).toBe(created[0]);
    const bad = await request(app).post('/api/v1/log/entries/retrieve').send({ entries: [{ kind: 'rpm' }] }).expect(400);
    expect(bad.body.code).toBe(400);
  });
});

describe('POST /api/v1/index/retrieve', () => {
  async function fixture() {
    const log = openTestLog();
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    const [k1, k2] = [newSigner(), newSigner()];
    const art = randomBytes(32);
    const ids: string[] = [];
    // 0: k1 signs art, 1: k1 signs something else, 2: k2 signs art
    for (const e of [proposedEntry(k1, art), proposedEntry(k1), proposedEntry(k2, art)]) {
      ids.push(only((await request(app).post('/api/v1/log/entries').send(e).expect(201)).body)[0]);
    }
    const hash = proposedEntry(k1, art).spec.data.hash.value;
    return { log, app, k1, k2, ids, hash };
  }
  const pk = (pem: string) => ({ format: 'x509', content: Buffer.from(pem).toString('base64') });

  it('finds entries by hash in any accepted spelling', async () => {
    const { app, ids, hash } = await fixture();
    for (const h of [hash, `sha256:${hash}`, hash.toUpperCase()]) {
      const res = await request(app).post('/api/v1/index/retrieve').send({ hash: h }).expect(200).expect('Content-Type', /json/);
      expect(res.body).toEqual([ids[0], ids[2]]);
    }
    expect((await request(app).post('/api/v1/index/retrieve').send({ hash: 'ab'.repeat(32) }).expect(200)).body).toEqual([]);
  });

  it('finds entries by public key, and combines fields with or (default) and and', async () => {
    const { app, ids, hash, k1, k2 } = await fixture();
    expect((await request(app).post('/api/v1/index/retrieve').send({ publicKey: pk(k1.pem) }).expect(200)).body).toEqual([ids[0], ids[1]]);
    expect((await request(app).post('/api/v1/index/retrieve').send({ publicKey: pk(k2.pem), hash }).expect(200)).body).toEqual([ids[0], ids[2]]);
    expect((await request(app).post('/api/v1/index/retrieve').send({ publicKey: pk(k1.pem), hash, operator: 'or' }).expect(200)).body).toEqual(ids);
    expect((await request(app).post('/api/v1/index/retrieve').send({ publicKey: pk(k2.pem), hash, operator: 'and' }).expect(200)).body).toEqual([ids[2]]);
    expect((await request(app).post('/api/v1/index/retrieve').send({ email: 'nobody@example.com' }).expect(200)).body).toEqual([]);
    expect((await request(app).post('/api/v1/index/retrieve').send({}).expect(200)).body).toEqual([]);
  });

  const badQueries: [string, unknown][] = [
    ['a malformed hash', { hash: 'sha256:xyz' }],
    ['a hash with the wrong prefix for its length', { hash: `sha1:${'ab'.repeat(32)}` }],
    ['a hash that is not a string', { hash: 12 }],
    ['an unknown operator', { hash: 'ab'.repeat(32), operator: 'xor' }],
    ['an unsupported key format', { publicKey: { format: 'pgp', content: 'AAAA' } }],
    ['an unknown key format', { publicKey: { format: 'jwk', content: 'AAAA' } }],
    ['key content that is not a key', { publicKey: { format: 'x509', content: Buffer.from('not a key').toString('base64') } }],
    ['key content that is not base64', { publicKey: { format: 'x509', content: '***' } }],
    ['a malformed email', { email: 'not-an-email' }],
    ['a body that is an array', [1]],
  ];
  it('refuses malformed queries with 400', async () => {
    const log = openTestLog();
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    for (const [name, q] of badQueries) {
      const res = await request(app).post('/api/v1/index/retrieve').send(q as object);
      expect(res.status, name).toBe(400);
      expect(res.body.code, name).toBe(400);
      expect(typeof res.body.message, name).toBe('string');
    }
  });

  it('refuses a query matching more than 1000 entries with 422', async () => {
    const log = openTestLog();
    await Promise.all(Array.from({ length: 1001 }, (_, i) => log.append({ body: Buffer.from(`e${i}`), kind: 'test/0.0.1', indexKeys: ['email:many@example.com', ...(i < 5 ? ['email:few@example.com'] : [])] })));
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    const res = await request(app).post('/api/v1/index/retrieve').send({ email: 'MANY@example.com' }).expect(422);
    expect(res.body.code).toBe(422);
    expect(res.body.message).toMatch(/more than 1000/);
    expect((await request(app).post('/api/v1/index/retrieve').send({ email: 'few@example.com' }).expect(200)).body).toHaveLength(5);
  });
});
