/**
 * `cairn export --database` (issue 13): a PostgreSQL log exported as static tlog-tiles files, once
 * and with --follow while the log grows; a client and the monitor verify the directory as they
 * would the server. A fresh database per file; skipped with one line where no PostgreSQL answers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exportCommand } from '../../src/cli/export.js';
import { monitorCommand } from '../../src/cli/monitor.js';
import { TileClient, dirFetcher, parseBundle, parseLogKey } from '../../src/client/index.js';
import { Log, loadOrCreateKey, type AnyLog } from '../../src/log/index.js';
import { bytesEqual, rootHash } from '../../src/merkle/index.js';
import { TileCache } from '../../src/log/index.js';
import { verifierKeyString } from '../../src/note/index.js';
import { PostgresStorage, openPostgresSnapshot } from '../../src/storage/index.js';
import { testDatabase, testSchema } from '../helpers/postgres.js';
import { TEST_ORIGIN, body, tempDir } from '../helpers/test-log.js';
import { runCommand } from '../tiles/helpers.js';
import { expected, files, followExport } from './export-files.js';

const db = await testDatabase();
const logs: AnyLog[] = [];
afterEach(async () => {
  for (const l of logs.splice(0)) await l.close().catch(() => {});
});

async function openPg(schema: string): Promise<AnyLog> {
  const storage = await PostgresStorage.open({ url: db!, schema, lead: 3000 });
  const log = await Log.openOn(storage, loadOrCreateKey(tempDir(), undefined, 'ed25519').key, { origin: TEST_ORIGIN, heartbeatMs: 0, maxBatch: 512 });
  logs.push(log);
  return log;
}

async function grow(log: AnyLog, size: number): Promise<void> {
  const subs: Promise<unknown>[] = [];
  for (let i = log.size; i < size; i++) subs.push(log.append({ body: body(i), kind: 'test', indexKeys: [] }));
  await Promise.all(subs);
}

/** verified checks out as a client and the monitor would: signed checkpoint, tiles to the root, bundles to the leaves. */
async function verified(out: string, log: AnyLog, size: number): Promise<void> {
  expect(files(out)).toEqual(expect.arrayContaining(expected(size)));
  const client = new TileClient(dirFetcher(out));
  expect((await client.checkpoint(parseLogKey(log.key.publicKeyPem).c2sp(TEST_ORIGIN))).checkpoint.size).toBe(size);
  expect(bytesEqual(await client.rootAt(size), log.latest().rootHash)).toBe(true);
  const mon = await runCommand(monitorCommand, ['--url', out, '--key', verifierKeyString(TEST_ORIGIN, log.key), '--once', '--check-entries']);
  expect(mon.code, mon.err).toBe(0);
  const bundle = parseBundle(readFileSync(join(out, 'tile/entries/001')));
  expect(bundle.map((b) => Buffer.from(b).toString())).toEqual(Array.from({ length: 256 }, (_, k) => Buffer.from(body(256 + k)).toString()));
}

describe.skipIf(!db)('cairn export --database', () => {
  it('writes a PostgreSQL log as tiles a client and the monitor verify', async () => {
    const schema = testSchema();
    const log = await openPg(schema);
    await grow(log, 700);
    const out = join(tempDir(), 'static');
    const r = await runCommand(exportCommand, ['--database', `${db}?schema=${schema}`, '--to', out]);
    expect(r.code, r.err).toBe(0);
    expect(files(out)).toEqual(expected(700).sort());
    await verified(out, log, 700);
    const bad = await runCommand(exportCommand, ['--database', `${db}?schema=nolog`, '--to', join(tempDir(), 'x')]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/no Cairn log/);
  }, 60_000);

  it('--follow keeps the directory in step with a growing PostgreSQL log', async () => {
    const schema = testSchema();
    const log = await openPg(schema);
    await grow(log, 300);
    const out = join(tempDir(), 'static');
    const f = followExport(['--database', `${db}?schema=${schema}`], out);
    try {
      await f.waitFor(300);
      await grow(log, 1500);
      await f.waitFor(1500);
      // Passes that saw the log between batches leave partials of those sizes too (kept for their readers).
      const want = new Set([...expected(300), ...expected(1500)]);
      expect(files(out)).toEqual(expect.arrayContaining([...want]));
      expect(files(out).filter((p) => !want.has(p) && !p.includes('.p/'))).toEqual([]);
      await verified(out, log, 1500);
      expect(await f.stop(), f.output()).toBe(0);
      expect(f.output()).toMatch(/stopped on SIGTERM; .* tree size 1500/);
    } finally {
      f.kill();
    }
  }, 60_000);

  it('a follow pass reads only the right edge: the tiles and checkpoints from the exported size on, enough for every root from there', async () => {
    const schema = testSchema();
    const log = await openPg(schema);
    await grow(log, 1000);
    const snap = await openPostgresSnapshot({ url: db!, schema }, { entriesFrom: 512 });
    const has = (l: number, i: number) => snap.tile(l, i) !== undefined;
    expect([has(0, 0), has(0, 1), has(0, 2), has(0, 3), has(1, 0)]).toEqual([false, false, true, true, true]);
    expect([...snap.checkpoints()].every((c) => c.size >= 512)).toBe(true);
    const tiles = new TileCache((l, i) => snap.tile(l, i), 16);
    for (const size of [512, 513, 999, 1000]) expect(bytesEqual(rootHash(size, tiles.readNodes), await log.rootAt(size))).toBe(true);
    expect(snap.latest()!.size).toBe(1000);
  }, 60_000);
});
