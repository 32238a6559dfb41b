import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, withFastReads } from '../../src/api/index.js';
import type { Log } from '../../src/log/index.js';
import { body, openTestLog } from '../helpers/test-log.js';
import { verifyLogEntry, type LogEntryAnon } from './verifier.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

async function get(url: string): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

describe('withFastReads', () => {
  it('answers entry reads by index and UUID byte for byte as the express routes do, and hands everything else to express', async () => {
    const log: Log = openTestLog();
    await Promise.all(Array.from({ length: 40 }, (_, i) => log.append({ body: body(i), kind: 'test/0.0.1', indexKeys: [] })));
    const app = createApp(log, { publicUrl: 'http://cairn.test' });
    const reachedExpress: string[] = [];
    const spy = Object.assign((req: IncomingMessage, res: ServerResponse) => {
      reachedExpress.push(req.url!);
      app(req, res);
    }, { locals: app.locals }) as unknown as Express;
    const plain = await listen(app);
    const fast = await listen(withFastReads(spy));

    const leaf = Buffer.from(log.entryByIndex(7)!.leafHash).toString('hex');
    const treeHex = BigInt(log.treeId).toString(16).padStart(16, '0');
    const hot = [`/api/v1/log/entries?logIndex=0`, `/api/v1/log/entries?logIndex=39`, `/api/v1/log/entries/${leaf}`, `/api/v1/log/entries/${treeHex}${leaf}`];
    const cold = [
      '/api/v1/log/entries?logIndex=40', // past the tree: 404
      '/api/v1/log/entries?logIndex=-1',
      '/api/v1/log/entries?logIndex=007',
      '/api/v1/log/entries?logIndex=1&logIndex=2',
      '/api/v1/log/entries?logIndex=99999999999999999',
      `/api/v1/log/entries/${leaf.toUpperCase()}`,
      `/api/v1/log/entries/${'1'.repeat(16)}${leaf}`, // another tree
      `/api/v1/log/entries/${'0'.repeat(64)}`, // not in the log
      '/api/v1/log/entries',
      '/api/v1/log',
    ];
    for (const path of [...hot, ...cold]) {
      const [a, b] = await Promise.all([get(plain + path), get(fast + path)]);
      expect(b, path).toEqual(a);
    }
    expect(reachedExpress).toEqual(cold);
    // And what the fast path serves is a verifiable Rekor entry.
    const [[id, entry]] = Object.entries(JSON.parse((await get(fast + hot[2])).body) as Record<string, LogEntryAnon>);
    expect(entry.logIndex).toBe(7);
    expect(verifyLogEntry(id, entry, log.key.publicKeyPem, log.origin).size).toBe(40);
  });

  it('counts fast reads in the metrics under their route', async () => {
    const log: Log = openTestLog();
    await log.append({ body: body(1), kind: 'test/0.0.1', indexKeys: [] });
    const url = await listen(withFastReads(createApp(log, { publicUrl: 'http://cairn.test' })));
    for (let i = 0; i < 3; i++) expect((await get(`${url}/api/v1/log/entries?logIndex=0`)).status).toBe(200);
    const metrics = (await get(`${url}/metrics`)).body;
    expect(metrics).toMatch(/cairn_http_requests_total\{[^}]*route="\/api\/v1\/log\/entries"[^}]*status="200"[^}]*\} 3/);
  });
});
