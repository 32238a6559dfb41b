import { Agent, request as httpRequest } from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOptions } from '../../src/cli/config.js';
import { SERVE_OPTIONS, serve, type Running } from '../../src/cli/serve.js';
import { isCairnError } from '../../src/errors.js';
import { hashedrekord, newSigner } from '../helpers/hashedrekord-gen.js';
import { TEST_ORIGIN, tempDir } from '../helpers/test-log.js';
import { blockSequencer } from '../ops/helpers.js';

const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
});

async function start(args: string[] = []): Promise<Running> {
  const { values } = parseOptions(SERVE_OPTIONS, ['--port', '0', '--data', tempDir(), '--origin', TEST_ORIGIN, '--heartbeat', '0', ...args], {});
  const r = await serve(values, pino({ level: 'silent' }));
  running.push(r);
  return r;
}

/** get makes one request on agent and resolves with its status once the body is read. */
function get(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    })
      .on('error', reject)
      .end();
  });
}

describe('cairn serve', () => {
  it('applies the timeout options to the http.Server', async () => {
    const r = await start(['--request-timeout', '40', '--headers-timeout', '15', '--keep-alive-timeout', '7']);
    expect(r.server.requestTimeout).toBe(40_000);
    expect(r.server.headersTimeout).toBe(15_000);
    expect(r.server.keepAliveTimeout).toBe(7_000);
    const d = await start();
    expect([d.server.requestTimeout, d.server.headersTimeout, d.server.keepAliveTimeout]).toEqual([60_000, 20_000, 5_000]);
  });

  it('fails with a configuration error naming the address when the port is taken, and releases the log', async () => {
    const first = await start();
    const port = new URL(first.url).port;
    const data = tempDir();
    const { values } = parseOptions(SERVE_OPTIONS, ['--port', port, '--data', data, '--origin', TEST_ORIGIN], {});
    const err = await serve(values, pino({ level: 'silent' })).catch((e: unknown) => e);
    expect(isCairnError(err, 'CONFIG')).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    // The log was closed: it opens again at once.
    const again = await start(['--data', data]);
    expect(again.log.size).toBe(0);
  });

  it('on stop, lets an in-flight write finish, refuses new connections, and does not wait for idle keep-alive connections', async () => {
    const r = await start(['--keep-alive-timeout', '60']);
    const agent = new Agent({ keepAlive: true });
    expect(await get(agent, r.url + '/healthz')).toBe(200); // leaves an idle keep-alive connection

    const resume = blockSequencer(r.log);
    const inflight = fetch(r.url + '/api/v1/log/entries', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hashedrekord(newSigner())) });
    while (r.log.pending === 0) await new Promise((res) => setTimeout(res, 5));

    const t0 = Date.now();
    let stopped = false;
    const stopping = r.stop().then(() => (stopped = true));
    await new Promise((res) => setTimeout(res, 100));
    expect(stopped).toBe(false); // the write is still in flight
    await expect(fetch(r.url + '/healthz')).rejects.toThrow(); // no new connections
    resume();
    const res = await inflight;
    expect(res.status).toBe(201);
    await stopping;
    expect(Date.now() - t0).toBeLessThan(5000); // not the 60 s keep-alive timeout
    expect(r.log.closed).toBe(true);
    expect(r.readiness.isDraining).toBe(true);
    agent.destroy();
  });
});
