/**
 * The reading statements of cairn.db, shared by the running log's connection (sqlite.ts) and
 * read-only snapshots (snapshot.ts). Rows are written by the log writer's thread only
 * (writer-thread.ts), except a new log's identity and first checkpoint (create).
 */
import type { CheckpointRow, Cosignature, EntryRow, LogIdentity } from './contract.js';
import type { Db } from './db.js';
import { ENTRY_KEYS_COLUMNS, entryKeys } from './entry-keys.js';
import { CHECKPOINT_INSERT_SQL } from './statements.js';

interface RawEntry {
  idx: number;
  leaf_hash: Buffer;
  body: Buffer;
  kind: string;
  integrated_time: number;
  entry_ts: Buffer | null;
}

interface RawCheckpoint {
  size: number;
  root_hash: Buffer;
  signed_at: number;
  c2sp: string;
  rekor: string;
}

/**
 * ENTRIES_AT is how many indexes one entriesAt statement binds; fewer are padded with -1 (no
 * entry's index). Why one statement: each statement outside a transaction is a read transaction
 * of its own (WAL read locks and all), which costs more than the row it reads.
 */
const ENTRIES_AT = 32;

function entryOf(r: RawEntry): EntryRow {
  const e: EntryRow = { index: r.idx, leafHash: r.leaf_hash, body: r.body, kind: r.kind, integratedTime: r.integrated_time };
  if (r.entry_ts) e.entryTimestamp = r.entry_ts;
  return e;
}

function checkpointOf(r: RawCheckpoint): CheckpointRow {
  return { size: r.size, rootHash: r.root_hash, signedAt: r.signed_at, c2sp: r.c2sp, rekor: r.rekor };
}

/** Tables reads cairn.db's rows through statements prepared once on one connection. */
export class Tables {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      meta: db.prepare<[string], string>('SELECT value FROM meta WHERE key = ?').pluck(),
      entry: db.prepare<[number], RawEntry>('SELECT * FROM entries WHERE idx = ?'),
      entries: db.prepare<[number, number], RawEntry>('SELECT * FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx'),
      entriesAt: db.prepare<number[], RawEntry>(`SELECT * FROM entries WHERE idx IN (${Array(ENTRIES_AT).fill('?').join(',')})`),
      count: db.prepare<[], number>('SELECT COALESCE(MAX(idx) + 1, 0) FROM entries').pluck(),
      latest: db.prepare<[], RawCheckpoint>('SELECT * FROM checkpoints ORDER BY size DESC LIMIT 1'),
      checkpointAt: db.prepare<[number], RawCheckpoint>('SELECT * FROM checkpoints WHERE size = ?'),
      checkpoints: db.prepare<[], RawCheckpoint>('SELECT * FROM checkpoints ORDER BY size'),
      tile: db.prepare<[number, number], Buffer>('SELECT hashes FROM tiles WHERE level = ? AND idx = ?').pluck(),
      cosignatures: db.prepare<[], Cosignature>('SELECT witness, size, checkpoint, lines FROM witness_cosignatures'),
      keys: db.prepare<[number, number], { idx: number; keys: string | null; kind: string | null; body: Buffer | null }>(
        `SELECT e.idx AS idx, ${ENTRY_KEYS_COLUMNS} FROM entries e LEFT JOIN entry_keys s ON s.idx = e.idx WHERE e.idx >= ? AND e.idx < ?`,
      ),
    };
  }

  identity(): LogIdentity | undefined {
    const origin = this.s.meta.get('origin');
    if (origin === undefined) return undefined;
    return { origin, publicKeyPem: this.s.meta.get('public_key')!, treeId: this.s.meta.get('tree_id')! };
  }

  /** create stores a new log's identity and first checkpoint in one transaction; fails if it has an identity. */
  create(id: LogIdentity, first: CheckpointRow): void {
    const put = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    const checkpoint = this.db.prepare(CHECKPOINT_INSERT_SQL);
    this.db.transaction(() => {
      put.run('origin', id.origin);
      put.run('public_key', id.publicKeyPem);
      put.run('tree_id', id.treeId);
      checkpoint.run(first.size, first.rootHash, first.signedAt, first.c2sp, first.rekor);
    })();
  }

  entry(index: number): EntryRow | undefined {
    const r = this.s.entry.get(index);
    return r && entryOf(r);
  }

  entries(start: number, end: number): EntryRow[] {
    return this.s.entries.all(start, end).map(entryOf);
  }

  /** entriesAt returns the entries at these distinct indexes (32 a statement), in no set order; missing ones are left out. */
  entriesAt(indexes: readonly number[]): EntryRow[] {
    const out: EntryRow[] = [];
    const args: number[] = new Array(ENTRIES_AT);
    for (let i = 0; i < indexes.length; i += ENTRIES_AT) {
      for (let j = 0; j < ENTRIES_AT; j++) args[j] = i + j < indexes.length ? indexes[i + j] : -1;
      for (const r of this.s.entriesAt.all(...args)) out.push(entryOf(r));
    }
    return out;
  }

  count(): number {
    return this.s.count.get()!;
  }

  latest(): CheckpointRow | undefined {
    const r = this.s.latest.get();
    return r && checkpointOf(r);
  }

  checkpointAt(size: number): CheckpointRow | undefined {
    const r = this.s.checkpointAt.get(size);
    return r && checkpointOf(r);
  }

  *checkpoints(): Iterable<CheckpointRow> {
    for (const r of this.s.checkpoints.iterate()) yield checkpointOf(r);
  }

  tile(level: number, index: number): Uint8Array | undefined {
    return this.s.tile.get(level, index);
  }

  /** keys returns each entry's search keys for start <= index < end, stored or derived from its body (entry-keys.ts; an entry without keys: []). */
  keys(start: number, end: number): string[][] {
    const out: string[][] = Array.from({ length: Math.max(0, end - start) }, () => []);
    for (const r of this.s.keys.iterate(start, end)) out[r.idx - start] = entryKeys(r.keys, r.kind, r.body);
    return out;
  }

  cosignatures(): Cosignature[] {
    return this.s.cosignatures.all();
  }
}
