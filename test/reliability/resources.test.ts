import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isCairnError } from '../../src/errors.js';
import { hashedrekord, newSigner } from '../helpers/hashedrekord-gen.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { body, openTestLog, tempDir } from '../helpers/test-log.js';

const servers: ServerProcess[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.kill('SIGKILL');
});

/** slowClient opens a raw connection and sends a POST one byte every intervalMs; resolves when the server closes it. */
function slowClient(url: string, payload: string, intervalMs: number, headersToo: boolean): { closedAfter: Promise<number>; sent: () => number } {
  const { hostname, port } = new URL(url);
  const head = `POST /api/v1/log/entries HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`;
  const bytes = Buffer.from(headersToo ? head + payload : payload);
  const sock = connect(Number(port), hostname);
  sockets.push(sock);
  let i = 0;
  const t0 = performance.now();
  const closedAfter = new Promise<number>((resolve) => {
    sock.on('connect', () => {
      if (!headersToo) sock.write(head);
      const timer = setInterval(() => {
        if (i < bytes.length && !sock.destroyed) sock.write(bytes.subarray(i, ++i));
      }, intervalMs);
      sock.on('close', () => {
        clearInterval(timer);
        resolve(performance.now() - t0);
      });
    });
    sock.on('error', () => {});
    sock.resume();
  });
  return { closedAfter, sent: () => i };
}

describe('resource bounds', () => {
  it('slow clients (body or headers at a trickle) hold neither the sequencer nor other uploads, and are cut off', async () => {
    const server = await startServer({ dataDir: tempDir(), heartbeat: 1, args: ['--request-timeout', '3', '--headers-timeout', '2'] });
    servers.push(server);
    const signer = newSigner();
    const payload = JSON.stringify(hashedrekord(signer));
    // 30 clients each sending a valid entry 1 byte per 100 ms: ~60 s per entry if nothing stops them.
    const slow = [
      ...Array.from({ length: 20 }, () => slowClient(server.url, payload, 100, false)),
      ...Array.from({ length: 10 }, () => slowClient(server.url, payload, 100, true)),
    ];
    await new Promise((r) => setTimeout(r, 300));
    // Meanwhile, ordinary uploads go through promptly.
    const latencies: number[] = [];
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let k = 0; k < 10; k++) {
        const t = performance.now();
        const res = await fetch(`${server.url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hashedrekord(signer)) });
        expect(res.status).toBe(201);
        await res.arrayBuffer();
        latencies.push(performance.now() - t);
      }
    }));
    latencies.sort((a, b) => a - b);
    const p50 = latencies[latencies.length >> 1];
    const max = latencies[latencies.length - 1];
    const closed = await Promise.all(slow.map((s) => s.closedAfter));
    const latest = Math.max(...closed);
    console.log(`slow clients: 40 uploads alongside 30 trickling clients, p50 ${p50.toFixed(0)} ms, max ${max.toFixed(0)} ms; trickling clients cut after at most ${(latest / 1000).toFixed(1)} s (sent ≤ ${Math.max(...slow.map((s) => s.sent()))} of ${payload.length} bytes)`);
    expect(max).toBeLessThan(5_000);
    // --request-timeout 3 / --headers-timeout 2: cut within a few seconds, not after Node's 30 s sweep.
    expect(latest).toBeLessThan(10_000);
    const info = (await (await fetch(`${server.url}/api/v1/log`)).json()) as { treeSize: number };
    expect(info.treeSize).toBe(40);
  }, 60_000);

  it('the sequencer queue is bounded: past maxQueue submissions fail fast with PUSHBACK and the rest commit', async () => {
    const log = openTestLog({ maxQueue: 50, maxBatch: 16 });
    const results = await Promise.allSettled(Array.from({ length: 500 }, (_, i) => log.append({ body: body(i), kind: 'test', indexKeys: [] })));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const pushed = results.filter((r) => r.status === 'rejected' && isCairnError(r.reason, 'PUSHBACK')).length;
    expect(ok).toBe(50);
    expect(pushed).toBe(450);
    expect(log.size).toBe(50);
    await log.idle();
    expect(log.pending).toBe(0);
  });
});
