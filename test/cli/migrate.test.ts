/**
 * cairn migrate copies a SQLite log into PostgreSQL; cairn verify-db --database audits a
 * PostgreSQL log and names a changed body, tile or root.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrateCommand } from '../../src/cli/migrate.js';
import { verifyDbCommand } from '../../src/cli/verify-db.js';
import { auditDatabase, openSnapshot, type Log } from '../../src/log/index.js';
import { openPostgresSnapshot, postgresPlace } from '../../src/storage/index.js';
import { testDatabase, testSchema } from '../helpers/postgres.js';
import { openTestLog, tempDir } from '../helpers/test-log.js';
import { runCommand } from '../tiles/helpers.js';

const url = await testDatabase();
const KINDS = ['hashedrekord/0.0.1', 'dsse/0.0.1', 'intoto/0.0.2', 'cose/0.0.1'];

/** grow appends n entries of several kinds in a few batches: search keys on most, a SET on every other one. */
async function grow(log: Log, n: number): Promise<void> {
  for (let b = 0; b < n; b += 50) {
    const subs: Promise<unknown>[] = [];
    for (let i = b; i < Math.min(b + 50, n); i++) {
      const body = new TextEncoder().encode(JSON.stringify({ i, kind: KINDS[i % 4], pad: 'x'.repeat(i % 97) }));
      const indexKeys = i % 5 === 4 ? [] : [`sha256:${i.toString(16).padStart(64, '0')}`, `email:u${i % 7}@example.com`];
      subs.push(log.append({ body, kind: KINDS[i % 4], indexKeys, signEntryTimestamp: i % 2 === 0 }));
    }
    await Promise.all(subs);
  }
}

async function sql(address: string, q: string): Promise<void> {
  const place = postgresPlace(address);
  const c = new pg.Client({ connectionString: place.url, options: `-c search_path=${place.schema}` });
  await c.connect();
  await c.query(q);
  await c.end();
}

describe.skipIf(!url)('cairn migrate and verify-db --database', () => {
  it('copies every entry, SET, key, tile, checkpoint and cosignature; refuses a non-empty target', async () => {
    const dir = tempDir();
    const log = openTestLog({ dataDir: dir });
    await grow(log, 333);
    await log.saveCosignature({ witness: 'w1', size: 333, checkpoint: log.latest().c2sp, lines: '— w1 AAAA\n' });
    await log.close();
    const to = `${url}?schema=${testSchema()}`;

    const r = await runCommand(migrateCommand, ['--from', dir, '--to', to]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/333 entries, 534 search keys, \d+ tiles, \d+ checkpoints, 1 cosignatures/);
    expect(r.out).toMatch(/the copy verifies: size 333/);

    const a = openSnapshot(dir);
    const b = await openPostgresSnapshot(postgresPlace(to));
    expect(b.identity()).toEqual(a.identity());
    expect([...b.checkpoints()]).toEqual([...a.checkpoints()].map((c) => ({ ...c, rootHash: Buffer.from(c.rootHash) })));
    const ea = a.entries(0, 333);
    const eb = b.entries(0, 333);
    expect(eb.length).toBe(333);
    for (let i = 0; i < 333; i++) {
      expect(Buffer.from(eb[i].body).equals(Buffer.from(ea[i].body)), `body ${i}`).toBe(true);
      expect(eb[i].kind).toBe(ea[i].kind);
      expect(eb[i].integratedTime).toBe(ea[i].integratedTime);
      expect(eb[i].entryTimestamp && Buffer.from(eb[i].entryTimestamp!).toString('hex'), `SET ${i}`).toBe(ea[i].entryTimestamp && Buffer.from(ea[i].entryTimestamp!).toString('hex'));
      expect(eb[i].entryTimestamp !== undefined).toBe(i % 2 === 0);
    }
    expect(b.keys(0, 333).map((k) => k.sort())).toEqual(a.keys(0, 333).map((k) => k.sort()));
    expect(b.tile(0, 1)).toEqual(Buffer.from(a.tile(0, 1)!));
    expect(b.tile(1, 0)).toEqual(Buffer.from(a.tile(1, 0)!));
    expect(b.cosignatures()).toEqual(a.cosignatures());
    a.close();
    b.close();
    expect(auditDatabase(dir).problem).toBeUndefined();
    const ok = await runCommand(verifyDbCommand, ['--database', to]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/OK: .*333 entries, all tiles and \d+ checkpoints match/);

    const again = await runCommand(migrateCommand, ['--from', dir, '--to', to]);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already holds a log \(size 333\); migrate only into an empty schema/);
  });

  it('verify-db --database names a changed body, tile or root, and a missing log', async () => {
    const dir = tempDir();
    const log = openTestLog({ dataDir: dir });
    await grow(log, 300);
    await log.close();
    const copy = async () => {
      const to = `${url}?schema=${testSchema()}`;
      expect((await runCommand(migrateCommand, ['--from', dir, '--to', to])).code).toBe(0);
      return to;
    };
    const tampered = async (q: string) => {
      const to = await copy();
      await sql(to, q);
      return runCommand(verifyDbCommand, ['--database', to]);
    };
    const body = await tampered("UPDATE entries SET body = body || '\\x20'::bytea WHERE idx = 42");
    expect(body.code).toBe(1);
    expect(body.err).toMatch(/FAILED: .* entry 42: stored body does not hash to its leaf hash/);
    const tile = await tampered("UPDATE tiles SET hashes = overlay(hashes placing '\\xff'::bytea from 161) WHERE level = 0 AND idx = 1");
    expect(tile.err).toMatch(/tile 0\/1 differs at hash 5 \(entry 261\)/);
    const root = await tampered("UPDATE checkpoints SET root_hash = overlay(root_hash placing '\\x00'::bytea from 1) WHERE size = (SELECT max(size) FROM checkpoints)");
    expect(root.err).toMatch(/checkpoint at size 300: root does not match the tree/);
    const none = await runCommand(verifyDbCommand, ['--database', `${url}?schema=${testSchema()}`]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/no Cairn log in schema log_/);
    const bad = await runCommand(verifyDbCommand, ['--database', 'mysql://x/y']);
    expect(bad.err).toMatch(/not a PostgreSQL URL/);
  });
});
