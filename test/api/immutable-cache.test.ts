// Issue 18.4: finished full tiles and entry bundles are answered from a byte-bounded cache, with a
// metric for hits, so repeated reads cost neither SQLite reads nor gzip work; the bytes are the
// same as built ones, and partial tiles are never cached.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/api/index.js';
import { ImmutableCache } from '../../src/api/immutable-cache.js';
import { gzipSync } from 'node:zlib';
import { createApp } from '../../src/api/index.js';
import { body, openTestLog } from '../helpers/test-log.js';
import { metricValue } from '../ops/helpers.js';

const answer = (body: Buffer) => ({ status: 200, headers: {}, body });

describe('ImmutableCache', () => {
  it('stays within its byte bound, dropping the least recently used answers first', () => {
    const lookups: string[] = [];
    const c = new ImmutableCache(800, (kind, hit) => lookups.push(`${kind}:${hit}`));
    for (const k of ['a', 'b', 'c', 'd']) c.set(k, answer(Buffer.alloc(100, k)));
    expect(c.bytes).toBe(400);
    expect(c.get('t', 'a')?.body.toString()).toBe('a'.repeat(100)); // a is now the most recent
    for (const k of ['e', 'f', 'g', 'h', 'i']) c.set(k, answer(Buffer.alloc(100, k)));
    expect(c.bytes).toBe(800);
    expect(c.get('t', 'b')).toBeUndefined(); // the least recently used went first
    expect(c.get('t', 'a')).toBeDefined();
    c.set('big', answer(Buffer.alloc(101))); // over an eighth of the bound: not cached
    expect(c.get('t', 'big')).toBeUndefined();
    expect(lookups).toEqual(['t:true', 't:false', 't:true', 't:false']);
  });

  it('caches nothing with a bound of 0', () => {
    const c = new ImmutableCache(0);
    c.set('a', answer(Buffer.alloc(1)));
    expect(c.get('t', 'a')).toBeUndefined();
    expect(c.bytes).toBe(0);
  });
});

describe('full tile and bundle reads', () => {
  async function servedLog(cacheBytes?: number) {
    const log = openTestLog();
    await Promise.all(Array.from({ length: 300 }, (_, i) => log.append({ body: body(i), kind: 'test', indexKeys: [] })));
    const metrics = new Metrics({ processMetrics: false }).bindLog(log);
    const app = createApp(log, { publicUrl: 'http://127.0.0.1', metrics, ...(cacheBytes !== undefined && { immutableCacheBytes: cacheBytes }) });
    const count = async (kind: string, result: string) => metricValue((await metrics.render()).body, 'cairn_immutable_cache_requests_total', `kind="${kind}",result="${result}"`) ?? 0;
    return { app, metrics, count };
  }
  const raw = (r: request.Response) => r.body as Buffer;
  const binary = (req: request.Test) => req.buffer(true).parse((res, cb) => {
    const chunks: Buffer[] = [];
    res.on('data', (d: Buffer) => chunks.push(d));
    res.on('end', () => cb(null, Buffer.concat(chunks)));
  });

  it('answers repeats from the cache, byte for byte what was built, and counts hits and misses', async () => {
    const { app, metrics, count } = await servedLog();
    const tile1 = await binary(request(app).get('/tile/0/000')).expect(200);
    const tile2 = await binary(request(app).get('/tile/0/000')).expect(200);
    expect(raw(tile2).equals(raw(tile1))).toBe(true);
    expect(raw(tile1).length).toBe(256 * 32);
    expect([await count('tile', 'miss'), await count('tile', 'hit')]).toEqual([1, 1]);

    const gz1 = await binary(request(app).get('/tile/entries/000').set('Accept-Encoding', 'gzip')).expect(200).expect('Content-Encoding', 'gzip');
    const gz2 = await binary(request(app).get('/tile/entries/000').set('Accept-Encoding', 'gzip')).expect(200).expect('Content-Encoding', 'gzip');
    const id = await binary(request(app).get('/tile/entries/000').set('Accept-Encoding', 'identity')).expect(200);
    expect(id.headers['content-encoding']).toBeUndefined();
    expect(raw(gz2).equals(raw(gz1))).toBe(true);
    expect(raw(gz1).equals(raw(id))).toBe(true); // superagent has gunzipped it
    expect(gz2.headers.vary).toBe('Accept-Encoding');
    expect(gz2.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    // Two encodings, two cache entries: the first of each is built.
    expect([await count('bundle', 'miss'), await count('bundle', 'hit')]).toEqual([2, 1]);
    const cached = metricValue((await metrics.render()).body, 'cairn_immutable_cache_bytes')! - 256 * 32 - raw(id).length;
    expect(cached).toBe(gzipSync(raw(id)).length); // the gzipped bundle (same zlib, same level)

    // Partial tiles (the right edge) change as the log grows: never looked up, never cached.
    await request(app).get('/tile/0/001.p/44').expect(200);
    await request(app).get('/tile/entries/001.p/44').expect(200);
    expect([await count('tile', 'miss'), await count('tile', 'hit'), await count('bundle', 'miss')]).toEqual([1, 1, 2]);
  });

  it('builds every answer with the cache off, and they are the same bytes', async () => {
    const on = await servedLog();
    const off = await servedLog(0);
    for (const path of ['/tile/0/000', '/tile/entries/000']) {
      for (let i = 0; i < 2; i++) {
        const a = await binary(request(off.app).get(path)).expect(200);
        const b = await binary(request(on.app).get(path)).expect(200);
        expect(raw(a).equals(raw(b))).toBe(true);
      }
    }
    expect([await off.count('tile', 'hit'), await off.count('bundle', 'hit'), await off.count('tile', 'miss')]).toEqual([0, 0, 2]);
  });
});
