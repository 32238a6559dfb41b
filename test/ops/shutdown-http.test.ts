import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Log, auditDatabase } from '../../src/log/index.js';
import { hashedrekord, newSigner } from '../helpers/hashedrekord-gen.js';
import { TEST_ORIGIN, checkLog, tempDir } from '../helpers/test-log.js';

describe('graceful shutdown (HTTP writers)', () => {
  it('a real server under concurrent POSTs gets SIGTERM: exit 0, and every write answered 2xx is in the reopened log', async () => {
    const dir = tempDir();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--data', dir, '--origin', TEST_ORIGIN, '--host', '127.0.0.1', '--port', '0', '--heartbeat', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const killer = setTimeout(() => child.kill('SIGKILL'), 18_000);
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /serving \S+ at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]);
      });
      void exited.then(() => reject(new Error(`server exited before listening:\n${out}`)));
    });

    const ok = new Map<number, string>(); // logIndex → leaf hash hex, for every 201
    let failedAfterSignal = 0;
    let okAfterSignal = 0;
    let signalledAt = 0;
    const signer = newSigner();
    async function writer(): Promise<void> {
      for (;;) {
        let res: Response;
        try {
          res = await fetch(url + '/api/v1/log/entries', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hashedrekord(signer)) });
        } catch {
          // Refused or cut: expected only once shutdown has begun.
          if (!signalledAt) throw new Error('write failed before SIGTERM');
          failedAfterSignal++;
          return;
        }
        const text = await res.text();
        if (res.status === 201) {
          const [uuid, e] = Object.entries(JSON.parse(text) as Record<string, { logIndex: number }>)[0];
          ok.set(e.logIndex, uuid.slice(-64));
          if (signalledAt) okAfterSignal++;
        } else if (!signalledAt) {
          throw new Error(`unexpected ${res.status} before SIGTERM: ${text}`);
        }
        if (!signalledAt && ok.size >= 40) {
          signalledAt = Date.now();
          child.kill('SIGTERM');
        }
      }
    }
    await Promise.all(Array.from({ length: 16 }, writer));
    const code = await exited;
    clearTimeout(killer);
    expect(code, out).toBe(0);
    expect(failedAfterSignal).toBeGreaterThan(0); // new connections were refused...
    expect(okAfterSignal).toBeGreaterThan(0); // ...while requests in flight at SIGTERM were answered
    expect(out).toMatch(/shutdown complete/);

    expect(auditDatabase(dir).problem).toBeUndefined();
    const log = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
    try {
      expect(log.size).toBeGreaterThanOrEqual(ok.size);
      for (const [index, hex] of ok) expect(Buffer.from(log.entryByIndex(index)!.leafHash).toString('hex')).toBe(hex);
      expect(log.latest().signedAt).toBeGreaterThanOrEqual(signalledAt - 1000);
      checkLog(log);
    } finally {
      await log.close();
    }
  });
});
