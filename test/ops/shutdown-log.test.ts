import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Log, auditDatabase } from '../../src/log/index.js';
import { TEST_ORIGIN, checkLog, tempDir } from '../helpers/test-log.js';

describe('graceful shutdown (Log API writers)', () => {
  it('on SIGTERM integrates and acknowledges everything queued, signs a final checkpoint and exits 0', async () => {
    const dir = tempDir();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/ops/shutdown-writer.ts', '--data', dir, '--origin', TEST_ORIGIN, '--port', '0', '--heartbeat', '0', '--log-level', 'warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const acked = new Map<number, string>();
    let out = '';
    let err = '';
    let signalledAt = 0;
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const [tag, a, b] = out.slice(0, nl).split(' ');
        out = out.slice(nl + 1);
        if (tag === 'ACK') acked.set(Number(a), b);
      }
      // SIGTERM mid-load: the queue is not empty, writers are still submitting.
      if (!signalledAt && acked.size >= 800) {
        signalledAt = Date.now();
        child.kill('SIGTERM');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    clearTimeout(timer);
    expect(signalledAt, err).toBeGreaterThan(0);
    expect(code, err).toBe(0);
    expect(err).toBe('');

    expect(auditDatabase(dir).problem).toBeUndefined();
    const log = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
    try {
      expect(log.size).toBe(acked.size); // everything acknowledged is there, and nothing unacknowledged
      for (const [index, hex] of acked) expect(Buffer.from(log.entryByIndex(index)!.leafHash).toString('hex')).toBe(hex);
      expect(log.latest().signedAt).toBeGreaterThanOrEqual(signalledAt - 1000); // the final checkpoint was signed at shutdown
      checkLog(log);
    } finally {
      await log.close();
    }
  });
});
