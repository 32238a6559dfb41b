import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Log, auditDatabase } from '../../src/log/index.js';
import { verifyConsistency, verifyInclusion } from '../../src/merkle/index.js';
import { TEST_ORIGIN, checkLog, tempDir } from '../helpers/test-log.js';

interface Ack {
  index: number;
  leafHex: string;
  size: number;
}

/** runUntilKilled starts a writer, SIGKILLs it once it has acknowledged at least `acks` entries, and returns what it acknowledged. */
function runUntilKilled(dir: string, salt: string, acks: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/crash-writer.ts', dir, TEST_ORIGIN, salt], { stdio: ['ignore', 'pipe', 'inherit'] });
    const seen: Ack[] = [];
    let buf = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const [tag, a, b, c] = line.split(' ');
        if (tag === 'ACK') seen.push({ index: Number(a), leafHex: b, size: Number(c) });
      }
      if (seen.length >= acks) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (${signal ?? _code})`));
      else resolve(seen);
    });
  });
}

describe('crash safety', () => {
  it('keeps every acknowledged entry and a consistent, signed tree across SIGKILLs mid-append', async () => {
    const dir = tempDir();
    const acked = new Map<number, string>();
    const seenCheckpoints: { size: number; root: Uint8Array }[] = [];
    for (let round = 0; round < 3; round++) {
      const acks = await runUntilKilled(dir, `round${round}`, 300 + round * 500);
      expect(acks.length).toBeGreaterThan(0);
      for (const a of acks) {
        expect(acked.has(a.index)).toBe(false); // no index handed out twice
        acked.set(a.index, a.leafHex);
      }
      const log = Log.open({ dataDir: dir, origin: TEST_ORIGIN, heartbeatMs: 0 });
      try {
        const size = log.size;
        expect(size).toBeGreaterThanOrEqual(Math.max(...acks.map((a) => a.size)));
        for (const [index, hex] of acked) {
          const e = log.entryByIndex(index)!;
          expect(Buffer.from(e.leafHash).toString('hex')).toBe(hex);
          // Found by leaf hash too, whether the kill left it merged or in the rebuilt tail.
          expect(log.entryByLeafHash(Buffer.from(hex, 'hex'))?.index).toBe(index);
          if (index % 97 === 0) verifyInclusion(e.leafHash, index, size, log.inclusionProof(index, size), log.latest().rootHash);
        }
        // The new tree extends every tree seen before the kill.
        for (const cp of seenCheckpoints) verifyConsistency(cp.size, size, log.consistencyProof(cp.size, size), cp.root, log.latest().rootHash);
        seenCheckpoints.push({ size, root: log.latest().rootHash });
        checkLog(log);
      } finally {
        await log.close();
      }
      expect(auditDatabase(dir).problem).toBeUndefined();
    }
  });
});
