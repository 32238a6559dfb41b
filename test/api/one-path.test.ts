// One path per request (issue 12): each route is one handler, whether the dispatcher answers a
// canonically spelled hot URL or express answers any other spelling. The bytes are pinned by
// contract.test.ts; this checks what both ways must share: one admission path (the pool, whatever
// the spelling or encoding), one rate-limit bucket, the same metrics labels and log lines, and
// the same answers to overload, failures and abandoned uploads. Run inline and on workers.
import { Agent, request as httpRequest, type OutgoingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AdmitPool, Metrics, Readiness, createApp, type AppOptions } from '../../src/api/index.js';
import type { Log } from '../../src/log/index.js';
import { openTestLog } from '../helpers/test-log.js';
import { blockSequencer } from '../ops/helpers.js';
import { newSigner, proposedEntry } from './entries-gen.js';

const PATH = '/api/v1/log/entries';
const servers: Server[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.destroy();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(url: string, method: string, path: string, body?: string | Buffer, headers: OutgoingHttpHeaders = {}, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const b = body === undefined ? undefined : Buffer.from(body);
    const length = b && headers['transfer-encoding'] === undefined ? { 'content-length': b.length } : {};
    const req = httpRequest(url + path, { method, agent: agent ?? false, headers: { ...length, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(b);
  });
}

interface Served {
  url: string;
  log: Log;
  metrics: Metrics;
  lines: Record<string, unknown>[];
  readiness: Readiness;
  admitted: () => number;
}

async function served(pool: AdmitPool | undefined, app: Partial<AppOptions> = {}, maxQueue?: number): Promise<Served> {
  const log = openTestLog(maxQueue !== undefined ? { maxQueue } : {});
  const metrics = new Metrics({ processMetrics: false }).bindLog(log);
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info', base: undefined, timestamp: false }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const readiness = new Readiness();
  let admitted = 0;
  const counting = pool && Object.assign(Object.create(pool) as AdmitPool, { admit: (b: Uint8Array) => (admitted++, pool.admit(b)) });
  const s = createApp(log, { publicUrl: 'http://cairn.test', metrics, logger, readiness, admission: counting, ...app }).listen(0, '127.0.0.1');
  servers.push(s);
  await new Promise((r) => s.once('listening', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, log, metrics, lines, readiness, admitted: () => admitted };
}

async function requestCounts(m: Metrics): Promise<string[]> {
  return (await m.render()).body.split('\n').filter((l) => l.startsWith('cairn_http_requests_total{'));
}

const entry = () => JSON.stringify(proposedEntry(newSigner()));
const json = { 'content-type': 'application/json' };

describe.each([
  { name: 'inline admission', workers: 0 },
  { name: 'admission on a worker thread', workers: 1 },
])('one path, $name', ({ workers }) => {
  let pool: AdmitPool | undefined;
  beforeAll(async () => {
    pool = workers > 0 ? await AdmitPool.start({ size: workers }) : undefined;
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('admits every upload spelling and encoding through the one admission path, and labels them by route', async () => {
    const s = await served(pool);
    const uploads: [string, string, string | Buffer, OutgoingHttpHeaders][] = [
      ['canonical', PATH, entry(), json],
      ['trailing slash', PATH + '/', entry(), json],
      ['upper case', PATH.toUpperCase(), entry(), json],
      ['a query', PATH + '?x=1', entry(), json],
      ['gzip', PATH, gzipSync(entry()), { ...json, 'content-encoding': 'gzip' }],
      ['utf-16', PATH, Buffer.from(entry(), 'utf16le'), { 'content-type': 'application/json; charset=utf-16le' }],
      ['chunked', PATH, entry(), { ...json, 'transfer-encoding': 'chunked' }],
    ];
    for (const [name, path, body, headers] of uploads) {
      const a = await send(s.url, 'POST', path, body, headers);
      expect(a.status, name).toBe(201);
    }
    expect(s.log.size).toBe(uploads.length);
    if (pool) expect(s.admitted()).toBe(uploads.length);
    expect(await requestCounts(s.metrics)).toEqual([`cairn_http_requests_total{route="${PATH}",method="POST",status="201"} ${uploads.length}`]);
    expect(s.lines.map((l) => [l.route, l.status])).toEqual(uploads.map(() => [PATH, 201]));
  });

  it('reads by index and UUID the same however spelled, under one route label', async () => {
    const s = await served(pool);
    await send(s.url, 'POST', PATH, entry(), json);
    const leaf = Buffer.from(s.log.entryByIndex(0)!.leafHash).toString('hex');
    const byIndex = [`${PATH}?logIndex=0`, `${PATH}?logIndex=00`, `${PATH}/?logIndex=0`];
    const byUuid = [`${PATH}/${leaf}`, `${PATH}/${leaf}/`, `${PATH.toUpperCase()}/${leaf}`];
    for (const group of [byIndex, byUuid]) {
      const answers = await Promise.all(group.map((p) => send(s.url, 'GET', p)));
      for (const a of answers) expect(a.status).toBe(200);
      for (const a of answers.slice(1)) expect({ ...a, headers: { ...a.headers, date: '' } }).toEqual({ ...answers[0], headers: { ...answers[0].headers, date: '' } });
    }
    expect((await requestCounts(s.metrics)).sort()).toEqual([
      `cairn_http_requests_total{route="${PATH}",method="GET",status="200"} 3`,
      `cairn_http_requests_total{route="${PATH}",method="POST",status="201"} 1`,
      `cairn_http_requests_total{route="${PATH}/:entryUUID",method="GET",status="200"} 3`,
    ]);
  });

  it('counts and logs an upload the client abandons mid-body as 499, unmatched (bodies are read before routing)', async () => {
    const s = await served(pool);
    for (const path of [PATH, PATH + '/']) {
      const sock = connect(Number(new URL(s.url).port), '127.0.0.1');
      await new Promise((r) => sock.once('connect', r));
      sock.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"kind":`);
      await new Promise((r) => setTimeout(r, 100));
      sock.destroy();
    }
    await expect.poll(() => s.lines.length).toBe(2);
    expect(s.lines.map((l) => [l.route, l.status])).toEqual([
      ['unmatched', 499],
      ['unmatched', 499],
    ]);
    expect(s.log.size).toBe(0);
  });

  it('answers a full sequencer queue with 503 and Retry-After, and an internal failure with 500 logged with its error', async () => {
    const s = await served(pool, {}, 1);
    const unblock = blockSequencer(s.log);
    const agent = new Agent();
    agents.push(agent);
    const waiting = send(s.url, 'POST', PATH, entry(), json, agent);
    await expect.poll(() => s.log.pending).toBe(1);
    for (const path of [PATH, PATH + '/']) {
      const a = await send(s.url, 'POST', path, entry(), json);
      expect(a.status).toBe(503);
      expect(a.headers['retry-after']).toBe('1');
      expect(JSON.parse(a.body)).toEqual({ code: 503, message: 'sequencer queue is full; retry later' });
    }
    unblock();
    expect((await waiting).status).toBe(201);

    const boom = new Error('boom');
    s.log.append = () => Promise.reject(boom);
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      for (const path of [PATH, PATH + '/']) {
        const a = await send(s.url, 'POST', path, entry(), json);
        expect(a.status).toBe(500);
        expect(JSON.parse(a.body)).toEqual({ code: 500, message: 'internal error' });
      }
    } finally {
      console.error = original;
    }
    expect(errors).toEqual([
      ['cairn: internal error', boom],
      ['cairn: internal error', boom],
    ]);
    const failed = s.lines.filter((l) => l.msg === 'request failed').map((l) => [l.route, l.status, (l.err as { message: string }).message]);
    expect(failed).toEqual([
      [PATH, 503, 'sequencer queue is full; retry later'],
      [PATH, 503, 'sequencer queue is full; retry later'],
      [PATH, 500, 'boom'],
      [PATH, 500, 'boom'],
    ]);
  });

  it('spends one rate-limit bucket whatever the spelling (429 with Retry-After, counted as unmatched), and says Connection: close while draining', async () => {
    let now = 1_000_000;
    const s = await served(pool, { rateLimit: { perSecond: 1, burst: 2, now: () => now } });
    const statuses: number[] = [];
    for (const path of [PATH, PATH + '/', PATH, PATH + '/']) {
      const a = await send(s.url, 'POST', path, entry(), json);
      statuses.push(a.status);
      if (a.status === 429) expect(a.headers['retry-after']).toBe('1');
    }
    expect(statuses).toEqual([201, 201, 429, 429]);
    now += 1000;
    expect((await send(s.url, 'POST', `${PATH}/retrieve`, '{}', json)).status).toBe(200);
    expect((await send(s.url, 'POST', PATH, entry(), json)).status).toBe(429);
    expect(await requestCounts(s.metrics)).toContainEqual(expect.stringMatching(/route="unmatched".*status="429"\} 3$/));
    s.readiness.drain();
    now += 10_000;
    for (const path of [PATH, PATH + '/']) {
      const a = await send(s.url, 'POST', path, entry(), json);
      expect(a.status).toBe(201);
      expect(a.headers.connection).toBe('close');
    }
  });
});
