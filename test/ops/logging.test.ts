import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../src/cli/config.js';
import { createLogger } from '../../src/cli/logger.js';
import { SERVE_OPTIONS, serve } from '../../src/cli/serve.js';
import { body, TEST_ORIGIN, tempDir } from '../helpers/test-log.js';
import { opsLog } from './helpers.js';
import { VERSION } from '../../src/version.js';
import { dbOf } from '../helpers/sqlite.js';

/** sink returns a stream and the JSON objects written to it so far. */
function sink(): { stream: PassThrough; lines: () => Record<string, unknown>[]; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text, lines: () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logs', () => {
  it('writes one JSON line per request with method, route pattern, status and ms; server errors at error level with the error', async () => {
    const out = sink();
    const { app, log } = opsLog({}, { logger: pino({ level: 'info' }, out.stream) });
    await log.append({ body: body(1), kind: 'test', indexKeys: [] });
    await request(app).get('/checkpoint').set('Authorization', 'Bearer secret-token').expect(200);
    await request(app).get(`/api/v1/log/entries/${'ab'.repeat(32)}`).expect(404);
    dbOf(log).close(); // every read now fails inside the route: a 500
    await request(app).get('/api/v1/log/entries?logIndex=0').expect(500);
    await new Promise((r) => setImmediate(r));
    const lines = out.lines();
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ level: 30, msg: 'request', method: 'GET', route: '/checkpoint', status: 200 });
    expect(typeof lines[0].ms).toBe('number');
    expect(lines[1]).toMatchObject({ route: '/api/v1/log/entries/:entryUUID', status: 404 });
    expect(lines[2]).toMatchObject({ level: 50, msg: 'request failed', route: '/api/v1/log/entries', status: 500 });
    expect((lines[2].err as { message: string }).message).toMatch(/not open/);
    expect(out.text()).not.toContain('secret-token');
    expect(out.text()).not.toContain('ab'.repeat(32)); // raw paths are not logged either
  });

  it('serve logs its identity at start, a line per batch at debug, and never the private key', async () => {
    const out = sink();
    const { values } = parseOptions(SERVE_OPTIONS, ['--port', '0', '--data', tempDir(), '--origin', TEST_ORIGIN, '--heartbeat', '0', '--log-level', 'trace'], {});
    const r = await serve(values, createLogger('trace', out.stream));
    try {
      await r.log.append({ body: body(1), kind: 'test', indexKeys: [] });
    } finally {
      await r.stop();
    }
    const lines = out.lines();
    expect(lines[0]).toMatchObject({ level: 30, msg: `serving ${TEST_ORIGIN} at ${r.url} (cairn ${VERSION})`, version: VERSION, origin: TEST_ORIGIN, treeSize: 0 });
    expect(lines[0].verifierKey).toMatch(new RegExp(`^${TEST_ORIGIN}\\+[0-9a-f]{8}\\+`));
    expect(lines.find((l) => l.msg === 'batch committed')).toMatchObject({ level: 20, batch: 1, accepted: 1, treeSize: 1 });
    expect(lines.at(-1)).toMatchObject({ msg: 'shutdown complete: final checkpoint signed, database closed', treeSize: 1 });
    expect(out.text()).not.toContain('PRIVATE KEY');
  });

  it('is pretty on a terminal and JSON otherwise', () => {
    const tty = Object.assign(sink(), {});
    (tty.stream as unknown as { isTTY: boolean }).isTTY = true;
    createLogger('info', tty.stream).info({ route: '/x' }, 'hello');
    expect(tty.text()).toMatch(/INFO.*hello/);
    expect(() => JSON.parse(tty.text())).toThrow();
    const plain = sink();
    createLogger('info', plain.stream).info({ route: '/x' }, 'hello');
    expect(plain.lines()[0]).toMatchObject({ msg: 'hello', route: '/x', level: 30 });
    const quiet = sink();
    createLogger('warn', quiet.stream).info('hidden');
    expect(quiet.text()).toBe('');
  });
});
