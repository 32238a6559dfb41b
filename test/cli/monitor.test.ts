import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { exportLog } from '../../src/cli/export.js';
import { monitorCommand } from '../../src/cli/monitor.js';
import { DB_FILE, KEY_FILE, type Log } from '../../src/log/index.js';
import { appendSignatures, cosign, generateKey, loadPrivateKey, splitNote, verifierKeyString } from '../../src/note/index.js';
import { serveFakeRekor } from '../client/fake-rekor.js';
import { openTestLog, tempDir, TEST_ORIGIN } from '../helpers/test-log.js';
import { growTo, runCommand, serveLog } from '../tiles/helpers.js';
import { dirOf, replaceBody, storedBody } from '../helpers/sqlite.js';

const vkey = (log: Log) => verifierKeyString(TEST_ORIGIN, log.key);

function monitor(url: string, key: string, state: string, ...more: string[]) {
  return runCommand(monitorCommand, ['--url', url, '--key', key, '--state', state, '--once', ...more]);
}

/** twin opens a second log with the first one's key file and origin: what a forking log operator has. */
function twin(first: string): Log {
  return openTestLog({ dataDir: tempDir(), keyFile: join(first, KEY_FILE) });
}

describe('cairn monitor', () => {
  it('passes on an honest growing log, keeping its state file, with and without --check-entries', async () => {
    const log = openTestLog({ maxBatch: 4096 });
    const url = await serveLog(log);
    const state = join(tempDir(), 'state.json');
    const keyFile = join(tempDir(), 'log.pem');
    writeFileSync(keyFile, log.key.publicKeyPem);
    for (const [size, key, more] of [
      [0, vkey(log), []],
      [5, keyFile, ['--check-entries']],
      [300, vkey(log), ['--check-entries']],
      [300, vkey(log), ['--check-entries']],
      [300, vkey(log), []],
      [1100, keyFile, []],
      [1400, vkey(log), ['--check-entries']],
    ] as const) {
      await growTo(log, size);
      const r = await monitor(url, key, state, ...more);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(new RegExp(`OK: ${TEST_ORIGIN} at size ${size}`));
      const s = JSON.parse(readFileSync(state, 'utf8'));
      expect(s.size).toBe(size);
      expect(s.note).toBe(log.latest().c2sp);
    }
    // The last run re-derived entries from where --check-entries last covered (300), not just the new ones.
    expect(JSON.parse(readFileSync(state, 'utf8')).entriesChecked).toBe(1400);
  });

  it('detects a split view: a second log under the same key, same size, different leaves', async () => {
    const a = openTestLog();
    await growTo(a, 10);
    const state = join(tempDir(), 'state.json');
    expect((await monitor(await serveLog(a), vkey(a), state)).code).toBe(0);
    const b = twin(dirOf(a));
    await growTo(b, 10, 'fork');
    const r = await monitor(await serveLog(b), vkey(a), state);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ALARM \(split-view\): SPLIT VIEW/);
    expect(r.err).toContain(a.latest().c2sp.trim()); // the evidence: both signed checkpoints
    expect(r.err).toContain(b.latest().c2sp.trim());
    expect(JSON.parse(readFileSync(state, 'utf8')).size).toBe(10); // trusted state unchanged
  });

  it('detects a fork: the other log grew past the trusted size from different leaves', async () => {
    const a = openTestLog();
    await growTo(a, 300);
    const state = join(tempDir(), 'state.json');
    expect((await monitor(await serveLog(a), vkey(a), state)).code).toBe(0);
    const b = twin(dirOf(a));
    await growTo(b, 299);
    await growTo(b, 600, 'fork'); // same first 299 leaves, then different ones
    const r = await monitor(await serveLog(b), vkey(a), state);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ALARM \(fork\): FORK: size 600 is not an append-only extension of the trusted size 300/);
  });

  it('detects a rollback to a smaller tree', async () => {
    const a = openTestLog();
    await growTo(a, 20);
    const state = join(tempDir(), 'state.json');
    expect((await monitor(await serveLog(a), vkey(a), state)).code).toBe(0);
    const b = twin(dirOf(a));
    await growTo(b, 12); // an honest prefix of a, but older than what the monitor trusts
    const r = await monitor(await serveLog(b), vkey(a), state);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ALARM \(rollback\): ROLLBACK: .*size 12, smaller than the trusted size 20/);
  });

  it('detects a bad signature and a wrong key, and an origin change', async () => {
    const log = openTestLog();
    await growTo(log, 3);
    const state = join(tempDir(), 'state.json');
    const forged = await serveLog(log, { checkpointNote: (cp) => cp.c2sp.replace(/ (\S{12})(\S)(\S*)\n$/, (_m, head: string, c: string, rest: string) => ` ${head}${c === 'A' ? 'B' : 'A'}${rest}\n`) });
    let r = await monitor(forged, vkey(log), state);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ALARM \(bad-signature\).*does not verify/);
    const other = verifierKeyString(TEST_ORIGIN, loadPrivateKey(generateKey('ed25519')));
    r = await monitor(await serveLog(log), other, state);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/BAD SIGNATURE/);
    r = await monitor(await serveLog(log), vkey(log), state, '--origin', 'elsewhere.example/log');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ORIGIN CHANGED/);
  });

  it('detects a tampered tile (a byte edited in SQLite) and, with --check-entries, a tampered entry', async () => {
    const dir = tempDir();
    const first = openTestLog({ dataDir: dir, maxBatch: 4096 });
    await growTo(first, 700);
    await first.close();
    const edit = (sql: string) => {
      const db = new Database(join(dir, DB_FILE));
      const row = db.prepare(`SELECT hashes AS b FROM ${sql}`).get() as { b: Buffer };
      const b = Buffer.from(row.b);
      b[10] ^= 0x40;
      db.prepare(`UPDATE ${sql.replace(/ WHERE/, ' SET hashes = ? WHERE')}`).run(b);
      db.close();
    };
    // Entry 3's body: the leaf hashes and tiles still agree, so only --check-entries can tell.
    const db = new Database(join(dir, DB_FILE));
    const b3 = storedBody(db, 3);
    b3[10] ^= 0x40;
    replaceBody(db, 3, b3);
    db.close();
    let log = openTestLog({ dataDir: dir });
    let url = await serveLog(log);
    expect((await monitor(url, vkey(log), join(tempDir(), 's.json'))).code).toBe(0);
    let r = await monitor(url, vkey(log), join(tempDir(), 's.json'), '--check-entries');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ALARM \(tampered\): TAMPERED: entry 3 in bundle 0/);
    await log.close();
    // A full level-0 tile altered after it left the log (a mirror, a CDN): the monitor's tile chain
    // check catches it.
    const mirror = join(tempDir(), 'mirror');
    exportLog(dir, mirror);
    const copy = readFileSync(join(mirror, 'tile/0/001'));
    copy[10] ^= 0x40;
    writeFileSync(join(mirror, 'tile/0/001'), copy);
    r = await monitor(mirror, vkey(log), join(tempDir(), 's.json'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ALARM \(tampered\): TAMPERED: tile tile\/0\/001 does not hash to its entry in tile 1\/0/);
    // The same tile altered in SQLite: not on the root's path (the level-1 tile holds its hash), so
    // the server still opens, but it refuses to serve the tile rather than serve a wrong one.
    edit('tiles WHERE level = 0 AND idx = 1');
    log = openTestLog({ dataDir: dir });
    url = await serveLog(log);
    const res = await fetch(`${url}/tile/0/001`);
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/tile 0\/1 does not hash to the value its parent tile/);
  });

  it('monitors through the Rekor API, and catches a bad consistency proof there', async () => {
    const log = openTestLog();
    await growTo(log, 9);
    const state = join(tempDir(), 'state.json');
    const keyFile = join(tempDir(), 'log.pem');
    writeFileSync(keyFile, log.key.publicKeyPem);
    const url = await serveFakeRekor(log);
    expect((await monitor(url, keyFile, state, '--api', 'rekor')).code).toBe(0);
    await growTo(log, 40);
    const r = await monitor(url, keyFile, state, '--api', 'rekor');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/size 40 \(\+31/);
    await growTo(log, 50);
    const liar = await serveFakeRekor(log, { proof: (h) => [...h.slice(0, -1), 'ab'.repeat(32)] });
    const bad = await monitor(liar, keyFile, state, '--api', 'rekor');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/ALARM \(fork\)/);
    expect((await monitor(url, keyFile, state, '--api', 'rekor', '--check-entries')).code).toBe(2);
  });

  it('says so and exits 3 when the log cannot be reached', async () => {
    const r = await monitor('http://127.0.0.1:1', verifierKeyString(TEST_ORIGIN, loadPrivateKey(generateKey('ed25519'))), join(tempDir(), 's.json'));
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/could not check the log/);
  });

  it('keeps polling at --interval until the log misbehaves (here: a static export whose checkpoint is swapped)', async () => {
    const a = openTestLog();
    await growTo(a, 10);
    const out = tempDir();
    exportLog(dirOf(a), out);
    const b = twin(dirOf(a));
    await growTo(b, 10, 'fork');
    const state = join(tempDir(), 'state.json');
    const running = runCommand(monitorCommand, ['--url', out, '--key', vkey(a), '--state', state, '--interval', '1']);
    for (let i = 0; i < 100 && !existsSync(state); i++) await new Promise((r) => setTimeout(r, 50));
    expect(JSON.parse(readFileSync(state, 'utf8')).size).toBe(10);
    writeFileSync(join(out, 'checkpoint'), b.latest().c2sp);
    const r = await running;
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/OK: .* at size 10/);
    expect(r.err).toMatch(/ALARM \(split-view\)/);
  });

  it('accepts a checkpoint carrying witness cosignatures (unknown signature lines are ignored)', async () => {
    const log = openTestLog();
    await growTo(log, 7);
    const witness = loadPrivateKey(generateKey('ed25519'));
    const cosigned = (cp: { c2sp: string }) => appendSignatures(cp.c2sp, [cosign(splitNote(cp.c2sp).text, witness, 'witness.example/w1', 1_700_000_000)]);
    const url = await serveLog(log, { checkpointNote: cosigned });
    const state = join(tempDir(), 's.json');
    const r = await monitor(url, vkey(log), state, '--check-entries');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(readFileSync(state, 'utf8')).note).toMatch(/\n— witness\.example\/w1 /); // kept as evidence, cosignatures included
  });
});

