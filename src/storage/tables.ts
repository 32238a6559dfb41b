/**
 * The reading statements of cairn.db, shared by the running log's connection (sqlite.ts) and
 * read-only snapshots (snapshot.ts). Rows are written by the log writer's thread only
 * (writer-thread.ts), except a new log's identity and first checkpoint (create).
 */
import type { CheckpointRow, Cosignature, EntryRow, LogIdentity } from './contract.js';
import type { Db } from './db.js';
import { BodyReader, chunkSizeOf } from './body-stream.js';
import { ENTRY_KEYS_COLUMNS, ENTRY_KEYS_FROM, keysOf, type KeysRow } from './entry-keys.js';
import { CHECKPOINT_INSERT_SQL } from './statements.js';

interface RawEntry {
  idx: number;
  leaf_hash: Buffer;
  kind_id: number;
  integrated_time: number;
  body_at: number;
  body_len: number;
  entry_ts: Buffer | null;
}

/** An entry's row joined with its body's part of one chunk (n null for an empty body). */
interface RawEntryPart extends RawEntry {
  n: number | null;
  part: Buffer | null;
}

// Kinds are named from a map in memory (kindName), not by a join: one b-tree seek less a read.
const ENTRY_COLUMNS = 'e.idx AS idx, e.leaf_hash AS leaf_hash, e.kind AS kind_id, e.integrated_time AS integrated_time, e.body_at AS body_at, e.body_len AS body_len, e.entry_ts AS entry_ts';

/**
 * entryWithParts reads entries with their bodies in one statement, for reads of single entries
 * (one statement is one read transaction): a row per chunk the body spans (one or two for most
 * bodies), each carrying only the body's bytes of that chunk (substr of a blob is bytes), so no
 * more than the body is copied out of SQLite. C is the body chunk size.
 */
const entryWithParts = (c: number, where: string) =>
  `SELECT ${ENTRY_COLUMNS}, ch.n AS n,
     substr(ch.data, max(e.body_at - ch.n * ${c}, 0) + 1, min(e.body_at + e.body_len - ch.n * ${c}, ${c}) - max(e.body_at - ch.n * ${c}, 0)) AS part
   FROM entries e LEFT JOIN body_chunks ch ON ch.n >= e.body_at / ${c} AND ch.n <= (e.body_at + e.body_len - 1) / ${c}
   WHERE ${where} ORDER BY e.idx, ch.n`;

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

function entryOf(r: RawEntry, kind: string, body: Uint8Array): EntryRow {
  const e: EntryRow = { index: r.idx, leafHash: r.leaf_hash, body, kind, integratedTime: r.integrated_time };
  if (r.entry_ts) e.entryTimestamp = r.entry_ts;
  return e;
}

function checkpointOf(r: RawCheckpoint): CheckpointRow {
  return { size: r.size, rootHash: r.root_hash, signedAt: r.signed_at, c2sp: r.c2sp, rekor: r.rekor };
}

/** Tables reads cairn.db's rows through statements prepared once on one connection. */
export class Tables {
  private readonly s;
  /** Reads bodies from the body stream (body-stream.ts). */
  readonly bodies: BodyReader;
  /** Kind names by number (table kinds: a few rows, only ever added to). */
  private kinds = new Map<number, string>();

  constructor(private readonly db: Db) {
    this.bodies = new BodyReader(db, chunkSizeOf(db));
    const c = this.bodies.c;
    this.s = {
      meta: db.prepare<[string], string>('SELECT value FROM meta WHERE key = ?').pluck(),
      entry: db.prepare<[number], RawEntryPart>(entryWithParts(c, 'e.idx = ?')),
      entries: db.prepare<[number, number], RawEntry>(`SELECT ${ENTRY_COLUMNS} FROM entries e WHERE e.idx >= ? AND e.idx < ? ORDER BY e.idx`),
      entriesAt: db.prepare<number[], RawEntryPart>(entryWithParts(c, `e.idx IN (${Array(ENTRIES_AT).fill('?').join(',')})`)),
      kinds: db.prepare<[], { id: number; name: string }>('SELECT id, name FROM kinds'),
      count: db.prepare<[], number>('SELECT COALESCE(MAX(idx) + 1, 0) FROM entries').pluck(),
      latest: db.prepare<[], RawCheckpoint>('SELECT * FROM checkpoints ORDER BY size DESC LIMIT 1'),
      checkpointAt: db.prepare<[number], RawCheckpoint>('SELECT * FROM checkpoints WHERE size = ?'),
      checkpoints: db.prepare<[], RawCheckpoint>('SELECT * FROM checkpoints ORDER BY size'),
      tile: db.prepare<[number, number], Buffer>('SELECT hashes FROM tiles WHERE level = ? AND idx = ?').pluck(),
      cosignatures: db.prepare<[], Cosignature>('SELECT witness, size, checkpoint, lines FROM witness_cosignatures'),
      keys: db.prepare<[number, number], KeysRow & { idx: number }>(`SELECT e.idx AS idx, ${ENTRY_KEYS_COLUMNS} FROM ${ENTRY_KEYS_FROM} WHERE e.idx >= ? AND e.idx < ?`),
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
    const out: EntryRow[] = [];
    this.assemble(this.s.entry.all(index), out);
    return out[0];
  }

  entries(start: number, end: number): EntryRow[] {
    const rows = this.s.entries.all(start, end);
    // Consecutive entries: their bodies are one span of the stream, read in one statement.
    const bodies = this.bodies.readAll(rows.map((r) => [r.body_at, r.body_len] as const));
    return rows.map((r, i) => entryOf(r, this.kindName(r.kind_id), bodies[i]));
  }

  /** entriesAt returns the entries at these distinct indexes (32 a statement), in no set order; missing ones are left out. */
  entriesAt(indexes: readonly number[]): EntryRow[] {
    const out: EntryRow[] = [];
    const args: number[] = new Array(ENTRIES_AT);
    for (let i = 0; i < indexes.length; i += ENTRIES_AT) {
      for (let j = 0; j < ENTRIES_AT; j++) args[j] = i + j < indexes.length ? indexes[i + j] : -1;
      this.assemble(this.s.entriesAt.all(...args), out);
    }
    return out;
  }

  /** assemble turns entryWithParts rows (ordered by index, then chunk) into entries. */
  private assemble(rows: RawEntryPart[], out: EntryRow[]): void {
    const c = this.bodies.c;
    for (let i = 0; i < rows.length; ) {
      const r = rows[i];
      let j = i + 1;
      while (j < rows.length && rows[j].idx === r.idx) j++;
      let body: Uint8Array;
      if (r.body_len === 0) body = new Uint8Array(0);
      else if (j === i + 1 && r.part !== null && r.part.length === r.body_len) body = r.part;
      else {
        // Spans chunks: every chunk from the first must be there, their parts adding up to the body.
        const first = Math.floor(r.body_at / c);
        const parts = rows.slice(i, j);
        if (parts.some((p, k) => p.n !== first + k || p.part === null) || parts.reduce((n, p) => n + (p.part?.length ?? 0), 0) !== r.body_len) {
          throw Object.assign(new Error(`entry ${r.idx}: body chunks from ${first} missing or short`), { code: 'SQLITE_CORRUPT' });
        }
        body = Buffer.concat(parts.map((p) => p.part!));
      }
      out.push(entryOf(r, this.kindName(r.kind_id), body));
      i = j;
    }
  }

  /** kindName names kind number id, reading kinds again for one added since (a missing one is damage). */
  private kindName(id: number): string {
    let name = this.kinds.get(id);
    if (name === undefined) {
      this.kinds = new Map(this.s.kinds.all().map((k) => [k.id, k.name]));
      name = this.kinds.get(id);
      if (name === undefined) throw Object.assign(new Error(`kind ${id} is not in table kinds`), { code: 'SQLITE_CORRUPT' });
    }
    return name;
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
    for (const r of this.s.keys.all(start, end)) out[r.idx - start] = keysOf(r, this.bodies);
    return out;
  }

  cosignatures(): Cosignature[] {
    return this.s.cosignatures.all();
  }
}
