// GET / and the explorer's assets: what is served, with which caching and security headers.
import express from 'express';
import request from 'supertest';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/index.js';
import { expressRoutes } from '../../src/api/route.js';
import { explorerRoutes } from '../../src/api/explorer.js';
import { openTestLog, tempDir } from '../helpers/test-log.js';
import { buildExplorer } from '../explorer/browser.js';

beforeAll(() => buildExplorer());

describe('explorer routes', () => {
  it('serves the page at / (revalidated, locked down) and its hashed assets (immutable), gzipped on request', async () => {
    const app = createApp(openTestLog(), { publicUrl: 'http://127.0.0.1' });
    const page = await request(app).get('/').set('Accept-Encoding', 'identity');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers.vary).toBe('Accept-Encoding');
    const assets = [...page.text.matchAll(/"explorer\/([^"]+)"/g)].map((m) => m[1]);
    expect(assets).toHaveLength(2);
    // Nothing from elsewhere: every URL in the page is relative.
    expect(page.text).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);

    for (const name of assets) {
      const plain = await request(app).get(`/explorer/${name}`).set('Accept-Encoding', 'identity');
      expect(plain.status).toBe(200);
      expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(plain.headers['content-type']).toMatch(name.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      const gz = await request(app).get(`/explorer/${name}`).set('Accept-Encoding', 'gzip').buffer(true).parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      expect(gz.headers['content-encoding']).toBe('gzip');
      // supertest inflates gzip itself; either way the bytes are the asset's.
      const body = gz.body as Buffer;
      const inflated = body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body;
      expect(inflated.toString()).toBe(plain.text);
    }
  });

  it.each(['/explorer/app.0000000000000000.js', '/explorer/..%2Fpackage.json', '/explorer/index.html', '/index.html'])('answers %s with a JSON 404', async (path) => {
    const res = await request(createApp(openTestLog(), { publicUrl: 'http://127.0.0.1' })).get(path);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 404, message: 'not found' });
  });

  it('says how to build the page when it was not built', async () => {
    const app = express().use(expressRoutes(explorerRoutes(tempDir())));
    const res = await request(app).get('/');
    expect(res.status).toBe(404);
    expect(res.body.message).toMatch(/not built: run npm install/);
  });
});
