/**
 * index.db, the derived index of leaf hashes and search keys (see key-index.ts): opening (and
 * rebuilding) it, and the one definition of a merge run, which the index worker runs as the log
 * grows and KeyIndex runs at start to catch up a long tail.
 */
import Database from 'better-sqlite3';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hasStoredSearchKeys } from '../kinds/index.js';
import type { BodyReader } from './body-stream.js';
import type { Db } from './db.js';
import { derivedKeys } from './entry-keys.js';
import { keyHash } from './key-hash.js';
import { leafPrefix } from './leaf-prefix.js';

const schemaFile = (name: string) => readFileSync(fileURLToPath(new URL(`../../schema/index/${name}`, import.meta.url)), 'utf8');
const INDEX_SCHEMA = schemaFile('003-index.sql');
/** Version 2 → 3 in place: leaf_index to prefixes (the search keys, their salt and the progress stay). */
const MIGRATE_V2 = schemaFile('migrate-003.sql');
/**
 * index.db's format version (PRAGMA user_version): 2 → 3 (leaf hashes as 6-byte prefixes) is
 * migrated in place; a file of any other version is rebuilt (1 → 2: hashed search keys).
 */
const INDEX_VERSION = 3;

// Run on a connection to index.db with the log's database attached as "log". Sorted inserts: the
// run's keys go into each b-tree in order, so every touched page is written once.
const MERGE_SQL = {
  leaves: 'INSERT INTO leaf_index (p, idx) SELECT leaf_prefix(leaf_hash), idx FROM log.entries WHERE idx >= ? AND idx < ? ORDER BY 1, 2',
  // An entry's keys: its entry_keys row, or derived from its body (entry-keys.ts; the body is read
  // only for an entry without a row).
  keys: `INSERT OR IGNORE INTO index_keys (h, idx) SELECT key_hash(k.value), e.idx
    FROM log.entries e JOIN log.kinds kd ON kd.id = e.kind LEFT JOIN log.entry_keys s ON s.idx = e.idx,
      json_each(CASE WHEN s.keys IS NULL THEN derived_keys(kd.name, e.body_at, e.body_len) ELSE s.keys END) k
    WHERE e.idx >= ? AND e.idx < ? ORDER BY 1, 2`,
  progress: 'UPDATE progress SET indexed_size = ? WHERE indexed_size = ?',
};

/**
 * mergeRun returns a function that indexes entries [from, to) in one transaction (from must be
 * the stored progress); idb must have the log's database attached as "log", and bodies must
 * read the log's body stream on another connection (a SQL function may not use the connection
 * running it). The index worker and KeyIndex's catch-up both run it; bench/index-runs.ts
 * measures what a run costs against its size.
 */
export function mergeRun(idb: Db, bodies: BodyReader): (from: number, to: number) => void {
  const salt = indexSalt(idb);
  idb.function('key_hash', { deterministic: true }, (key: unknown) => keyHash(salt, String(key)));
  defineLeafPrefix(idb);
  // The body is read only for an entry without a keys row, and only if its kind derives keys.
  idb.function('derived_keys', { deterministic: true }, (kind: unknown, at: unknown, len: unknown) =>
    hasStoredSearchKeys(String(kind)) ? JSON.stringify(derivedKeys(String(kind), bodies.read(Number(at), Number(len)))) : '[]',
  );
  const leaves = idb.prepare(MERGE_SQL.leaves);
  const keys = idb.prepare(MERGE_SQL.keys);
  const progress = idb.prepare(MERGE_SQL.progress);
  return idb.transaction((from: number, to: number) => {
    if (progress.run(to, from).changes !== 1) throw new Error(`key index: run from ${from} does not continue the stored progress`);
    leaves.run(from, to);
    keys.run(from, to);
  });
}

/** defineLeafPrefix gives SQL on idb the function leaf_prefix(leaf_hash) (leaf-prefix.ts). */
function defineLeafPrefix(idb: Db): void {
  idb.function('leaf_prefix', { deterministic: true }, (h: unknown) => leafPrefix(h as Uint8Array));
}

/**
 * leafCandidates returns a function giving the log indexes index.db files under a leaf hash's
 * prefix: the entry with that leaf hash, if index.db covers it, and any sharing its prefix. The
 * caller re-checks each against the entry's full leaf hash.
 */
export function leafCandidates(idb: Db): (leafHash: Uint8Array) => number[] {
  const stmt = idb.prepare<[number], number>('SELECT idx FROM leaf_index WHERE p = ?').pluck();
  return (leafHash) => stmt.all(leafPrefix(leafHash));
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
        if (version === 2) {
          defineLeafPrefix(db);
          db.transaction(() => {
            db.exec(MIGRATE_V2);
            db.pragma(`user_version = ${INDEX_VERSION}`);
          })();
        } else if (version !== INDEX_VERSION) throw new Error(`index.db version ${version}`);
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
    // Every indexed entry must have its (prefix, index) row; with the row count equal to the
    // entries covered, no row can be left over either.
    const find = idb.prepare<[number, number], number>('SELECT 1 FROM leaf_index WHERE p = ? AND idx = ?').pluck();
    for (const r of logDb.prepare<[number], { idx: number; leaf_hash: Buffer }>('SELECT idx, leaf_hash FROM entries WHERE idx < ? ORDER BY idx').iterate(indexed)) {
      if (find.get(leafPrefix(r.leaf_hash), r.idx) === undefined) return `entry ${r.idx} is not found by its leaf hash in index.db`;
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
