/**
 * A signal that comes between a server's "serving … at URL" line and stopOnSignal's handlers (a
 * supervisor or test that stops the server as soon as it reads the line) is kept by SignalLatch
 * and then stops the server as any later signal does (drain, exit 0), instead of killing it
 * outright. Without the latch armed the signal keeps its default action.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const child = (arg: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'signal-latch-child.ts'), arg], { encoding: 'utf8', timeout: 30_000 });

describe('SignalLatch', () => {
  it('keeps a SIGTERM that comes before stopOnSignal, which then stops the server and exits 0', () => {
    const r = child('armed');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('stopping on SIGTERM\nstopped\nlisteners 0\n');
  });

  it('leaves the default action (the process dies by the signal) until it is armed', () => {
    const r = child('bare');
    expect(r.signal).toBe('SIGTERM');
    expect(r.stdout).toBe('');
  });
});
