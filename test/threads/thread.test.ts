import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Thread, threadModule } from '../../src/threads/index.js';
import { compileSrc } from '../helpers/compiled.js';
import { tempDir } from '../helpers/test-log.js';
import type { EchoIn, EchoOut } from './echo-thread.js';

function echo(opts: { ignoreStop?: boolean; respawn?: (n: number) => number | undefined } = {}) {
  const got: number[] = [];
  const exits: string[] = [];
  let respawns = 0;
  let waiter: (() => void) | undefined;
  const t = new Thread<EchoIn, EchoOut>({
    name: 'echo',
    module: threadModule(import.meta.url, 'echo-thread'),
    data: { ignoreStop: opts.ignoreStop ?? false },
    onMessage: (m) => {
      got.push(m);
      waiter?.();
    },
    onExit: (why) => {
      exits.push(why);
      waiter?.();
    },
    respawn: opts.respawn,
    onRespawn: () => respawns++,
  });
  const next = () => new Promise<void>((r) => (waiter = r));
  return { t, got, exits, next, respawns: () => respawns };
}

describe('Thread', () => {
  it('runs a .ts worker module under vitest with its typed messages both ways', async () => {
    const e = echo();
    const answered = e.next();
    expect(e.t.post(21)).toBe(true);
    await answered;
    expect(e.got).toEqual([42]);
    await e.t.stop(1000, 'stop');
    expect(e.t.alive).toBe(false);
    expect(e.t.post(1)).toBe(false); // nothing runs: nothing is sent
    expect(e.exits).toEqual([]); // a stop is not a crash
  });

  it('reports a crash and respawns after the delay respawn() gives, counting failures in a row', async () => {
    const delays: number[] = [];
    const e = echo({ respawn: (n) => (delays.push(n), n <= 2 ? 10 : undefined) });
    const first = e.t.threadId;
    let crashed = e.next();
    e.t.post('crash');
    await crashed;
    expect(e.exits[0]).toBe('echo thread exited: exit code 3');
    await new Promise((r) => setTimeout(r, 100));
    expect(e.respawns()).toBe(1);
    expect(e.t.threadId).not.toBe(first);
    // A replacement that crashes before it ever answered counts as a second failure in a row...
    crashed = e.next();
    e.t.post('crash');
    await crashed;
    await new Promise((r) => setTimeout(r, 100));
    crashed = e.next();
    e.t.post('crash');
    await crashed;
    // ...and the third gets no replacement.
    await new Promise((r) => setTimeout(r, 100));
    expect(delays).toEqual([1, 2, 3]);
    expect(e.respawns()).toBe(2);
    expect(e.t.alive).toBe(false);
    await e.t.stop(100);
  });

  it('stops within its bound a thread that ignores the stop message', async () => {
    const e = echo({ ignoreStop: true });
    const answered = e.next();
    e.t.post(1);
    await answered; // loaded
    const t0 = performance.now();
    await e.t.stop(200, 'stop');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(e.t.alive).toBe(false);
    expect(e.exits).toEqual([]);
  });

  it('runs every worker of a log (writer, index, checkpointer) from compiled JavaScript, without tsx', { timeout: 120_000 }, () => {
    const out = compileSrc();
    try {
      const script = `
        const { Log } = await import(${JSON.stringify(join(out, 'log', 'index.js'))});
        const log = Log.open({ dataDir: process.env.DIR, origin: 'compiled.test/log', heartbeatMs: 0 });
        const enc = (s) => new TextEncoder().encode(s);
        await Promise.all([0, 1, 2].map((i) => log.append({ body: enc('entry ' + i), kind: 'test', indexKeys: ['k:' + i] })));
        await log.flushIndex();
        console.log(JSON.stringify({ size: log.size, found: log.search('k:1', 10) }));
        await log.close();`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, DIR: tempDir(), NODE_OPTIONS: '' }, encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({ size: 3, found: [1] });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
