// Issue 16 (tile reads against nginx): a full tile or bundle answered once is kept (Route.cached)
// and written by the dispatcher without its handler. The bytes on the wire (status line, header
// fields in order, body; all but Date) must be those of the handler's answer, through the
// dispatcher or express, with the cache on or off; partial tiles, errors, requests with a body
// and a draining server never take that path.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Metrics, Readiness, createApp, type App } from '../../src/api/index.js';
import { body, openTestLog } from '../helpers/test-log.js';
import { metricValue } from '../ops/helpers.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function listen(listener: (req: IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<number> {
  const s = createServer(listener).listen(0, '127.0.0.1');
  servers.push(s);
  await new Promise((r) => s.once('listening', r));
  return (s.address() as AddressInfo).port;
}

/** served returns an app over a log of 300 entries (one full tile and bundle, then a partial), and its port. */
async function served(cacheBytes?: number) {
  const log = openTestLog();
  await Promise.all(Array.from({ length: 300 }, (_, i) => log.append({ body: body(i), kind: 'test', indexKeys: [] })));
  const metrics = new Metrics({ processMetrics: false }).bindLog(log);
  const readiness = new Readiness();
  const app = createApp(log, { publicUrl: 'http://127.0.0.1', metrics, readiness, ...(cacheBytes !== undefined && { immutableCacheBytes: cacheBytes }) });
  const hits = async (kind: string) => metricValue((await metrics.render()).body, 'cairn_immutable_cache_requests_total', `kind="${kind}",result="hit"`) ?? 0;
  return { app, readiness, hits, port: await listen(app) };
}

/**
 * raw sends one request, written by hand so nothing is normalised, on its own connection (which
 * it closes after the answer), and returns the answer's bytes with the Date field cut out.
 */
function raw(port: number, path: string, headers: Record<string, string> = {}, method = 'GET', reqBody = ''): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const fields = Object.entries({ Host: 'cairn.test', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`);
    s.write(`${method} ${path} HTTP/1.1\r\n${fields.join('')}\r\n${reqBody}`);
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      // A whole answer has arrived once its Content-Length is met: then hang up.
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(all.subarray(0, end).toString('latin1'));
      if (end >= 0 && length && all.length >= end + 4 + Number(length[1])) {
        clearTimeout(timer);
        timer = setTimeout(() => s.end(), 20); // nothing more must follow
      }
    });
    s.on('end', () => resolve(Buffer.from(Buffer.concat(chunks).toString('latin1').replace(/\r\nDate: [^\r]*/, ''), 'latin1')));
    s.on('error', reject);
  });
}

const head = (b: Buffer) => b.subarray(0, b.indexOf('\r\n\r\n')).toString('latin1');

describe('kept answers (full tiles and bundles)', () => {
  it.each<{ name: string; path: string; headers: Record<string, string> }>([
    { name: 'full tile', path: '/tile/0/000', headers: {} },
    { name: 'full bundle, gzip', path: '/tile/entries/000', headers: { 'Accept-Encoding': 'gzip' } },
    { name: 'full bundle, identity', path: '/tile/entries/000', headers: { 'Accept-Encoding': 'identity' } },
    { name: 'full bundle, no Accept-Encoding', path: '/tile/entries/000', headers: {} },
  ])('$name: the same bytes built, kept, through express, and with the cache off', async ({ path, headers }) => {
    const on = await served();
    const off = await served(0);
    const built = await raw(on.port, path, headers); // the handler's answer, now kept
    const kept = await raw(on.port, path, headers); // written by the dispatcher as kept
    const viaExpress = await raw(on.port, `${path}?via=express`, headers); // not canonical: express, the same handler
    const uncached = await raw(off.port, path, headers);
    expect(head(built)).toMatch(/^HTTP\/1\.1 200 OK\r\nCache-Control: public, max-age=31536000, immutable\r\nContent-Type: application\/octet-stream\r\n/);
    for (const b of [kept, viaExpress, uncached]) expect(b.toString('latin1')).toBe(built.toString('latin1'));
    expect(await on.hits(path.includes('entries') ? 'bundle' : 'tile')).toBe(2); // the kept write and express's handler
  });

  it('negotiates each bundle encoding as the handler does, and keeps them apart', async () => {
    const s = await served();
    const gz = await raw(s.port, '/tile/entries/000', { 'Accept-Encoding': 'gzip' });
    const id = await raw(s.port, '/tile/entries/000', { 'Accept-Encoding': 'gzip;q=0.5, identity' });
    expect(head(gz)).toContain('Content-Encoding: gzip');
    expect(head(id)).not.toContain('Content-Encoding');
    // Kept now, each under its own encoding.
    expect((await raw(s.port, '/tile/entries/000', { 'Accept-Encoding': 'br, gzip' })).equals(gz)).toBe(true);
    expect((await raw(s.port, '/tile/entries/000', { 'Accept-Encoding': 'identity' })).equals(id)).toBe(true);
    expect(await s.hits('bundle')).toBe(2);
  });

  /** keptOnly serves app through answerKept alone: 299 when it declines. */
  async function keptOnly(app: App): Promise<number> {
    return listen((req, res) => {
      if (!app.answerKept(req, res, { 'X-Test': 'kept' })) res.writeHead(299, 'Declined', { 'Content-Length': '0' }).end();
    });
  }

  it('keeps full tiles and bundles only once answered, never partials or errors', async () => {
    const s = await served();
    const only = await keptOnly(s.app);
    const paths = ['/tile/0/000', '/tile/entries/000', '/tile/0/001.p/44', '/tile/entries/001.p/44', '/tile/0/001', '/tile/0/0', '/tile/0/../000', '/tile/1/000'];
    for (const p of paths) expect(head(await raw(only, p)), p).toMatch(/^HTTP\/1\.1 299 /);
    const answers = await Promise.all(paths.map((p) => raw(s.port, p)));
    expect(answers.map((a) => head(a).split('\r\n')[0])).toEqual([
      'HTTP/1.1 200 OK',
      'HTTP/1.1 200 OK',
      'HTTP/1.1 200 OK',
      'HTTP/1.1 200 OK',
      'HTTP/1.1 404 Not Found', // past the tree: will exist soon
      'HTTP/1.1 400 Bad Request',
      'HTTP/1.1 400 Bad Request',
      'HTTP/1.1 404 Not Found', // level 1 has no full tile yet
    ]);
    for (const a of answers.slice(4)) expect(head(a)).toContain('Cache-Control: no-store');
    expect(head(answers[2])).toContain('Cache-Control: public, max-age=60');
    // Only the two full ones are kept; the extra header comes first, as setHeader put it.
    const again = await Promise.all(paths.map((p) => raw(only, p)));
    expect(again.map((a) => head(a).split('\r\n')[0])).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK', ...Array(6).fill('HTTP/1.1 299 Declined')]);
    expect(head(again[0]).split('\r\n')[1]).toBe('X-Test: kept');
    expect(again[0].subarray(again[0].indexOf('\r\n\r\n')).equals(answers[0].subarray(answers[0].indexOf('\r\n\r\n')))).toBe(true);
  });

  it('leaves a request with a body, a HEAD, other methods and a draining server to the full pipeline', async () => {
    const s = await served();
    const only = await keptOnly(s.app);
    await raw(s.port, '/tile/0/000');
    expect(head(await raw(only, '/tile/0/000'))).toMatch(/^HTTP\/1\.1 200 /);
    expect(head(await raw(only, '/tile/0/000', { 'Content-Length': '2' }, 'GET', '{}'))).toMatch(/^HTTP\/1\.1 299 /);
    expect(head(await raw(only, '/tile/0/000', {}, 'HEAD'))).toMatch(/^HTTP\/1\.1 299 /);
    expect(head(await raw(only, '/tile/0/000', { 'Content-Length': '0' }, 'POST'))).toMatch(/^HTTP\/1\.1 299 /);
    // The pipeline answers them: the GET with a body as before, HEAD through express.
    expect(head(await raw(s.port, '/tile/0/000', { 'Content-Length': '2' }, 'GET', '{}'))).toMatch(/^HTTP\/1\.1 200 /);
    const h = await raw(s.port, '/tile/0/000', {}, 'HEAD');
    expect(head(h)).toMatch(/^HTTP\/1\.1 200 [^]*Content-Length: 8192/);
    s.readiness.drain();
    expect(head(await raw(only, '/tile/0/000'))).toMatch(/^HTTP\/1\.1 299 /);
    expect(head(await raw(s.port, '/tile/0/000'))).toMatch(/^HTTP\/1\.1 200 OK\r\nConnection: close\r\n/);
  });
});
