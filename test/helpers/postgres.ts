/**
 * PostgreSQL for tests: CAIRN_TEST_DATABASE_URL (default the local cluster) names a server where
 * each test file creates a fresh database, dropped after. Without a server the file's tests are
 * skipped with one line saying so, unless CAIRN_REQUIRE_POSTGRES=1 (CI), when they fail.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';

export const TEST_DATABASE_URL = process.env.CAIRN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** withDatabase returns the URL of a new database (dropped after the file's tests), or undefined when no PostgreSQL answers. */
export async function testDatabase(): Promise<string | undefined> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (e) {
    const line = `PostgreSQL tests skipped: no server at ${TEST_DATABASE_URL} (${(e as Error).message}); set CAIRN_TEST_DATABASE_URL, or see README "PostgreSQL"`;
    if (process.env.CAIRN_REQUIRE_POSTGRES === '1') throw new Error(`CAIRN_REQUIRE_POSTGRES=1: ${line}`);
    console.warn(line);
    return undefined;
  }
  const name = `cairn_test_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  afterAll(async () => {
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

let schemas = 0;
/** testSchema returns a new schema name for one log in the test database. */
export function testSchema(): string {
  return `log_${process.pid}_${++schemas}`;
}
