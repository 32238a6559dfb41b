import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CairnError } from '../errors.js';
import { hasStoredSearchKeys } from '../kinds/index.js';
import { BODY_CHUNK_META, bodyChunkSize } from './body-stream.js';
import { derivedKeys } from './entry-keys.js';
import { EntryRows } from './entry-rows.js';

export type Db = Database.Database;

const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

export interface OpenDbOptions {
  /** 'FULL' (default) fsyncs the WAL at every commit, so an acknowledged entry survives power loss. */
  synchronous?: 'FULL' | 'NORMAL' | 'OFF';
  readonly?: boolean;
  /** Hears a long migration's progress (done of total rows), a chunk at a time. */
  onMigrate?: MigrateProgress;
}

/** MigrateProgress hears how far a migration step has got: what it does, rows done of total. */
export type MigrateProgress = (what: string, done: number, total: number) => void;

/** migrations returns the numbered schema files in order: [[version, sql], ...]. */
export function migrations(): [number, string][] {
  return readdirSync(SCHEMA_DIR)
    .filter((f) => /^\d{3}-.*\.sql$/.test(f))
    .sort()
    .map((f) => [Number(f.slice(0, 3)), readFileSync(SCHEMA_DIR + f, 'utf8')]);
}

/**
 * openDb opens (creating if needed) the SQLite database at path in WAL mode and applies any
 * schema migrations newer than PRAGMA user_version, each in its own transaction.
 */
export function openDb(path: string, opts: OpenDbOptions = {}): Db {
  const db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
  }
  db.pragma('busy_timeout = 5000');
  // Bigger page cache than the 2 MB default: tiles and the leaf-hash index stay hot.
  db.pragma('cache_size = -65536');
  // Pages past that cache are read from a mapping of the file instead of a read() call a page:
  // random entry reads of a log larger than the cache cost ~25 % less (bench/README.md, "Ninth
  // session"). Only reads: SQLite still writes with write(), and the WAL is read as before.
  db.pragma('mmap_size = 1073741824');
  if (!opts.readonly) {
    try {
      migrate(db, opts.onMigrate);
    } catch (e) {
      db.close();
      throw e;
    }
  }
  return db;
}

/**
 * Migration steps SQL cannot do, run after their version's SQL file, in chunks of their own
 * transactions (so a long one shows progress and keeps the WAL small); user_version moves only
 * once the step is done, so one cut short starts over and must be safe to repeat.
 */
const STEPS: Record<number, (db: Db, progress?: MigrateProgress) => void> = {
  6: dropDerivableKeys,
  7: chunkBodies,
};

function migrate(db: Db, progress?: MigrateProgress): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const all = migrations();
  const latest = all.length ? all[all.length - 1][0] : 0;
  if (current > latest) {
    throw new CairnError('CONFIG', `database schema version ${current} is newer than this Cairn (${latest}); upgrade Cairn`);
  }
  for (const [version, sql] of all) {
    if (version <= current) continue;
    const step = STEPS[version];
    db.transaction(() => {
      db.exec(sql);
      if (!step) db.pragma(`user_version = ${version}`);
    })();
    if (step) {
      step(db, progress);
      db.pragma(`user_version = ${version}`);
    }
  }
}

/** Rows one transaction of dropDerivableKeys reads. */
const DROP_CHUNK = 8192;

/**
 * dropDerivableKeys (migration 006) deletes the entry_keys rows that an entry's body gives back
 * (entry-keys.ts), as the writer no longer stores them: the same keys, in any order (migration
 * 004 stored them sorted). Rows of other kinds, and rows with other keys, stay.
 */
function dropDerivableKeys(db: Db, progress?: MigrateProgress): void {
  const total = db.prepare<[], number>('SELECT COUNT(*) FROM entry_keys').pluck().get()!;
  const rows = db.prepare<[number, number], { idx: number; keys: string; kind: string; body: Buffer }>(
    'SELECT s.idx AS idx, s.keys AS keys, e.kind AS kind, e.body AS body FROM entry_keys s JOIN entries e ON e.idx = s.idx WHERE s.idx > ? ORDER BY s.idx LIMIT ?',
  );
  const del = db.prepare<[number]>('DELETE FROM entry_keys WHERE idx = ?');
  const chunk = db.transaction((after: number): [last: number, n: number] => {
    const got = rows.all(after, DROP_CHUNK);
    for (const r of got) {
      if (!hasStoredSearchKeys(r.kind)) continue;
      const stored = JSON.parse(r.keys) as string[];
      if (sameKeys(stored, derivedKeys(r.kind, r.body))) del.run(r.idx);
    }
    return [got.length ? got[got.length - 1].idx : after, got.length];
  });
  let done = 0;
  for (let after = -1; ; ) {
    const [last, n] = chunk(after);
    if (n === 0) break;
    done += n;
    after = last;
    progress?.('dropping search keys the entries give back', done, total);
  }
}

/** Schema 7's tables (schema/007-body-chunks.sql), entries first under a name of its own while the old table empties. */
const SCHEMA_7 = `
  CREATE TABLE IF NOT EXISTS kinds (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
  ) STRICT;
  CREATE TABLE IF NOT EXISTS body_chunks (
    n    INTEGER PRIMARY KEY,
    data BLOB NOT NULL
  ) STRICT;
  CREATE TABLE IF NOT EXISTS entries_v7 (
    idx             INTEGER PRIMARY KEY,
    leaf_hash       BLOB NOT NULL,
    kind            INTEGER NOT NULL,
    integrated_time INTEGER NOT NULL,
    body_at         INTEGER NOT NULL,
    body_len        INTEGER NOT NULL,
    entry_ts        BLOB
  ) STRICT;`;

/**
 * chunkBodies (migration 007) moves every entry into schema 7's layout, DROP_CHUNK entries a
 * transaction, in index order: each transaction appends their bodies to the stream, writes their
 * new rows and deletes their old ones, so the file grows by at most a chunk's worth (freed pages
 * are reused; VACUUM returns the rest to the file system). Cut short, it resumes where it
 * stopped. The last transaction swaps the tables and sets user_version itself, so a kill just
 * after it cannot run the step again on the new layout.
 */
function chunkBodies(db: Db, progress?: MigrateProgress): void {
  db.transaction(() => {
    db.exec(SCHEMA_7);
    const c = bodyChunkSize(db.pragma('page_size', { simple: true }) as number);
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(BODY_CHUNK_META, String(c));
  })();
  const rows = new EntryRows(db, 'entries_v7');
  const old = db.prepare<[number], { idx: number; leaf_hash: Buffer; body: Buffer; kind: string; integrated_time: number; entry_ts: Buffer | null }>(
    'SELECT idx, leaf_hash, body, kind, integrated_time, entry_ts FROM entries ORDER BY idx LIMIT ?',
  );
  const del = db.prepare<[number]>('DELETE FROM entries WHERE idx <= ?');
  const chunk = db.transaction((): number => {
    const got = old.all(DROP_CHUNK);
    for (const r of got) rows.put(r.idx, r.leaf_hash, r.body, r.kind, r.integrated_time, r.entry_ts);
    rows.flush();
    if (got.length) del.run(got[got.length - 1].idx);
    return got.length;
  });
  // Rows moved by an earlier run cut short, and rows still to move.
  let done = db.prepare<[], number>('SELECT COUNT(*) FROM entries_v7').pluck().get()!;
  const total = done + db.prepare<[], number>('SELECT COUNT(*) FROM entries').pluck().get()!;
  for (;;) {
    let n: number;
    try {
      n = chunk();
    } catch (e) {
      rows.reset();
      throw e;
    }
    if (n === 0) break;
    done += n;
    progress?.('moving bodies into page-sized chunks', done, total);
  }
  db.transaction(() => {
    db.exec('DROP TABLE entries; ALTER TABLE entries_v7 RENAME TO entries;');
    db.pragma('user_version = 7');
  })();
}

function sameKeys(a: string[], b: string[]): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  const x = [...a].sort();
  const y = [...b].sort();
  return x.every((k, i) => k === y[i]);
}

/** sqliteDamage describes an SQLite error that means the file itself is damaged, else undefined. */
export function sqliteDamage(e: unknown): string | undefined {
  const code = (e as { code?: unknown }).code;
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') return `database file is damaged (${code}: ${(e as Error).message})`;
  return undefined;
}
