/**
 * index.db, the derived index of leaf hashes and search keys (see key-index.ts): opening (and
 * rebuilding) it, and the one definition of a merge run, which the index worker runs as the log
 * grows and KeyIndex runs at start to catch up a long tail.
 */
import Database from 'better-sqlite3';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';
import { derivedKeys } from './entry-keys.js';
import { keyHash } from './key-hash.js';

const INDEX_SCHEMA = readFileSync(fileURLToPath(new URL('../../schema/index/002-index.sql', import.meta.url)), 'utf8');
/** index.db's format version (PRAGMA user_version); a file of another version is rebuilt (version 1 → 2: hashed search keys). */
const INDEX_VERSION = 2;

// Run on a connection to index.db with the log's database attached as "log". Sorted inserts: the
// run's keys go into each b-tree in order, so every touched page is written once.
const MERGE_SQL = {
  leaves: 'INSERT INTO leaf_index (leaf_hash, idx) SELECT leaf_hash, idx FROM log.entries WHERE idx >= ? AND idx < ? ORDER BY leaf_hash',
  // An entry's keys: its entry_keys row, or derived from its body (entry-keys.ts; the body is read
  // only for an entry without a row).
  keys: `INSERT OR IGNORE INTO index_keys (h, idx) SELECT key_hash(k.value), e.idx
    FROM log.entries e LEFT JOIN log.entry_keys s ON s.idx = e.idx, json_each(CASE WHEN s.keys IS NULL THEN derived_keys(e.kind, e.body) ELSE s.keys END) k
    WHERE e.idx >= ? AND e.idx < ? ORDER BY 1, 2`,
  progress: 'UPDATE progress SET indexed_size = ? WHERE indexed_size = ?',
};

/**
 * mergeRun returns a function that indexes entries [from, to) in one transaction (from must be
 * the stored progress); idb must have the log's database attached as "log". The index worker
 * and KeyIndex's catch-up both run it; bench/index-runs.ts measures what a run costs against its size.
 */
export function mergeRun(idb: Db): (from: number, to: number) => void {
  const salt = indexSalt(idb);
  idb.function('key_hash', { deterministic: true }, (key: unknown) => keyHash(salt, String(key)));
  idb.function('derived_keys', { deterministic: true }, (kind: unknown, body: unknown) => JSON.stringify(derivedKeys(String(kind), body as Uint8Array)));
  const leaves = idb.prepare(MERGE_SQL.leaves);
  const keys = idb.prepare(MERGE_SQL.keys);
  const progress = idb.prepare(MERGE_SQL.progress);
  return idb.transaction((from: number, to: number) => {
    if (progress.run(to, from).changes !== 1) throw new Error(`key index: run from ${from} does not continue the stored progress`);
    leaves.run(from, to);
    keys.run(from, to);
  });
}

/** indexSalt is the salt of index.db's search-key hashes (keyHash), fixed when the file was made. */
export function indexSalt(idb: Db): Buffer {
  return idb.prepare<[], Buffer>('SELECT salt FROM progress').pluck().get()!;
}

/**
 * connectIndexDb opens a connection to index.db as the index worker and KeyIndex both use it.
 * index.db is derived data, so synchronous=NORMAL: a power cut can only roll its progress back,
 * never tear it. A 64 MiB cache: each run (and a catch-up at start) rewrites index pages.
 */
export function connectIndexDb(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  return db;
}

/** openIndexDb opens index.db, creating it, or recreating it if it is damaged or of another version. */
export function openIndexDb(path: string): Db {
  for (let attempt = 0; ; attempt++) {
    try {
      const db = connectIndexDb(path);
      try {
        const version = db.pragma('user_version', { simple: true }) as number;
        if (version === 0 && !db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'progress'").get()) {
          db.transaction(() => {
            db.exec(INDEX_SCHEMA);
            db.pragma(`user_version = ${INDEX_VERSION}`);
          })();
          return db;
        }
        if (version !== INDEX_VERSION) throw new Error(`index.db version ${version}`);
        const qc = db.pragma('quick_check(1)', { simple: true });
        if (qc !== 'ok') throw new Error(`index.db: ${String(qc)}`);
        return db;
      } catch (e) {
        db.close();
        throw e;
      }
    } catch (e) {
      // Derived data: never worth refusing to start over. Start it afresh (once).
      if (attempt > 0) throw e;
      rmIndexDb(path);
    }
  }
}

export function rmIndexDb(path: string): void {
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) rmSync(f);
}

/**
 * auditKeyIndex names the first way index.db disagrees with the entries it claims to cover, or
 * returns undefined (also when there is no index.db: it is built at start). For verify-db: a
 * lookup by UUID or a duplicate check would otherwise go wrong silently.
 */
export function auditKeyIndex(logDb: Db, indexPath: string): string | undefined {
  if (!existsSync(indexPath)) return undefined;
  const idb = new Database(indexPath, { readonly: true, fileMustExist: true });
  // Random lookups over the whole index: a page cache that can hold it (allocated only as used).
  idb.pragma('cache_size = -262144');
  try {
    const indexed = idb.prepare<[], number>('SELECT indexed_size FROM progress').pluck().get() ?? 0;
    const find = idb.prepare<[Uint8Array], number>('SELECT idx FROM leaf_index WHERE leaf_hash = ?').pluck();
    for (const r of logDb.prepare<[number], { idx: number; leaf_hash: Buffer }>('SELECT idx, leaf_hash FROM entries WHERE idx < ? ORDER BY idx').iterate(indexed)) {
      if (find.get(r.leaf_hash) !== r.idx) return `entry ${r.idx} is not found by its leaf hash in index.db`;
    }
    const rows = idb.prepare<[], number>('SELECT COUNT(*) FROM leaf_index').pluck().get()!;
    if (rows !== indexed) return `index.db's leaf index holds ${rows} rows for ${indexed} indexed entries`;
    return undefined;
  } catch (e) {
    return `index.db is unreadable (${(e as Error).message}); delete it and it is rebuilt at start`;
  } finally {
    idb.close();
  }
}
