// scratch: enqueue variants straight on a pool. MODE=orig|async|one|oneasync
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { PostgresStorage } from '../../src/storage/index.js';
import { clientConfig } from '../../src/storage/postgres-schema.js';
import { channels } from '../../src/storage/postgres-queue.js';
const url = 'postgres://postgres@127.0.0.1:5432/postgres';
const C = Number(process.argv[2] ?? 64), SECS = Number(process.argv[3] ?? 5), POOL = Number(process.argv[4] ?? 8), MODE = process.argv[5] ?? 'orig';
const admin = new pg.Client(url); await admin.connect();
const schema = `scratch_enq_${process.pid}`;
const place = { url, schema };
const s = await PostgresStorage.open({ url, schema, poolSize: 1 });
const pool = new pg.Pool({ ...clientConfig(place), max: POOL });
const body = randomBytes(350);
const ch = channels(place).queued;
async function enq(lh: Buffer): Promise<void> {
  const c = await pool.connect();
  try {
    if (MODE === 'orig' || MODE === 'async' || MODE === 'after' || MODE === 'none') {
      await c.query('BEGIN');
      if (MODE === 'async') await c.query('SET LOCAL synchronous_commit = off');
      await c.query('SELECT 1 FROM head FOR SHARE');
      const found = (await c.query('SELECT idx FROM entries WHERE leaf_hash = $1', [lh])).rows[0];
      const ins = await c.query('INSERT INTO queue (leaf_hash, body, kind, keys, sign_ts, queued_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (leaf_hash) DO NOTHING', [lh, body, 'hashedrekord', ['a', 'b', 'c'], true, Date.now()]);
      if (ins.rowCount === 1 && (MODE === 'orig' || MODE === 'async')) await c.query('SELECT pg_notify($1, $2)', [ch, '']);
      await c.query('COMMIT');
      if (MODE === 'after') await c.query('SELECT pg_notify($1, $2)', [ch, '']);
    } else {
      const lit = (b: Buffer) => `'\\x${b.toString('hex')}'::bytea`;
      const q = `BEGIN;${MODE === 'oneasync' ? 'SET LOCAL synchronous_commit = off;' : ''}SELECT 1 FROM head FOR SHARE;
WITH f AS (SELECT idx FROM entries WHERE leaf_hash = ${lit(lh)}),
 i AS (INSERT INTO queue (leaf_hash, body, kind, keys, sign_ts, queued_at) SELECT ${lit(lh)}, ${lit(body)}, 'hashedrekord', ARRAY['a','b','c'], true, ${Date.now()} WHERE NOT EXISTS (SELECT 1 FROM f) ON CONFLICT (leaf_hash) DO NOTHING RETURNING 1),
 n AS (SELECT pg_notify('${ch}', '') FROM i)
SELECT (SELECT idx FROM f) AS idx, (SELECT count(*) FROM i) AS ins, (SELECT count(*) FROM n) AS n; COMMIT`;
      await c.query(q);
    }
  } finally { c.release(); }
}
let n = 0; const lat: number[] = [];
const until = performance.now() + SECS * 1000;
await Promise.all(Array.from({ length: C }, async () => {
  while (performance.now() < until) {
    const t = performance.now();
    await enq(randomBytes(32));
    lat.push(performance.now() - t); n++;
  }
}));
lat.sort((a, b) => a - b);
console.log(`${MODE} C=${C} pool=${POOL}: ${Math.round(n / SECS)} enqueues/s p50 ${lat[lat.length >> 1].toFixed(1)} ms p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(1)} ms`);
await pool.end(); await s.close(); await admin.query(`DROP SCHEMA ${schema} CASCADE`); await admin.end();
