import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/index.js';
import { asciiJson } from '../../src/api/rekor-format.js';
import fc from 'fast-check';
import { entryTimestampPayload, signEntryTimestamp, verifyEntryTimestamp, type Log } from '../../src/log/index.js';
import { leafHash } from '../../src/merkle/index.js';
import { TEST_ORIGIN, body, openTestLog } from '../helpers/test-log.js';
import { openRekorNote, rootFromInclusion, setPayload, verifyLogEntry, type LogEntryAnon } from './verifier.js';

const PUBLIC_URL = 'http://cairn.test';

async function logWith(n: number, keyType: 'ed25519' | 'ecdsa-p256' = 'ed25519'): Promise<Log> {
  const log = openTestLog({ keyType });
  await Promise.all(Array.from({ length: n }, (_, i) => log.append({ body: body(i), kind: 'test/0.0.1', indexKeys: [] })));
  return log;
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
const treeHex = (log: Log) => BigInt(log.treeId).toString(16).padStart(16, '0');

/** only returns the single [id, entry] of a LogEntry body. */
function only(b: Record<string, LogEntryAnon>): [string, LogEntryAnon] {
  const all = Object.entries(b);
  expect(all).toHaveLength(1);
  return all[0];
}

describe('GET /api/v1/log', () => {
  it('returns root, size, the Rekor signed tree head and the tree ID, in Rekor field order', async () => {
    const log = await logWith(5);
    const res = await request(createApp(log, { publicUrl: PUBLIC_URL })).get('/api/v1/log').expect(200).expect('Content-Type', /application\/json/);
    expect(Object.keys(res.body)).toEqual(['inactiveShards', 'rootHash', 'signedTreeHead', 'treeID', 'treeSize']);
    expect(res.body).toMatchObject({ inactiveShards: [], treeSize: 5, treeID: log.treeId, rootHash: hexOf(log.rootAt(5)), signedTreeHead: log.latest().rekor });
    const cp = openRekorNote(res.body.signedTreeHead, log.key.publicKeyPem, TEST_ORIGIN);
    expect(cp.size).toBe(5);
    expect(cp.rootHash.toString('hex')).toBe(res.body.rootHash);
  });

  it("is ASCII: the note's em dash is escaped, and the JSON value is the note", async () => {
    const log = await logWith(3);
    expect(log.latest().rekor).toContain('\u2014');
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    for (const path of ['/api/v1/log', '/api/v1/log/entries?logIndex=1']) {
      const res = await request(app).get(path).expect(200);
      expect(res.text).toMatch(/^[\x20-\x7e]*$/);
      expect(res.text).toContain('\\u2014');
    }
    const res = await request(app).get('/api/v1/log').expect(200);
    expect(res.body.signedTreeHead).toBe(log.latest().rekor);
  });

  it('serves the empty log', async () => {
    const log = openTestLog();
    const res = await request(createApp(log, { publicUrl: PUBLIC_URL })).get('/api/v1/log').expect(200);
    expect(res.body.treeSize).toBe(0);
    expect(res.body.rootHash).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('GET /api/v1/log/publicKey', () => {
  it('returns the PEM, and refuses another tree ID', async () => {
    const log = openTestLog();
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    const res = await request(app).get('/api/v1/log/publicKey').expect(200).expect('Content-Type', /application\/x-pem-file/);
    expect(res.text).toBe(log.key.publicKeyPem);
    await request(app).get(`/api/v1/log/publicKey?treeID=${log.treeId}`).expect(200);
    const bad = await request(app).get('/api/v1/log/publicKey?treeID=12').expect(400);
    expect(bad.body).toEqual({ code: 400, message: 'no log range found for tree ID 12' });
  });
});

describe('GET /api/v1/log/proof', () => {
  it('returns consistency proofs that verify, with the root at lastSize', async () => {
    const log = await logWith(13);
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    for (const [m, n] of [[1, 13], [4, 13], [7, 11], [3, 8]]) {
      const res = await request(app).get(`/api/v1/log/proof?firstSize=${m}&lastSize=${n}`).expect(200);
      expect(Object.keys(res.body)).toEqual(['hashes', 'rootHash']);
      expect(res.body.rootHash).toBe(hexOf(log.rootAt(n)));
      expect(res.body.hashes).toEqual(log.consistencyProof(m, n).map(hexOf));
      expect(res.body.hashes.length).toBeGreaterThan(0);
    }
  });

  it('defaults firstSize to 1 and answers equal sizes with no hashes', async () => {
    const log = await logWith(6);
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    const d = await request(app).get('/api/v1/log/proof?lastSize=6').expect(200);
    expect(d.body.hashes).toEqual(log.consistencyProof(1, 6).map(hexOf));
    const eq = await request(app).get('/api/v1/log/proof?firstSize=4&lastSize=4').expect(200);
    expect(eq.body).toEqual({ hashes: [], rootHash: hexOf(log.rootAt(4)) });
    await request(app).get(`/api/v1/log/proof?lastSize=6&treeID=${log.treeId}`).expect(200);
  });

  const cases: [string, string, string][] = [
    ['reversed sizes', '?firstSize=5&lastSize=3', 'firstSize(5) must be less than lastSize(3)'],
    ['a size past the tree', '?firstSize=1&lastSize=7', 'the tree size requested(7) was greater than what is currently observable(6)'],
    ['no lastSize', '?firstSize=1', 'lastSize in query is required'],
    ['lastSize 0', '?lastSize=0', 'lastSize in query should be greater than or equal to 1'],
    ['firstSize 0', '?firstSize=0&lastSize=3', 'firstSize in query should be greater than or equal to 1'],
    ['a non-integer', '?lastSize=abc', 'lastSize in query must be an integer'],
    ['a huge integer', '?lastSize=99999999999999999999', 'lastSize in query must be an integer'],
    ['a repeated parameter', '?lastSize=3&lastSize=4', 'lastSize in query must be an integer'],
    ['another tree', '?lastSize=3&treeID=1', 'no log range found for tree ID 1'],
    ['a malformed tree ID', '?lastSize=3&treeID=x1', 'invalid tree ID specified: x1'],
  ];
  it('refuses bad sizes and tree IDs with 400 and Rekor\'s messages', async () => {
    const log = await logWith(6);
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    for (const [name, q, message] of cases) {
      const res = await request(app).get(`/api/v1/log/proof${q}`);
      expect(res.status, name).toBe(400);
      expect(res.headers['content-type'], name).toMatch(/json/);
      expect(res.body, name).toEqual({ code: 400, message });
    }
  });
});

describe('GET /api/v1/log/entries', () => {
  it('returns an entry by index with a SET and an inclusion proof to the current checkpoint', async () => {
    for (const keyType of ['ed25519', 'ecdsa-p256'] as const) {
      const log = await logWith(9, keyType);
      const app = createApp(log, { publicUrl: PUBLIC_URL });
      for (const i of [0, 4, 8]) {
        const res = await request(app).get(`/api/v1/log/entries?logIndex=${i}`).expect(200).expect('Content-Type', /application\/json/);
        const [id, e] = only(res.body);
        expect(id).toBe(treeHex(log) + hexOf(leafHash(body(i))));
        expect(Object.keys(e)).toEqual(['body', 'integratedTime', 'logID', 'logIndex', 'verification']);
        expect(Object.keys(e.verification)).toEqual(['inclusionProof', 'signedEntryTimestamp']);
        expect(Object.keys(e.verification.inclusionProof)).toEqual(['checkpoint', 'hashes', 'logIndex', 'rootHash', 'treeSize']);
        expect(Buffer.from(e.body, 'base64')).toEqual(Buffer.from(body(i)));
        expect(e.logIndex).toBe(i);
        expect(e.verification.inclusionProof.checkpoint).toBe(log.latest().rekor);
        const cp = verifyLogEntry(id, e, log.key.publicKeyPem, TEST_ORIGIN);
        expect(cp.size).toBe(9);
      }
    }
  });

  it('proves old entries against the tree as it grows', async () => {
    const log = await logWith(3);
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    const before = only((await request(app).get('/api/v1/log/entries?logIndex=1').expect(200)).body)[1];
    await log.append({ body: body(99), kind: 'test/0.0.1', indexKeys: [] });
    const [id, after] = only((await request(app).get('/api/v1/log/entries?logIndex=1').expect(200)).body);
    expect(before.verification.inclusionProof.treeSize).toBe(3);
    expect(after.verification.inclusionProof.treeSize).toBe(4);
    verifyLogEntry(id, after, log.key.publicKeyPem, TEST_ORIGIN);
    // The SET covers only the entry, so it is the same (Ed25519 is deterministic).
    expect(after.verification.signedEntryTimestamp).toBe(before.verification.signedEntryTimestamp);
  });

  it('answers a missing index with 404 JSON and bad ones with 400', async () => {
    const log = await logWith(2);
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    const nf = await request(app).get('/api/v1/log/entries?logIndex=2').expect(404).expect('Content-Type', /json/);
    expect(nf.body.code).toBe(404);
    for (const q of ['', '?logIndex=-1', '?logIndex=1.5', '?logIndex=x', '?logIndex[a]=1']) {
      const res = await request(app).get(`/api/v1/log/entries${q}`).expect(400);
      expect(res.body.code).toBe(400);
      expect(res.body.message).toMatch(/logIndex/);
    }
  });
});

describe('GET /api/v1/log/entries/{entryUUID}', () => {
  it('finds an entry by its 64-hex UUID and by its 80-hex entry ID, in either case', async () => {
    const log = await logWith(5);
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    const uuid = hexOf(leafHash(body(3)));
    const want = treeHex(log) + uuid;
    for (const ref of [uuid, want, uuid.toUpperCase(), '0000000000000000' + uuid]) {
      const res = await request(app).get(`/api/v1/log/entries/${ref}`).expect(200);
      const [id, e] = only(res.body);
      expect(id).toBe(want);
      expect(e.logIndex).toBe(3);
      verifyLogEntry(id, e, log.key.publicKeyPem, TEST_ORIGIN);
    }
  });

  it('answers unknown entries and other trees 404, malformed IDs 400', async () => {
    const log = await logWith(2);
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    const uuid = hexOf(leafHash(body(1)));
    await request(app).get(`/api/v1/log/entries/${'ab'.repeat(32)}`).expect(404);
    await request(app).get(`/api/v1/log/entries/0000000000000001${uuid}`).expect(404);
    for (const bad of ['xyz', 'ab'.repeat(31), 'g'.repeat(64), 'ab'.repeat(36), `ffffffffffffffff${uuid}`]) {
      const res = await request(app).get(`/api/v1/log/entries/${bad}`).expect(400);
      expect(res.body.code).toBe(400);
    }
  });
});

describe('POST /api/v1/log/entries/retrieve', () => {
  it('returns entries by UUID and index in Rekor\'s order, skipping missing ones', async () => {
    const log = await logWith(6);
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    const u = (i: number) => hexOf(leafHash(body(i)));
    const res = await request(app)
      .post('/api/v1/log/entries/retrieve')
      .send({ entryUUIDs: [u(2), treeHex(log) + u(4), 'cd'.repeat(32)], logIndexes: [0, 5, 77] })
      .expect(200);
    const got = (res.body as Record<string, LogEntryAnon>[]).map((le) => only(le)[1].logIndex);
    // Full entry IDs first, then plain UUIDs, then indexes (rekor SearchLogQueryHandler).
    expect(got).toEqual([4, 2, 0, 5]);
    for (const le of res.body as Record<string, LogEntryAnon>[]) verifyLogEntry(...only(le), log.key.publicKeyPem, TEST_ORIGIN);
  });

  it('accepts an empty query and refuses more than 10 items with 422', async () => {
    const log = await logWith(1);
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    expect((await request(app).post('/api/v1/log/entries/retrieve').send({}).expect(200)).body).toEqual([]);
    const res = await request(app)
      .post('/api/v1/log/entries/retrieve')
      .send({ logIndexes: [0, 0, 0, 0, 0, 0], entryUUIDs: Array(5).fill('ab'.repeat(32)) })
      .expect(422);
    expect(res.body).toEqual({ code: 422, message: 'more than max allowed 10 entries in request' });
  });

  const bad: [string, unknown][] = [
    ['a non-object body', [1, 2]],
    ['logIndexes not an array', { logIndexes: 3 }],
    ['a negative index', { logIndexes: [-1] }],
    ['a string index', { logIndexes: ['1'] }],
    ['a malformed UUID', { entryUUIDs: ['nothex'] }],
    ['a UUID that is not a string', { entryUUIDs: [7] }],
    ['an entry ID with tree ID 0', { entryUUIDs: ['0'.repeat(16) + 'ab'.repeat(32)] }],
  ];
  it('refuses malformed queries with 400', async () => {
    const log = await logWith(1);
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    for (const [name, payload] of bad) {
      const res = await request(app).post('/api/v1/log/entries/retrieve').send(payload as object);
      expect(res.status, name).toBe(400);
      expect(res.body.code, name).toBe(400);
    }
  });

  it('refuses a body that is not JSON with 400', async () => {
    const log = await logWith(1);
    const res = await request(createApp(log, { publicUrl: PUBLIC_URL })).post('/api/v1/log/entries/retrieve').set('Content-Type', 'application/json').send('{"logIndexes": [').expect(400);
    expect(res.body.code).toBe(400);
  });
});

describe('unknown routes', () => {
  it('answer 404 JSON', async () => {
    const log = openTestLog();
    const app = createApp(log, { publicUrl: PUBLIC_URL });
    for (const path of ['/api/v1/nothing', '/api/v2/log']) {
      const res = await request(app).get(path).expect(404).expect('Content-Type', /json/);
      expect(res.body.code).toBe(404);
    }
    await request(app).delete('/api/v1/log').expect(404);
  });
});

describe('rootFromInclusion (the test verifier itself)', () => {
  it('rejects a proof with a flipped hash', async () => {
    const log = await logWith(7);
    const proof = log.inclusionProof(2, 7).map((h) => Buffer.from(h));
    const leaf = Buffer.from(leafHash(body(2)));
    expect(rootFromInclusion(2, 7, leaf, proof)).toEqual(Buffer.from(log.rootAt(7)));
    proof[1][0] ^= 1;
    expect(rootFromInclusion(2, 7, leaf, proof)).not.toEqual(Buffer.from(log.rootAt(7)));
  });
});

describe('log/set.ts', () => {
  it('signs the JCS of the four fields, and its verifier rejects any changed field', () => {
    for (const keyType of ['ed25519', 'ecdsa-p256'] as const) {
      const log = openTestLog({ keyType });
      const f = { body: Buffer.from('{"a":1}').toString('base64'), integratedTime: 1_700_000_000, logID: hexOf(log.key.logId), logIndex: 12345 };
      expect(Buffer.from(entryTimestampPayload(f))).toEqual(setPayload(f));
      const set = signEntryTimestamp(log.key, f);
      expect(verifyEntryTimestamp(log.key, f, set)).toBe(true);
      for (const changed of [{ ...f, logIndex: 12346 }, { ...f, integratedTime: 1_700_000_001 }, { ...f, body: Buffer.from('{"a":2}').toString('base64') }, { ...f, logID: 'ab'.repeat(32) }]) {
        expect(verifyEntryTimestamp(log.key, changed, set)).toBe(false);
      }
    }
  });
});

describe('asciiJson', () => {
  it('is JSON.stringify with only ASCII in it: the same value for any string, lone surrogates too', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const j = asciiJson(s);
        expect(j).toMatch(/^[\x20-\x7e]*$/);
        expect(JSON.parse(j)).toBe(s);
      }),
    );
    expect(asciiJson('a\u2014b\n')).toBe('"a\\u2014b\\n"');
  });
});
