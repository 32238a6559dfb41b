/**
 * Read-only snapshots of a SQLite log (contract.ts LogSnapshot): one read transaction on a
 * connection of their own, so every read answers from one commit while a server keeps writing
 * (WAL readers never block the writer). For export, backup and verify-db.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import type { CheckpointRow, Cosignature, EntryRow, LogIdentity, LogSnapshot } from './contract.js';
import { migrations, openDb, sqliteDamage, type Db } from './db.js';
import { auditKeyIndex } from './index-db.js';
import { DB_FILE, INDEX_FILE } from './sqlite.js';
import { Tables } from './tables.js';

/**
 * openSnapshot opens a read-only snapshot of the log in dataDir: CONFIG if there is no log there,
 * CORRUPT naming the damage if its file cannot be read as a database.
 */
export function openSnapshot(dataDir: string): LogSnapshot {
  const path = join(dataDir, DB_FILE);
  if (!existsSync(path)) throw new CairnError('CONFIG', `no log database at ${path} (check --data)`);
  let db: Db;
  try {
    db = openDb(path, { readonly: true });
    // A deferred transaction takes its snapshot at its first read: read now, so the snapshot is
    // the log as of this call, not of whenever the caller first looks.
    db.exec('BEGIN');
    db.prepare('SELECT COUNT(*) FROM sqlite_schema').get();
    // A snapshot never migrates (it only reads): a log of an older schema is read once a server has opened it.
    const version = db.pragma('user_version', { simple: true }) as number;
    const latest = migrations().at(-1)![0];
    if (version < latest && version > 0) {
      db.close();
      throw new CairnError('CONFIG', `${path} has schema version ${version}, older than this Cairn's ${latest}: start \`cairn serve\` on it once to migrate it`);
    }
    return new SqliteSnapshot(db, join(dataDir, INDEX_FILE));
  } catch (e) {
    const bad = sqliteDamage(e);
    if (bad) throw new CairnError('CORRUPT', bad);
    throw e;
  }
}

class SqliteSnapshot implements LogSnapshot {
  private readonly tables: Tables;

  constructor(
    private readonly db: Db,
    private readonly indexPath: string,
  ) {
    this.tables = new Tables(db);
  }

  identity(): LogIdentity | undefined {
    return this.tables.identity();
  }

  latest(): CheckpointRow | undefined {
    return this.tables.latest();
  }

  checkpoints(): Iterable<CheckpointRow> {
    return this.tables.checkpoints();
  }

  count(): number {
    return this.tables.count();
  }

  entries(start: number, end: number): EntryRow[] {
    return this.tables.entries(start, end);
  }

  tile(level: number, index: number): Uint8Array | undefined {
    return this.tables.tile(level, index);
  }

  keys(start: number, end: number): string[][] {
    return this.tables.keys(start, end);
  }

  cosignatures(): Cosignature[] {
    return this.tables.cosignatures();
  }

  damage(): string | undefined {
    // SQLite's own structural check: it also covers pages no read of the log's rows reaches.
    const qc = (this.db.pragma('quick_check(5)') as { quick_check: string }[]).map((r) => r.quick_check);
    if (qc.join() === 'ok') return undefined;
    // Name the table or index behind each "Tree <root page>" SQLite reports.
    const names = new Map(this.db.prepare<[], { name: string; rootpage: number }>('SELECT name, rootpage FROM sqlite_schema').all().map((r) => [String(r.rootpage), r.name]));
    const text = qc.join('; ').replace(/\n/g, '; ').replace(/Tree (\d+)/g, (m, p: string) => (names.has(p) ? `${m} (${names.get(p)})` : m));
    return `SQLite quick_check: ${text}`;
  }

  indexProblem(): string | undefined {
    return auditKeyIndex(this.db, this.indexPath);
  }

  async backup(path: string): Promise<void> {
    // Copy all remaining pages per step: one step is one read transaction, hence one snapshot. With
    // small steps a concurrent writer would restart the copy after every commit, forever under load.
    // (SQLite's backup reads through its own transaction, so this one is ended first.)
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    await this.db.backup(path, { progress: () => 0x7fffffff });
  }

  close(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.db.close();
  }
}
