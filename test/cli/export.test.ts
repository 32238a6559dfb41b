import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportCommand } from '../../src/cli/export.js';
import { monitorCommand } from '../../src/cli/monitor.js';
import { TileClient, dirFetcher, parseLogKey } from '../../src/client/index.js';
import { bytesEqual } from '../../src/merkle/index.js';
import { verifierKeyString } from '../../src/note/index.js';
import { openTestLog, tempDir, TEST_ORIGIN } from '../helpers/test-log.js';
import { get, growTo, runCommand, serveLog } from '../tiles/helpers.js';
import { expected, files, followExport } from './export-files.js';

async function sameAsServer(dir: string, url: string): Promise<void> {
  for (const f of files(dir)) {
    const served = await get(`${url}/${f}`);
    expect(served.status, f).toBe(200);
    expect(Buffer.from(served.body).equals(readFileSync(join(dir, f))), f).toBe(true);
  }
}

describe('cairn export', () => {
  it('writes what the server serves, byte for byte; a re-run after growth adds only new files', async () => {
    const data = tempDir();
    const out = join(tempDir(), 'static');
    const log = openTestLog({ dataDir: data, maxBatch: 4096 });
    const url = await serveLog(log);
    await growTo(log, 700);

    const r1 = await runCommand(exportCommand, ['--data', data, '--to', out]);
    expect(r1.code, r1.err).toBe(0);
    expect(files(out)).toEqual(expected(700).sort());
    await sameAsServer(out, url);

    const before = new Map(files(out).map((f) => [f, statSync(join(out, f))]));
    await growTo(log, 1500);
    const r2 = await runCommand(exportCommand, ['--data', data, '--to', out]);
    expect(r2.code, r2.err).toBe(0);
    const after = files(out);
    // Every earlier file is still there; old partials stay for readers of the old checkpoint.
    expect(after).toEqual([...new Set([...expected(700), ...expected(1500)])].sort());
    await sameAsServer(out, url);
    for (const [f, st] of before) {
      if (f === 'checkpoint') continue;
      const now = statSync(join(out, f));
      expect([now.ino, now.mtimeMs], `${f} was rewritten`).toEqual([st.ino, st.mtimeMs]);
    }
    const added = after.filter((f) => !before.has(f));
    expect(added.sort()).toEqual(expected(1500).filter((f) => f !== 'checkpoint' && !before.has(f)).sort());
    expect(added).toContain('tile/0/005.p/220');
    expect(added).toContain('tile/entries/002'); // was partial at 700, full now
    expect(r2.out).toMatch(/kept 2 full tiles/);

    // The export is a log a client can read and verify like the server.
    const client = new TileClient(dirFetcher(out));
    expect((await client.checkpoint(parseLogKey(log.key.publicKeyPem).c2sp(TEST_ORIGIN))).checkpoint.size).toBe(1500);
    const mon = await runCommand(monitorCommand, ['--url', out, '--key', verifierKeyString(TEST_ORIGIN, log.key), '--once', '--check-entries']);
    expect(mon.code, mon.err).toBe(0);
    expect(bytesEqual(await client.rootAt(1500), log.latest().rootHash)).toBe(true);
  });

  it('writes the checkpoint last: a failed export leaves the previous checkpoint, whose files are all there', async () => {
    const data = tempDir();
    const out = tempDir();
    const log = openTestLog({ dataDir: data });
    await growTo(log, 300);
    expect((await runCommand(exportCommand, ['--data', data, '--to', out])).code).toBe(0);
    const cp300 = readFileSync(join(out, 'checkpoint'), 'utf8');
    await growTo(log, 600);
    // Block one new tile's path so the second export fails part way.
    mkdirSync(join(out, 'tile/0/002.p/88'), { recursive: true });
    const r = await runCommand(exportCommand, ['--data', data, '--to', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot write .*002\.p\/88/);
    expect(readFileSync(join(out, 'checkpoint'), 'utf8')).toBe(cp300);
    for (const f of expected(300)) expect(existsSync(join(out, f)), f).toBe(true);
  });

  it('refuses to export over another log, or a newer tree of this one', async () => {
    const a = tempDir();
    const out = tempDir();
    const logA = openTestLog({ dataDir: a });
    await growTo(logA, 3);
    await logA.close();
    expect((await runCommand(exportCommand, ['--data', a, '--to', out])).code).toBe(0);
    const b = tempDir();
    const logB = openTestLog({ dataDir: b, origin: 'other.example/log' });
    await growTo(logB, 3);
    await logB.close();
    const r = await runCommand(exportCommand, ['--data', b, '--to', out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/another log/);
    // Same origin, different leaves, same size: not this log's export.
    const c = tempDir();
    const logC = openTestLog({ dataDir: c });
    await growTo(logC, 3, 'fork');
    await logC.close();
    expect((await runCommand(exportCommand, ['--data', c, '--to', out])).err).toMatch(/different tree/);
    const d = tempDir();
    const logD = openTestLog({ dataDir: d });
    await growTo(logD, 2);
    await logD.close();
    expect((await runCommand(exportCommand, ['--data', d, '--to', out])).err).toMatch(/newer tree/);
    // Same origin, a larger tree that does not contain the exported one: its full tiles would be kept wrongly.
    const e = tempDir();
    const logE = openTestLog({ dataDir: e });
    await growTo(logE, 5, 'fork');
    await logE.close();
    expect((await runCommand(exportCommand, ['--data', e, '--to', out])).err).toMatch(/does not contain/);
    writeFileSync(join(out, 'checkpoint'), 'garbage');
    expect((await runCommand(exportCommand, ['--data', a, '--to', out])).code).toBe(2);
    expect((await runCommand(exportCommand, ['--data', tempDir(), '--to', out])).err).toMatch(/no log database/);
  });

  it('--follow keeps the directory in step with a growing log and finishes its pass on SIGTERM', async () => {
    const data = tempDir();
    const out = join(tempDir(), 'static');
    const log = openTestLog({ dataDir: data, maxBatch: 4096 });
    const url = await serveLog(log);
    await growTo(log, 300);
    const f = followExport(['--data', data], out);
    try {
      await f.waitFor(300);
      await growTo(log, 1500);
      await f.waitFor(1500);
      expect(files(out)).toEqual([...new Set([...expected(300), ...expected(1500)])].sort());
      await sameAsServer(out, url);
      expect(await f.stop(), f.output()).toBe(0);
      expect(f.output()).toMatch(/export: tree size 300: wrote/);
      expect(f.output()).toMatch(/export: tree size 1500: wrote/);
      expect(f.output()).toMatch(/stopped on SIGTERM; .* tree size 1500/);
    } finally {
      f.kill();
    }
  });
});
