// Issue 18.3: requests Node's HTTP parser refuses get the JSON error body every other refusal has
// (431 for headers too large, 400 otherwise), then the connection closes; the server keeps serving.
import { connect } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../../src/cli/config.js';
import { SERVE_OPTIONS, serve, type Running } from '../../src/cli/serve.js';
import { TEST_ORIGIN, tempDir } from '../helpers/test-log.js';

/** raw sends bytes on a new connection and resolves with everything read until the server closes it. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(bytes));
    let got = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => (got += d));
    sock.on('close', () => resolve(got));
    sock.on('error', reject);
    sock.setTimeout(10_000, () => reject(new Error(`no close after ${JSON.stringify(got)}`)));
  });
}

function parse(answer: string): { status: number; headers: string; body: unknown } {
  const cut = answer.indexOf('\r\n\r\n');
  const head = answer.slice(0, cut);
  return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]), headers: head, body: JSON.parse(answer.slice(cut + 4)) };
}

describe('requests the HTTP parser refuses', () => {
  let running: Running;
  let port: number;
  beforeAll(async () => {
    const { values } = parseOptions(SERVE_OPTIONS, ['--port', '0', '--data', tempDir(), '--origin', TEST_ORIGIN, '--heartbeat', '0'], {});
    running = await serve(values, pino({ level: 'silent' }));
    port = Number(new URL(running.url).port);
  });
  afterAll(() => running.stop());

  it.each([
    ['headers too large', `GET /api/v1/log HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, /^request header fields too large$/],
    ['a broken request line', 'NOT A REQUEST LINE\r\n\r\n', 400, /^bad request: /],
    ['a bad method', 'G@T / HTTP/1.1\r\nHost: x\r\n\r\n', 400, /^bad request: /],
    ['a bad HTTP version', 'GET / HTTP/9.x\r\nHost: x\r\n\r\n', 400, /^bad request: /],
    ['a bad chunk size', 'POST /api/v1/log/entries HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n', 400, /^bad request: invalid chunk/],
    ['an invalid Content-Length', 'POST /api/v1/log/entries HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n{}', 400, /^bad request: invalid Content-Length$/],
    ['Content-Length and Transfer-Encoding', 'POST /api/v1/log/entries HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n', 400, /^bad request: /],
  ])('%s: %i with a JSON body, then close', async (_name, request, status, message) => {
    const a = parse(await raw(port, request));
    expect(a.status).toBe(status);
    expect(a.headers).toMatch(/\r\nContent-Type: application\/json; charset=utf-8\r\n/);
    expect(a.headers).toMatch(/\r\nConnection: close(\r\n|$)/);
    expect(a.body).toEqual({ code: status, message: expect.stringMatching(message) });
  });

  it('keeps serving after each', async () => {
    const r = await fetch(`${running.url}/api/v1/log`);
    expect(r.status).toBe(200);
  });
});
