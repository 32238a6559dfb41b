import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { writeRateLimit } from '../../src/api/limits.js';
import { hashedrekord, newSigner } from '../helpers/hashedrekord-gen.js';
import { blockSequencer, listen, opsLog } from './helpers.js';

/** postChunked sends body without a Content-Length (chunked), so only the body parser can count it. */
function postChunked(url: string, path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url + path, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 1000) req.write(body.slice(i, i + 1000));
    req.end();
  });
}

describe('request limits', () => {
  it('answers 413 JSON for a body over --max-body, declared or chunked', async () => {
    const { app, log } = opsLog({}, { maxBodyBytes: 4096 });
    const big = JSON.stringify({ pad: 'x'.repeat(5000) });
    const r = await request(app).post('/api/v1/log/entries').set('content-type', 'application/json').send(big).expect(413);
    expect(r.body).toEqual({ code: 413, message: `request body too large: ${big.length} bytes, the limit is 4096` });
    const url = await listen(app);
    const c = await postChunked(url, '/api/v1/log/entries', big);
    expect(c.status).toBe(413);
    expect(JSON.parse(c.body)).toEqual({ code: 413, message: 'request body too large: over the limit of 4096 bytes' });
    // Under the limit the same route reads the body (and admits a valid entry).
    await request(app).post('/api/v1/log/entries').send(hashedrekord(newSigner())).expect(201);
    expect(log.size).toBe(1);
  });

  it('answers 429 with Retry-After once a client has used its write burst, and refills over time', async () => {
    let now = 1_000_000;
    const { app } = opsLog({}, { rateLimit: { perSecond: 2, burst: 3, now: () => now } });
    for (let i = 0; i < 3; i++) await request(app).post('/api/v1/log/entries/retrieve').send({ hashes: [] }).expect((r) => expect(r.status).not.toBe(429));
    const r = await request(app).post('/api/v1/log/entries/retrieve').send({ hashes: [] }).expect(429);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.body.code).toBe(429);
    expect(r.body.message).toMatch(/too many writes/);
    // Reads are never limited.
    for (let i = 0; i < 10; i++) await request(app).get('/checkpoint').expect(200);
    // Half a second refills one token at 2/s: one more write, then limited again.
    now += 500;
    await request(app).post('/api/v1/log/entries/retrieve').send({ hashes: [] }).expect((res) => expect(res.status).not.toBe(429));
    await request(app).post('/api/v1/log/entries/retrieve').send({ hashes: [] }).expect(429);
    // A long idle period refills only up to the burst.
    now += 60_000;
    for (let i = 0; i < 3; i++) await request(app).post('/x').expect(404);
    await request(app).post('/x').expect(429);
  });

  it('keeps one bucket per client address and a bounded number of buckets', () => {
    const now = 0;
    const limit = writeRateLimit({ perSecond: 1, burst: 1, now: () => now, maxClients: 2 });
    const call = (ip: string) => {
      let status = 0;
      let passed = false;
      const res = { writeHead: (s: number) => void (status = s), end: () => {} } as never;
      limit({ method: 'POST', socket: { remoteAddress: ip } } as never, res, () => (passed = true));
      return passed ? 'pass' : status;
    };
    expect(call('10.0.0.1')).toBe('pass');
    expect(call('10.0.0.1')).toBe(429);
    expect(call('10.0.0.2')).toBe('pass'); // another client has its own bucket
    expect(call('10.0.0.3')).toBe('pass'); // evicts the longest-idle client, 10.0.0.1...
    expect(call('10.0.0.1')).toBe('pass'); // ...which starts again with a full bucket
    expect(call('10.0.0.3')).toBe(429);
  });

  it('is off by default', async () => {
    const { app } = opsLog();
    for (let i = 0; i < 50; i++) await request(app).post('/x').expect(404);
  });

  it('answers 503 with Retry-After when the sequencer queue is full, and accepts again once it drains', async () => {
    const { app, log } = opsLog({ maxQueue: 2 });
    const url = await listen(app);
    const signer = newSigner();
    const post = (e: unknown) => fetch(url + '/api/v1/log/entries', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(e) });
    const resume = blockSequencer(log);
    const queued = [post(hashedrekord(signer)), post(hashedrekord(signer))];
    while (log.pending < 2) await new Promise((r) => setTimeout(r, 5));
    const full = await post(hashedrekord(signer));
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('1');
    expect(await full.json()).toMatchObject({ code: 503, message: expect.stringMatching(/queue is full/) });
    resume();
    for (const q of await Promise.all(queued)) expect(q.status).toBe(201);
    expect((await post(hashedrekord(signer))).status).toBe(201);
    expect(log.size).toBe(3);
  });
});
