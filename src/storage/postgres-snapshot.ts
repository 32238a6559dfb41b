/**
 * Snapshots of a PostgreSQL log (contract.ts LogSnapshot): one REPEATABLE READ, READ ONLY
 * transaction reads the whole log at one commit into memory, since the snapshot interface answers
 * synchronously. Fit for logs that fit in memory; for large logs pg_dump is the backup (README).
 * backup writes the snapshot as JSON, which restorePostgres loads into a new schema.
 */
import { rename, readFile, writeFile } from 'node:fs/promises';
import pg from 'pg';
import { CairnError } from '../errors.js';
import type { CheckpointRow, Cosignature, EntryRow, LogIdentity, LogSnapshot } from './contract.js';
import { checkpointOf, entryOf, type RawCheckpoint, type RawEntry } from './postgres-rows.js';
import { clientConfig, describePlace, migrate, type PostgresPlace } from './postgres-schema.js';

interface Dump {
  identity?: LogIdentity;
  checkpoints: CheckpointRow[];
  entries: EntryRow[];
  tiles: [number, number, Uint8Array][];
  keys: [string, number][];
  cosignatures: Cosignature[];
}

/** SnapshotOptions narrow what a snapshot loads. */
export interface SnapshotOptions {
  /**
   * Load entries from this index on only (export --follow re-reads just the tiles that grew);
   * entries(start, …) below it then throws. Tiles and checkpoints narrow with it: only the tiles
   * at or right of the tile holding that index at each level (all the root and parent checks of
   * any size from there on need), and the checkpoints of those sizes. Default 0: everything.
   */
  entriesFrom?: number;
}

/** openPostgresSnapshot reads the log at place as of one commit. */
export async function openPostgresSnapshot(place: PostgresPlace, o: SnapshotOptions = {}): Promise<LogSnapshot> {
  const from = o.entriesFrom ?? 0;
  const c = new pg.Client(clientConfig(place));
  await c.connect();
  try {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    if (!(await c.query<{ ok: boolean }>("SELECT to_regclass('head') IS NOT NULL AS ok")).rows[0].ok) throw new CairnError('CONFIG', `no Cairn log in ${describePlace(place)}`);
    const head = Number((await c.query<{ size: string }>('SELECT size FROM head')).rows[0].size);
    const id = (await c.query<{ origin: string; public_key: string; tree_id: string }>('SELECT * FROM identity')).rows[0];
    const d: Dump = {
      identity: id && { origin: id.origin, publicKeyPem: id.public_key, treeId: id.tree_id },
      checkpoints: (await c.query<RawCheckpoint>('SELECT * FROM checkpoints WHERE size >= $1 ORDER BY size', [from])).rows.map(checkpointOf),
      entries: (await c.query<RawEntry>('SELECT * FROM entries WHERE idx >= $1 ORDER BY idx', [from])).rows.map(entryOf),
      // A tile at level L spans 256^(L+1) leaves: the one holding entry `from` is idx from >> 8(L+1).
      tiles: (await c.query<{ level: number; idx: string; hashes: Buffer }>('SELECT * FROM tiles WHERE idx >= ($1::bigint >> (8 * (level + 1)))', [from])).rows.map((r) => [r.level, Number(r.idx), r.hashes]),
      keys: (await c.query<{ key: string; idx: string }>('SELECT key, idx FROM search_keys WHERE idx >= $1 ORDER BY idx', [from])).rows.map((r) => [r.key, Number(r.idx)]),
      cosignatures: (await c.query<Cosignature & { size: string }>('SELECT * FROM cosignatures')).rows.map((r) => ({ ...r, size: Number(r.size) })),
    };
    const orphans = (await c.query<{ n: string }>('SELECT count(*) AS n FROM search_keys k WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.idx = k.idx)')).rows[0].n;
    await c.query('COMMIT');
    return new PostgresSnapshot(d, head, from, orphans === '0' ? undefined : `${orphans} search keys name no entry`);
  } finally {
    await c.end();
  }
}

class PostgresSnapshot implements LogSnapshot {
  private readonly tiles: Map<string, Uint8Array>;

  constructor(
    private readonly d: Dump,
    /** The size the head row records: the committed tree, by the sequencer's compare-and-swap. */
    private readonly head: number,
    /** The index of d.entries[0]. */
    private readonly from: number,
    private readonly keysProblem: string | undefined,
  ) {
    this.tiles = new Map(d.tiles.map(([l, i, h]) => [`${l}/${i}`, h]));
  }

  identity(): LogIdentity | undefined {
    return this.d.identity;
  }

  latest(): CheckpointRow | undefined {
    return this.d.checkpoints[this.d.checkpoints.length - 1];
  }

  checkpoints(): Iterable<CheckpointRow> {
    return this.d.checkpoints;
  }

  count(): number {
    return this.from + this.d.entries.length;
  }

  entries(start: number, end: number): EntryRow[] {
    if (start < this.from) throw new CairnError('CONFIG', `this snapshot holds entries from ${this.from} on, not ${start}`);
    return this.d.entries.slice(start - this.from, end - this.from);
  }

  tile(level: number, index: number): Uint8Array | undefined {
    return this.tiles.get(`${level}/${index}`);
  }

  keys(start: number, end: number): string[][] {
    const out: string[][] = Array.from({ length: Math.max(0, end - start) }, () => []);
    for (const [k, i] of this.d.keys) if (i >= start && i < end) out[i - start].push(k);
    return out;
  }

  cosignatures(): Cosignature[] {
    return this.d.cosignatures;
  }

  damage(): string | undefined {
    const bad = this.d.entries.findIndex((e, i) => e.index !== this.from + i);
    if (bad >= 0) return `entries: index ${this.d.entries[bad].index} stored at position ${this.from + bad}`;
    if (this.head !== this.count()) return `head: the committed size is ${this.head} but ${this.count()} entries are stored`;
    return undefined;
  }

  indexProblem(): string | undefined {
    return this.keysProblem;
  }

  async backup(path: string): Promise<void> {
    if (this.from > 0) throw new CairnError('CONFIG', 'a snapshot of part of the entries cannot be a backup');
    const b64 = (x: Uint8Array) => Buffer.from(x).toString('base64');
    const json = JSON.stringify({
      format: 'cairn-postgres-backup/1',
      identity: this.d.identity,
      checkpoints: this.d.checkpoints.map((c) => ({ ...c, rootHash: b64(c.rootHash) })),
      entries: this.d.entries.map((e) => ({ ...e, leafHash: b64(e.leafHash), body: b64(e.body), entryTimestamp: e.entryTimestamp && b64(e.entryTimestamp) })),
      tiles: this.d.tiles.map(([l, i, h]) => [l, i, b64(h)]),
      keys: this.d.keys,
      cosignatures: this.d.cosignatures,
    });
    await writeFile(path + '.tmp', json);
    await rename(path + '.tmp', path);
  }

  close(): void {}
}

/** restorePostgres loads a file written by a PostgreSQL snapshot's backup into place, which MUST hold no log yet. */
export async function restorePostgres(file: string, place: PostgresPlace): Promise<void> {
  const j = JSON.parse(await readFile(file, 'utf8'));
  if (j.format !== 'cairn-postgres-backup/1') throw new CairnError('CONFIG', `${file} is not a Cairn PostgreSQL backup`);
  const bin = (s: string) => Buffer.from(s, 'base64');
  const c = new pg.Client(clientConfig(place));
  await c.connect();
  try {
    await migrate(c, place);
    await c.query('BEGIN');
    const { origin, publicKeyPem, treeId } = j.identity as LogIdentity;
    await c.query('INSERT INTO identity (origin, public_key, tree_id) VALUES ($1, $2, $3)', [origin, publicKeyPem, treeId]);
    for (const e of j.entries) await c.query('INSERT INTO entries VALUES ($1, $2, $3, $4, $5, $6)', [e.index, bin(e.leafHash), bin(e.body), e.kind, e.integratedTime, e.entryTimestamp ? bin(e.entryTimestamp) : null]);
    for (const [l, i, h] of j.tiles) await c.query('INSERT INTO tiles VALUES ($1, $2, $3)', [l, i, bin(h)]);
    for (const [k, i] of j.keys) await c.query('INSERT INTO search_keys VALUES ($1, $2)', [k, i]);
    for (const cp of j.checkpoints) await c.query('INSERT INTO checkpoints VALUES ($1, $2, $3, $4, $5)', [cp.size, bin(cp.rootHash), cp.signedAt, cp.c2sp, cp.rekor]);
    for (const w of j.cosignatures) await c.query('INSERT INTO cosignatures VALUES ($1, $2, $3, $4)', [w.witness, w.size, w.checkpoint, w.lines]);
    await c.query('UPDATE head SET size = $1', [j.entries.length]);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    await c.end();
  }
}
