// Issue 18.5: a server whose log pipe breaks (a crashed log shipper, `cairn serve | head`) still
// drains, signs its final checkpoint and exits 0 on the first SIGTERM. Before FdSink, the exit-time
// flush of pino's destination retried EPIPE forever and the process sat idle until a second signal.
import { describe, expect, it } from 'vitest';
import { hashedrekord, newSigner } from '../helpers/hashedrekord-gen.js';
import { startServer } from '../helpers/server-process.js';
import { tempDir } from '../helpers/test-log.js';

async function treeSize(url: string): Promise<number> {
  return ((await (await fetch(`${url}/api/v1/log`)).json()) as { treeSize: number }).treeSize;
}

describe('shutdown with the log pipe gone', () => {
  it.each([0, 20, 50, 100])('stdout closed %i ms after SIGTERM: exits 0 on the first signal, with every acknowledged entry in the final checkpoint', async (delayMs) => {
    const dataDir = tempDir();
    const s = await startServer({ dataDir, heartbeat: 0 });
    const signer = newSigner();
    let acked = 0;
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${s.url}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hashedrekord(signer)) });
      expect(r.status).toBe(201);
      acked++;
    }
    s.child.kill('SIGTERM');
    setTimeout(() => s.child.stdout!.destroy(), delayMs);
    const how = await Promise.race([s.exited, new Promise<string>((r) => setTimeout(() => r('still running after 15 s'), 15_000).unref())]);
    if (how === 'still running after 15 s') await s.kill('SIGKILL');
    expect(how).toBe('exit 0');

    // The same data directory serves the acknowledged entries, under a checkpoint that covers them.
    const again = await startServer({ dataDir, heartbeat: 0 });
    try {
      expect(await treeSize(again.url)).toBe(acked);
    } finally {
      await again.kill('SIGTERM');
    }
  });

  it('exits on the first SIGTERM when the reader went away long before (cairn serve | head -1)', async () => {
    const s = await startServer({ dataDir: tempDir(), heartbeat: 0 });
    s.child.stdout!.destroy();
    // Request lines are written after the reader is gone: the first write meets EPIPE.
    for (let i = 0; i < 50; i++) expect((await fetch(`${s.url}/api/v1/log`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 600)); // past the 500 ms flush interval
    s.child.kill('SIGTERM');
    const how = await Promise.race([s.exited, new Promise<string>((r) => setTimeout(() => r('still running after 15 s'), 15_000).unref())]);
    if (how === 'still running after 15 s') await s.kill('SIGKILL');
    expect(how).toBe('exit 0');
  });
});
