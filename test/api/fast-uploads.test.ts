// The fast upload path (src/api/fast.ts) against the express route it bypasses: twin logs (one
// database copied, one key, one fixed clock) behind an express-only server and a fast-path
// server get the same requests in the same order, and must answer with the same status, headers
// and body bytes, and count and log them the same way. Run with admission inline and on workers.
import { cpSync } from 'node:fs';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Express } from 'express';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AdmitPool, Metrics, Readiness, createApp, withFastReads, type AppOptions } from '../../src/api/index.js';
import type { Log } from '../../src/log/index.js';
import { openTestLog, tempDir } from '../helpers/test-log.js';
import { blockSequencer } from '../ops/helpers.js';
import { newSigner, proposedEntry } from './entries-gen.js';
import { verifyLogEntry, type LogEntryAnon } from './verifier.js';

const NOW = () => 1_760_000_000_000;
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

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; agent: Agent }> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, agent };
}

interface Answer {
  status: number;
  /** Every response header in order, as sent, but Date. */
  headers: string[];
  body: Buffer;
}

interface Req {
  path?: string;
  headers?: OutgoingHttpHeaders;
  /** Sent with Content-Length unless headers ask for chunked. */
  body: string | Buffer;
}

function send(to: { url: string; agent: Agent }, r: Req): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
    const chunked = r.headers?.['transfer-encoding'] === 'chunked';
    const headers = { ...(chunked ? {} : { 'content-length': body.length }), ...r.headers };
    const req = httpRequest(to.url + (r.path ?? PATH), { method: 'POST', agent: to.agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const headers: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) if (res.rawHeaders[i] !== 'Date') headers.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        resolve({ status: res.statusCode!, headers, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', reject);
    if (chunked) {
      req.write(body.subarray(0, 10));
      req.end(body.subarray(10));
    } else req.end(body);
  });
}

interface Side {
  log: Log;
  metrics: Metrics;
  lines: Record<string, unknown>[];
  readiness: Readiness;
  to: { url: string; agent: Agent };
}

/** twins opens two logs with one identity and clock: one served by express alone, one behind withFastReads. */
async function twins(pool: AdmitPool | undefined, app: Partial<AppOptions> = {}, maxQueue?: number): Promise<{ plain: Side; fast: Side; reachedExpress: string[] }> {
  const dir = tempDir();
  await openTestLog({ dataDir: dir, now: NOW }).close();
  const dir2 = tempDir();
  cpSync(dir, dir2, { recursive: true });
  const reachedExpress: string[] = [];
  const side = async (dataDir: string, fast: boolean): Promise<Side> => {
    const log = openTestLog({ dataDir, now: NOW, ...(maxQueue !== undefined && { maxQueue }) });
    const metrics = new Metrics({ processMetrics: false }).bindLog(log);
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info', base: undefined, timestamp: false }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const readiness = new Readiness();
    const a = createApp(log, { publicUrl: 'http://cairn.test', metrics, logger, readiness, admission: pool, ...app });
    const spy = Object.assign((req: IncomingMessage, res: ServerResponse) => {
      reachedExpress.push(`${req.headers['x-case']}`);
      a(req, res);
    }, { locals: a.locals }) as unknown as Express;
    return { log, metrics, lines, readiness, to: await listen(fast ? withFastReads(spy) : a) };
  };
  const plain = await side(dir, false);
  const fast = await side(dir2, true);
  reachedExpress.length = 0;
  return { plain, fast, reachedExpress };
}

/** requestCounts returns the cairn_http_requests_total samples of a Metrics. */
async function requestCounts(m: Metrics): Promise<string[]> {
  return (await m.render()).body.split('\n').filter((l) => l.startsWith('cairn_http_requests_total{'));
}

function logLines(lines: Record<string, unknown>[]): unknown[] {
  return lines.map(({ ms, ...rest }) => (expect(typeof ms).toBe('number'), rest));
}

const entry = (s = newSigner()) => JSON.stringify(proposedEntry(s));

describe.each([
  ['inline admission', 0],
  ['admission on a worker thread', 1],
  ['admission on two worker threads', 2],
])('fast uploads, %s', (_name, workers) => {
  let pool: AdmitPool | undefined;
  beforeAll(async () => {
    pool = workers > 0 ? await AdmitPool.start({ size: workers }) : undefined;
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('answers every upload byte for byte as the express route does, counts and logs it the same, and leaves unusual requests to express', async () => {
    const { plain, fast, reachedExpress } = await twins(pool, { maxBodyBytes: 8192 });
    const signer = newSigner();
    const dup = entry(signer);
    const bad = proposedEntry(signer);
    bad.spec.signature.content = Buffer.from('not a signature').toString('base64');
    const otherArtifact = { ...proposedEntry(signer), spec: { ...proposedEntry(signer).spec, data: proposedEntry(signer).spec.data } };
    const json = { 'content-type': 'application/json' };
    const cases: [string, Req, 'fast' | 'express'][] = [
      ['created', { body: dup, headers: json }, 'fast'],
      ['duplicate', { body: dup, headers: json }, 'fast'],
      ['charset utf-8', { body: entry(), headers: { 'content-type': 'application/json; charset=utf-8' } }, 'fast'],
      ['CHARSET UTF-8', { body: entry(), headers: { 'content-type': 'application/json;charset=UTF-8' } }, 'fast'],
      ['no content type', { body: entry() }, 'fast'],
      ['another content type', { body: entry(), headers: { 'content-type': 'text/plain' } }, 'fast'],
      ['byte order mark', { body: '\ufeff' + entry(), headers: json }, 'fast'],
      ['leading whitespace', { body: ' \r\n\t' + entry(), headers: json }, 'fast'],
      ['not JSON', { body: '{"kind":', headers: json }, 'fast'],
      ['a JSON string', { body: '"hashedrekord"', headers: json }, 'fast'],
      ['a JSON number', { body: ' 12', headers: json }, 'fast'],
      ['JSON null', { body: 'null', headers: json }, 'fast'],
      ['only whitespace', { body: ' \n', headers: json }, 'fast'],
      ['empty body', { body: '', headers: json }, 'fast'],
      ['an array', { body: `[${dup}]`, headers: json }, 'fast'],
      ['an empty object', { body: '{}', headers: json }, 'fast'],
      ['no kind', { body: '{"apiVersion":"0.0.1","spec":{}}', headers: json }, 'fast'],
      ['unsupported kind', { body: '{"kind":"rpm","apiVersion":"0.0.1","spec":{}}', headers: json }, 'fast'],
      ['unsupported apiVersion', { body: JSON.stringify({ ...proposedEntry(signer), apiVersion: '9.9.9' }), headers: json }, 'fast'],
      ['invalid UTF-8 in a kind', { body: Buffer.concat([Buffer.from('{"kind":"a'), Buffer.from([0xff, 0xc3, 0x28, 0xe2, 0x82]), Buffer.from('","apiVersion":"1","spec":{}}')]), headers: json }, 'fast'],
      ['spec of the wrong shape', { body: '{"kind":"hashedrekord","apiVersion":"0.0.1","spec":"x"}', headers: json }, 'fast'],
      ['bad signature', { body: JSON.stringify(bad), headers: json }, 'fast'],
      ['signature over another artifact', { body: JSON.stringify(otherArtifact), headers: json }, 'fast'],
      ['deep nesting', { body: '['.repeat(8000), headers: json }, 'fast'],
      ['over the body limit', { body: `{"pad":"${'x'.repeat(9000)}"}`, headers: json }, 'express'],
      ['chunked', { body: entry(), headers: { ...json, 'transfer-encoding': 'chunked' } }, 'express'],
      ['gzip', { body: gzipSync(entry()), headers: { ...json, 'content-encoding': 'gzip' } }, 'express'],
      ['latin1', { body: entry(), headers: { 'content-type': 'application/json; charset=latin1' } }, 'express'],
      ['utf-16', { body: Buffer.from(entry(), 'utf16le'), headers: { 'content-type': 'application/json; charset=utf-16le' } }, 'express'],
      ['another parameter', { body: entry(), headers: { 'content-type': 'application/json; v=1' } }, 'express'],
      ['trailing slash', { path: PATH + '/', body: entry(), headers: json }, 'express'],
      ['query', { path: PATH + '?x=1', body: entry(), headers: json }, 'express'],
      ['upper case', { path: PATH.toUpperCase(), body: entry(), headers: json }, 'express'],
    ];
    const answers: Record<string, Answer> = {};
    for (const [name, r] of cases) {
      r.headers = { ...r.headers, 'x-case': name };
      const a = await send(plain.to, r);
      const b = await send(fast.to, r);
      expect(b, name).toEqual(a);
      answers[name] = a;
    }
    expect(reachedExpress).toEqual(cases.filter((c) => c[2] === 'express').map((c) => c[0]));
    // The paths the cases were meant to take, so the comparison above covers each.
    expect(answers.created.status).toBe(201);
    expect(answers.created.headers.filter((h) => /^(Location|ETag|Content-Type):/.test(h))).toHaveLength(3);
    expect(answers.duplicate.status).toBe(409);
    expect(answers.duplicate.headers.some((h) => h.startsWith('Location: http://cairn.test/api/v1/log/entries/'))).toBe(true);
    for (const name of ['charset utf-8', 'no content type', 'byte order mark', 'leading whitespace', 'gzip', 'utf-16', 'chunked']) expect(answers[name].status, name).toBe(201);
    for (const name of ['not JSON', 'a JSON string', 'only whitespace', 'deep nesting']) expect(JSON.parse(answers[name].body.toString()), name).toEqual({ code: 400, message: 'request body is not valid JSON' });
    for (const name of ['empty body', 'an array', 'no kind', 'bad signature', 'unsupported kind', 'invalid UTF-8 in a kind']) {
      expect(answers[name].status, name).toBe(400);
      expect(JSON.parse(answers[name].body.toString()).message, name).toMatch(/^error processing entry: /);
    }
    expect(answers['over the body limit'].status).toBe(413);
    expect(answers.latin1.status).toBe(415);
    // Both logs hold the same entries, and what the fast path created verifies.
    expect(fast.log.size).toBe(plain.log.size);
    const [[id, created]] = Object.entries(JSON.parse(answers.created.body.toString()) as Record<string, LogEntryAnon>);
    expect(verifyLogEntry(id, created, fast.log.key.publicKeyPem, fast.log.origin).size).toBe(1);
    // Counted and logged alike.
    expect(await requestCounts(fast.metrics)).toEqual(await requestCounts(plain.metrics));
    expect(logLines(fast.lines)).toEqual(logLines(plain.lines));
    expect(fast.lines.length).toBe(cases.length);
  });

  it('counts and logs an upload the client abandons mid-body as express does', async () => {
    const { plain, fast } = await twins(pool);
    for (const s of [plain, fast]) {
      const sock = connect(Number(new URL(s.to.url).port), '127.0.0.1');
      await new Promise((r) => sock.once('connect', r));
      sock.write(`POST ${PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"kind":`);
      await new Promise((r) => setTimeout(r, 100));
      sock.destroy();
      await expect.poll(() => s.lines.length).toBe(1);
    }
    expect(await requestCounts(fast.metrics)).toEqual(await requestCounts(plain.metrics));
    expect(logLines(fast.lines)).toEqual(logLines(plain.lines));
    // The body is read before routing: a request whose body never arrived reached no route.
    expect(fast.lines[0]).toMatchObject({ route: 'unmatched', status: 499 });
  });

  it('answers a full sequencer queue (503, Retry-After) and an internal failure (500, logged with its error) as express does', async () => {
    const { plain, fast } = await twins(pool, {}, 1);
    const unblock = [blockSequencer(plain.log), blockSequencer(fast.log)];
    const first = [entry(), entry()];
    // The first upload of each fills the queue of one; the second is pushed back.
    // (On connections of their own: the queued uploads keep theirs busy.)
    const waiting = [plain, fast].map((s) => {
      const agent = new Agent();
      agents.push(agent);
      return send({ url: s.to.url, agent }, { body: first[0] });
    });
    await expect.poll(() => plain.log.pending + fast.log.pending).toBe(2);
    const pushback = { body: first[1] };
    const [a, b] = [await send(plain.to, pushback), await send(fast.to, pushback)];
    expect(b).toEqual(a);
    expect(a.status).toBe(503);
    expect(a.headers).toContain('Retry-After: 1');
    for (const u of unblock) u();
    const [w1, w2] = await Promise.all(waiting);
    expect(w2).toEqual(w1);
    expect(w1.status).toBe(201);

    // A bug below the api layer is a 500 "internal error" with the error in the log line.
    const boom = new Error('boom');
    for (const s of [plain, fast]) s.log.append = () => Promise.reject(boom);
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      const r = { body: entry() };
      const [c, d] = [await send(plain.to, r), await send(fast.to, r)];
      expect(d).toEqual(c);
      expect(c.status).toBe(500);
      expect(JSON.parse(c.body.toString())).toEqual({ code: 500, message: 'internal error' });
    } finally {
      console.error = original;
    }
    expect(errors).toEqual([['cairn: internal error', boom], ['cairn: internal error', boom]]);
    // (The error's stack says which path threw it: everything else must match.)
    const failed = (lines: Record<string, unknown>[]) =>
      lines.filter((l) => l.msg === 'request failed').map(({ ms: _ms, err, ...l }) => ({ ...l, err: { ...(err as { message: string }), stack: undefined } }));
    expect(failed(fast.lines)).toEqual(failed(plain.lines));
    expect(failed(fast.lines).map((l) => [(l as { status?: number }).status, l.err.message])).toEqual([
      [503, 'sequencer queue is full; retry later'],
      [500, 'boom'],
    ]);
    expect(await requestCounts(fast.metrics)).toEqual(await requestCounts(plain.metrics));
  });

  it('spends the same rate-limit buckets as express (429 with Retry-After, counted as unmatched) and leaves draining to express', async () => {
    let now = 1_000_000;
    const { plain, fast, reachedExpress } = await twins(pool, { rateLimit: { perSecond: 1, burst: 2, now: () => now } });
    const r = () => ({ body: entry(), headers: { 'x-case': 'limited' } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const body = r();
      const [a, b] = [await send(plain.to, body), await send(fast.to, body)];
      expect(b).toEqual(a);
      statuses.push(a.status);
      if (a.status === 429) expect(a.headers).toContain('Retry-After: 1');
    }
    expect(statuses).toEqual([201, 201, 429, 429]);
    // A refill lets one more through, on either path; a write through express spends the same bucket.
    now += 1000;
    const more = r();
    const [a, b] = [await send(plain.to, more), await send(fast.to, more)];
    expect(b).toEqual(a);
    expect(a.status).toBe(201);
    now += 1000;
    expect((await send(fast.to, { path: PATH + '/retrieve', body: '{}', headers: { 'x-case': 'retrieve' } })).status).toBe(200);
    expect((await send(fast.to, r())).status).toBe(429);
    expect(reachedExpress).toEqual(['retrieve']);
    expect(await requestCounts(fast.metrics)).toContainEqual(expect.stringMatching(/route="unmatched".*status="429"\} 3$/));

    // Draining: express answers, with Connection: close.
    for (const s of [plain, fast]) s.readiness.drain();
    now += 10_000;
    const last = { body: entry(), headers: { 'x-case': 'draining' } };
    const [c, d] = [await send(plain.to, last), await send(fast.to, last)];
    expect(d).toEqual(c);
    expect(c.headers).toContain('Connection: close');
    expect(reachedExpress).toEqual(['retrieve', 'draining']);
  });
});
