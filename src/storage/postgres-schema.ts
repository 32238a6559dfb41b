/**
 * Connecting to a PostgreSQL log and bringing its schema up to date (schema/postgres/NNN-*.sql).
 * One PostgreSQL schema holds one log; its tables are found through search_path.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { CairnError } from '../errors.js';

const SCHEMA_DIR = fileURLToPath(new URL('../../schema/postgres/', import.meta.url));

/** PostgresPlace names where a log lives: a database URL and a schema in it. */
export interface PostgresPlace {
  url: string;
  /** The PostgreSQL schema holding the log's tables (default "public"). */
  schema?: string;
}

/** schemaOf returns the place's schema name, checked to be a plain identifier (it is quoted into SQL). */
export function schemaOf(p: PostgresPlace): string {
  const s = p.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(s)) throw new CairnError('CONFIG', `bad PostgreSQL schema name ${JSON.stringify(s)}`);
  return s;
}

/**
 * postgresPlace reads a log's address as the CLI takes it: postgres://USER@HOST:PORT/DB with an
 * optional ?schema=NAME (default public), which is Cairn's, not a connection parameter.
 */
export function postgresPlace(address: string): PostgresPlace {
  let u: URL;
  try {
    u = new URL(address);
  } catch {
    throw new CairnError('CONFIG', `not a database URL: ${JSON.stringify(address)} (want postgres://USER@HOST:PORT/DB[?schema=NAME])`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new CairnError('CONFIG', `not a PostgreSQL URL: ${JSON.stringify(address)} (want postgres://USER@HOST:PORT/DB[?schema=NAME])`);
  const schema = u.searchParams.get('schema') ?? undefined;
  u.searchParams.delete('schema');
  const place = { url: u.toString(), schema };
  schemaOf(place);
  return place;
}

/** describePlace names a log's place for messages, without its password. */
export function describePlace(p: PostgresPlace): string {
  const u = new URL(p.url);
  u.password = '';
  return `schema ${schemaOf(p)} of ${u.toString()}`;
}

/**
 * clientConfig returns the connection settings every connection of a log uses: its schema first
 * on search_path, synchronous_commit on (a commit returns once its WAL is flushed), and TCP
 * keepalives both ways so a vanished peer is noticed. With idleInTransactionMs (a node's
 * connections: the lease), the server ends a session left idle inside a transaction that long:
 * a node paused (SIGSTOP) in the middle of a batch or an enqueue holds the head row's lock, which
 * would otherwise stop every other node's commits, uploads and the next leader's epoch bump
 * until it woke.
 */
export function clientConfig(p: PostgresPlace, o: { idleInTransactionMs?: number } = {}): pg.ClientConfig {
  const idle = o.idleInTransactionMs === undefined ? '' : ` -c idle_in_transaction_session_timeout=${Math.round(o.idleInTransactionMs)}`;
  return {
    connectionString: p.url,
    options: `-c search_path=${schemaOf(p)} -c synchronous_commit=on -c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3${idle}`,
    keepAlive: true,
    keepAliveInitialDelayMillis: 5000,
  };
}

/** lockKey returns the two 32-bit keys of the log's advisory locks (one log per schema). */
export function lockKey(p: PostgresPlace, purpose: 'lead' | 'migrate'): [number, number] {
  let h = 0x811c9dc5; // FNV-1a over the schema name: a stable 32-bit key
  for (const c of Buffer.from(schemaOf(p))) h = Math.imul(h ^ c, 0x01000193);
  return [purpose === 'lead' ? 0x6361_6972 : 0x6361_6973, h | 0];
}

function migrations(): [number, string][] {
  return readdirSync(SCHEMA_DIR)
    .filter((f) => /^\d{3}-.*\.sql$/.test(f))
    .sort()
    .map((f) => [Number(f.slice(0, 3)), readFileSync(SCHEMA_DIR + f, 'utf8')]);
}

/**
 * migrate creates the schema if absent and applies the migrations it lacks, each in its own
 * transaction, under an advisory lock so nodes starting together apply each exactly once.
 */
export async function migrate(c: pg.Client, p: PostgresPlace): Promise<void> {
  const schema = schemaOf(p);
  const [k1, k2] = lockKey(p, 'migrate');
  await c.query('SELECT pg_advisory_lock($1, $2)', [k1, k2]);
  try {
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await c.query('CREATE TABLE IF NOT EXISTS migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await c.query<{ version: number }>('SELECT version FROM migrations')).rows.map((r) => r.version));
    const all = migrations();
    const newest = Math.max(...done, 0);
    if (newest > all[all.length - 1][0]) throw new CairnError('CONFIG', `database schema version ${newest} is newer than this Cairn; upgrade Cairn`);
    for (const [version, sql] of all) {
      if (done.has(version)) continue;
      await c.query('BEGIN');
      try {
        await c.query(sql);
        await c.query('INSERT INTO migrations (version) VALUES ($1)', [version]);
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK');
        throw e;
      }
    }
  } finally {
    await c.query('SELECT pg_advisory_unlock($1, $2)', [k1, k2]);
  }
}
