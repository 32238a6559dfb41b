/**
 * The README's PostgreSQL backup procedure, run as written: pg_dump of the log's schema, restore
 * into another database with pg_restore, then `cairn verify-db` accepts the copy and the log
 * carries on from it (same size, root and key; it takes the next entry). Skipped without
 * PostgreSQL, like every PostgreSQL test.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyDbCommand } from '../../src/cli/verify-db.js';
import { Log, loadOrCreateKey } from '../../src/log/index.js';
import { bytesEqual } from '../../src/merkle/index.js';
import { PostgresStorage } from '../../src/storage/index.js';
import { TEST_DATABASE_URL, testDatabase, testSchema } from '../helpers/postgres.js';
import { TEST_ORIGIN, body, tempDir } from '../helpers/test-log.js';
import { runCommand } from '../tiles/helpers.js';

const db = await testDatabase();
const restored = `cairn_restore_${process.pid}`;

async function admin(sql: string): Promise<void> {
  const c = new pg.Client(TEST_DATABASE_URL);
  await c.connect();
  await c.query(sql).finally(() => c.end());
}

afterAll(async () => {
  if (db) await admin(`DROP DATABASE IF EXISTS ${restored} WITH (FORCE)`);
});

describe.skipIf(!db)('PostgreSQL backup with pg_dump', () => {
  it('restores with pg_restore into a log verify-db accepts and that takes new entries', async () => {
    const schema = testSchema();
    const key = loadOrCreateKey(tempDir(), undefined, 'ed25519').key;
    const open = async (url: string) => Log.openOn(await PostgresStorage.open({ url, schema, lead: 3000 }), key, { origin: TEST_ORIGIN, heartbeatMs: 0 });
    const log = await open(db!);
    await Promise.all(Array.from({ length: 300 }, (_, i) => log.append({ body: body(i), kind: 'test', indexKeys: [`k:${i % 7}`] })));
    const root = log.latest().rootHash;
    await log.close();

    const file = join(tempDir(), 'log.dump');
    execFileSync('pg_dump', ['--schema', schema, '--format', 'custom', '--file', file, db!]);
    await admin(`CREATE DATABASE ${restored}`);
    const to = new URL(db!);
    to.pathname = `/${restored}`;
    execFileSync('pg_restore', ['--dbname', to.toString(), file]);

    const r = await runCommand(verifyDbCommand, ['--database', `${to}?schema=${schema}`]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/OK: .*300 entries/);

    const copy = await open(to.toString());
    try {
      expect(copy.size).toBe(300);
      expect(bytesEqual(copy.latest().rootHash, root)).toBe(true);
      expect(await copy.search('k:3', 100)).toHaveLength(43);
      expect((await copy.append({ body: body(300), kind: 'test', indexKeys: [] })).entry.index).toBe(300);
    } finally {
      await copy.close();
    }
  }, 60_000);
});
