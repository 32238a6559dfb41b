// Bad input of any kind gets a 4xx JSON {code, message}, never a 500: arbitrary JSON bodies,
// entry IDs and query strings thrown at every Rekor endpoint of a log with a few entries.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/index.js';
import { Log } from '../../src/log/index.js';
import { TEST_ORIGIN, body } from '../helpers/test-log.js';
import { newSigner, proposedEntry } from './entries-gen.js';

let server: Server;
let url: string;
let log: Log;
let dir: string;

// One log for the whole file (test-log.ts's helpers close theirs after each test).
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-fuzz-'));
  log = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0, synchronous: 'NORMAL' });
  await Promise.all([0, 1, 2].map((i) => log.append({ body: body(i), kind: 'test/0.0.1', indexKeys: ['email:a@example.com'] })));
  server = await new Promise<Server>((resolve) => {
    const s = createApp(log, { publicUrl: 'http://127.0.0.1' }).listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await log.close();
  rmSync(dir, { recursive: true, force: true });
});

const hexString = (minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength, maxLength });

function expectClean(res: request.Response, allowed: number[]): void {
  expect(allowed, `${res.status} ${res.text}`).toContain(res.status);
  expect(res.headers['content-type']).toMatch(/application\/json/);
  if (res.status >= 400) {
    expect(res.body.code).toBe(res.status);
    expect(typeof res.body.message).toBe('string');
  }
}

// A proposed entry with random parts replaced: near-valid inputs reach deeper than random JSON.
const mangledEntry = fc
  .record({ path: fc.constantFrom('kind', 'apiVersion', 'spec', 'spec.data', 'spec.data.hash', 'spec.data.hash.value', 'spec.signature', 'spec.signature.content', 'spec.signature.publicKey.content'), value: fc.jsonValue({ maxDepth: 2 }) })
  .map(({ path, value }) => {
    const e = proposedEntry(newSigner()) as Record<string, unknown>;
    const parts = path.split('.');
    let o = e;
    for (const p of parts.slice(0, -1)) o = o[p] as Record<string, unknown>;
    o[parts[parts.length - 1]] = value;
    return e;
  });

describe('no input makes a Rekor endpoint fail with 500', () => {
  it('POST /api/v1/log/entries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 3 }), mangledEntry), async (b) => {
        const res = await request(url).post('/api/v1/log/entries').set('Content-Type', 'application/json').send(JSON.stringify(b));
        expectClean(res, [400]);
      }),
      { numRuns: 60 },
    );
  });

  it('POST /api/v1/log/entries/retrieve', async () => {
    const query = fc.record(
      { entryUUIDs: fc.array(fc.oneof(hexString(60, 84), fc.jsonValue({ maxDepth: 1 })), { maxLength: 4 }), logIndexes: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 4 }), entries: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }) },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(query, fc.jsonValue({ maxDepth: 3 })), async (b) => {
        const res = await request(url).post('/api/v1/log/entries/retrieve').set('Content-Type', 'application/json').send(JSON.stringify(b));
        expectClean(res, [200, 400, 422]);
      }),
      { numRuns: 80 },
    );
  });

  it('POST /api/v1/index/retrieve', async () => {
    const query = fc.record(
      {
        hash: fc.oneof(hexString(0, 130), fc.string(), fc.jsonValue({ maxDepth: 1 })),
        publicKey: fc.oneof(fc.record({ format: fc.constantFrom('x509', 'ssh', 'pgp', 'nope'), content: fc.oneof(fc.base64String(), fc.string()) }), fc.jsonValue({ maxDepth: 1 })),
        email: fc.oneof(fc.emailAddress(), fc.string(), fc.jsonValue({ maxDepth: 1 })),
        subject: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })),
        operator: fc.oneof(fc.constantFrom('and', 'or'), fc.string()),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(query, fc.jsonValue({ maxDepth: 3 })), async (b) => {
        const res = await request(url).post('/api/v1/index/retrieve').set('Content-Type', 'application/json').send(JSON.stringify(b));
        expectClean(res, [200, 400]);
      }),
      { numRuns: 80 },
    );
  });

  it('GET entries by UUID and index, and proofs, with arbitrary parameters', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 90 }), fc.oneof(fc.string({ maxLength: 24 }), fc.nat(5).map(String)), fc.oneof(fc.string({ maxLength: 24 }), fc.nat(5).map(String)), async (id, a, b) => {
        const uuid = await request(url).get(`/api/v1/log/entries/${encodeURIComponent(id)}`);
        expectClean(uuid, [400, 404]);
        const idx = await request(url).get(`/api/v1/log/entries?logIndex=${encodeURIComponent(a)}`);
        expectClean(idx, [200, 400, 404]);
        const proof = await request(url).get(`/api/v1/log/proof?firstSize=${encodeURIComponent(a)}&lastSize=${encodeURIComponent(b)}&treeID=${encodeURIComponent(b)}`);
        expectClean(proof, [200, 400]);
      }),
      { numRuns: 60 },
    );
    for (const raw of ['/api/v1/log/entries/%ZZ', '/api/v1/log/entries?logIndex=%ZZ', '/api/v1/log/proof?lastSize=1e3']) {
      const res = await request(url).get(raw);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(400);
    }
  });

  it('a POST body with a wrong encoding or charset', async () => {
    const gz = await request(url).post('/api/v1/log/entries').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send('not gzip');
    expect(gz.status).toBeGreaterThanOrEqual(400);
    expect(gz.status).toBeLessThan(500);
    const cs = await request(url).post('/api/v1/log/entries').set('Content-Type', 'application/json; charset=klingon').send('{}');
    expect(cs.status).toBeGreaterThanOrEqual(400);
    expect(cs.status).toBeLessThan(500);
    expect(cs.body.code).toBe(cs.status);
  });
});
