import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CairnError } from '../errors.js';
import { hasStoredSearchKeys } from '../kinds/index.js';
import { derivedKeys } from './entry-keys.js';

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
