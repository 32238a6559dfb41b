import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backup } from '../../src/cli/backup.js';
import { main } from '../../src/cli/main.js';
import { isCairnError } from '../../src/errors.js';
import { DB_FILE, KEY_FILE, Log } from '../../src/log/index.js';
import { generateKey } from '../../src/note/index.js';
import { TEST_ORIGIN, body, checkLog, openTestLog, tempDir } from '../helpers/test-log.js';

afterEach(() => vi.restoreAllMocks());

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('cairn backup', () => {
  it('takes a consistent backup while another process writes; it restores, passes verify-db and reopens', async () => {
    const data = tempDir();
    // A separate process appending as fast as it can (32 concurrent writers, group commit).
    const writer = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/crash-writer.ts', data, TEST_ORIGIN, 'backup'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const killer = setTimeout(() => writer.kill('SIGKILL'), 18_000);
    let acks = 0;
    const enough = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (acks >= n ? resolve() : setTimeout(check, 10));
        check();
      });
    writer.stdout.on('data', (d: Buffer) => (acks += d.toString().split('\n').filter((l) => l.startsWith('ACK')).length));
    await enough(500);

    const to = join(tempDir(), 'cairn-backup.db');
    const before = acks;
    vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['backup', '--data', data, '--to', to])).toBe(0);
    expect(writer.exitCode).toBeNull(); // the writer was committing throughout
    await enough(acks + 100); // and went on after it
    writer.kill('SIGKILL');
    await new Promise((r) => writer.once('exit', r));
    clearTimeout(killer);

    expect(statSync(to + '.key').mode & 0o777).toBe(0o600);
    expect(readFileSync(to + '.key', 'utf8')).toBe(readFileSync(join(data, KEY_FILE), 'utf8'));
    expect(readdirSync(join(to, '..')).filter((f) => f.includes('partial'))).toEqual([]);

    // Restore: the database and the key into a new data directory.
    const restored = tempDir();
    copyFileSync(to, join(restored, DB_FILE));
    writeFileSync(join(restored, KEY_FILE), readFileSync(to + '.key'), { mode: 0o600 });
    expect(await main(['verify-db', '--data', restored])).toBe(0);
    const log = Log.open({ dataDir: restored, origin: TEST_ORIGIN, heartbeatMs: 0 });
    try {
      // A snapshot of one commit: at least what was acknowledged before the backup began, and a
      // prefix of the live log (same root at that size).
      expect(log.size).toBeGreaterThanOrEqual(before);
      checkLog(log);
      const live = Log.open({ dataDir: data, origin: TEST_ORIGIN, heartbeatMs: 0 });
      try {
        expect(live.size).toBeGreaterThan(log.size);
        expect(Buffer.from(live.rootAt(log.size))).toEqual(Buffer.from(log.latest().rootHash));
      } finally {
        await live.close();
      }
      // The restored log is a working log: it signs new entries.
      const r = await log.append({ body: body(1, 'after-restore'), kind: 'test', indexKeys: [] });
      expect(r.entry.index).toBe(log.size - 1);
    } finally {
      await log.close();
    }
  });

  it('refuses to overwrite, to guess a missing key, or to copy a key that is not the log\'s', async () => {
    const dir = tempDir();
    const external = join(tempDir(), 'external.pem');
    writeFileSync(external, generateKey('ed25519'), { mode: 0o600 });
    const log = openTestLog({ dataDir: dir, keyFile: external });
    await log.append({ body: body(1), kind: 'test', indexKeys: [] });
    const out = tempDir();

    // The key is not in the data directory: say so rather than silently back up without it.
    const noKey = await rejection(backup(dir, join(out, 'a.db')));
    expect(isCairnError(noKey, 'CONFIG')).toBe(true);
    expect(noKey.message).toBe(`no signing key at ${join(dir, KEY_FILE)}: pass the server's key with --key FILE, or --without-key if you keep the key elsewhere`);
    expect(existsSync(join(out, 'a.db'))).toBe(false);

    const wrong = join(tempDir(), 'wrong.pem');
    writeFileSync(wrong, generateKey('ed25519'), { mode: 0o600 });
    const wrongKey = await rejection(backup(dir, join(out, 'b.db'), { keyFile: wrong }));
    expect(wrongKey.message).toMatch(/is not this log's signing key/);
    expect(existsSync(join(out, 'b.db'))).toBe(false);

    expect(await backup(dir, join(out, 'c.db'), { keyFile: external })).toMatchObject({ keyCopy: join(out, 'c.db.key') });
    const again = await rejection(backup(dir, join(out, 'c.db'), { keyFile: external }));
    expect(again.message).toBe(`${join(out, 'c.db')} already exists; refusing to overwrite it`);

    // --without-key is explicit, and the command says the backup lacks it.
    const io = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['backup', '--data', dir, '--to', join(out, 'd.db'), '--without-key'])).toBe(0);
    expect(existsSync(join(out, 'd.db.key'))).toBe(false);
    expect(io.mock.calls.flat().join('\n')).toContain('the signing key is NOT included');

    const missing = join(tempDir(), 'nothing-here');
    mkdirSync(missing, { recursive: true });
    expect((await rejection(backup(missing, join(out, 'e.db')))).message).toBe(`no log database at ${join(missing, DB_FILE)} (check --data)`);
  });
});
