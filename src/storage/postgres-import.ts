/**
 * importPostgres copies a whole log, read from a snapshot of any driver (cairn migrate: a SQLite
 * log), into an empty PostgreSQL place: identity, entries with their integrated times and SETs,
 * search keys, tiles, every stored checkpoint and the witnesses' cosignatures. ONE transaction,
 * so a failed or interrupted import leaves the target as empty as it found it; the lead's
 * advisory lock is held meanwhile, so no node starts sequencing a half-copied log.
 */
import pg from 'pg';
import { CairnError } from '../errors.js';
import { TILE_WIDTH } from '../merkle/index.js';
import type { LogSnapshot } from './contract.js';
import { clientConfig, describePlace, lockKey, migrate, type PostgresPlace } from './postgres-schema.js';

/** ImportResult says what importPostgres stored. */
export interface ImportResult {
  entries: number;
  keys: number;
  tiles: number;
  checkpoints: number;
  cosignatures: number;
}

const CHUNK = 1000;

export async function importPostgres(from: LogSnapshot, place: PostgresPlace, onProgress?: (done: number, total: number) => void): Promise<ImportResult> {
  const id = from.identity();
  const latest = from.latest();
  if (!id || !latest) throw new CairnError('CONFIG', 'the source holds no log (no identity or checkpoint)');
  const size = latest.size;
  if (from.count() !== size) throw new CairnError('CORRUPT', `the source holds ${from.count()} entries but its latest checkpoint is for size ${size}; run cairn verify-db on it`);
  const c = new pg.Client(clientConfig(place));
  await c.connect();
  const [k1, k2] = lockKey(place, 'lead');
  try {
    await migrate(c, place);
    if (!(await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [k1, k2])).rows[0].ok) {
      throw new CairnError('CONFIG', `a Cairn node is sequencing ${describePlace(place)}; the target of a migration must be empty and unused`);
    }
    await c.query('BEGIN');
    const found = (await c.query<{ size: string; n: string }>('SELECT (SELECT size FROM head) AS size, (SELECT count(*) FROM identity) + (SELECT count(*) FROM checkpoints) + (SELECT count(*) FROM entries) AS n')).rows[0];
    if (found.size !== '0' || found.n !== '0') {
      throw new CairnError('CONFIG', `${describePlace(place)} already holds a log (size ${found.size}); migrate only into an empty schema (pick another with ?schema=NAME)`);
    }
    await c.query('INSERT INTO identity (origin, public_key, tree_id) VALUES ($1, $2, $3)', [id.origin, id.publicKeyPem, id.treeId]);
    const r: ImportResult = { entries: 0, keys: 0, tiles: 0, checkpoints: 0, cosignatures: 0 };
    for (let start = 0; start < size; start += CHUNK) {
      const end = Math.min(start + CHUNK, size);
      const e = from.entries(start, end);
      await c.query(
        'INSERT INTO entries (idx, leaf_hash, body, kind, integrated_time, entry_ts) SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::text[], $5::bigint[], $6::bytea[])',
        [e.map((x) => x.index), e.map((x) => Buffer.from(x.leafHash)), e.map((x) => Buffer.from(x.body)), e.map((x) => x.kind), e.map((x) => x.integratedTime), e.map((x) => (x.entryTimestamp ? Buffer.from(x.entryTimestamp) : null))],
      );
      const keys: string[] = [];
      const idx: number[] = [];
      from.keys(start, end).forEach((ks, i) => ks.forEach((k) => (keys.push(k), idx.push(start + i))));
      if (keys.length) await c.query('INSERT INTO search_keys (key, idx) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING', [keys, idx]);
      r.entries += e.length;
      r.keys += keys.length;
      onProgress?.(end, size);
    }
    r.tiles = await copyTiles(c, from, size);
    for (const cp of from.checkpoints()) {
      await c.query('INSERT INTO checkpoints (size, root_hash, signed_at, c2sp, rekor) VALUES ($1, $2, $3, $4, $5)', [cp.size, Buffer.from(cp.rootHash), cp.signedAt, cp.c2sp, cp.rekor]);
      r.checkpoints++;
    }
    for (const w of from.cosignatures()) {
      await c.query('INSERT INTO cosignatures (witness, size, checkpoint, lines) VALUES ($1, $2, $3, $4)', [w.witness, w.size, w.checkpoint, w.lines]);
      r.cosignatures++;
    }
    // A new epoch too: nothing a node believed about the empty log can commit over the copy.
    await c.query('UPDATE head SET size = $1, epoch = epoch + 1', [size]);
    await c.query('COMMIT');
    return r;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    await c.query('SELECT pg_advisory_unlock_all()').catch(() => {});
    await c.end();
  }
}

/** copyTiles copies every tile a tree of size has (full ones and the partial edge), level by level. */
async function copyTiles(c: pg.Client, from: LogSnapshot, size: number): Promise<number> {
  let n = 0;
  // Level L holds one hash per TILE_WIDTH^L entries (complete subtrees only); a tile holds TILE_WIDTH of them.
  for (let level = 0, width = size; width > 0; level++, width = Math.floor(width / TILE_WIDTH)) {
    const count = Math.ceil(width / TILE_WIDTH);
    for (let start = 0; start < count; start += CHUNK) {
      const lv: number[] = [];
      const ix: number[] = [];
      const data: Buffer[] = [];
      for (let i = start; i < Math.min(start + CHUNK, count); i++) {
        const t = from.tile(level, i);
        if (!t) throw new CairnError('CORRUPT', `the source lacks tile ${level}/${i}; run cairn verify-db on it`);
        lv.push(level), ix.push(i), data.push(Buffer.from(t));
      }
      await c.query('INSERT INTO tiles (level, idx, hashes) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bytea[])', [lv, ix, data]);
      n += lv.length;
    }
  }
  return n;
}
