/**
 * The SQLite driver of the storage contract (contract.ts). A data directory holds cairn.db (every
 * acknowledged row), index.db (lookups derived from it, see key-index.ts) and the writer lock.
 * Reads run on this thread's connection; every write of a running log goes through the log
 * writer's thread (writer.ts), so cairn.db has one writing connection; the WAL checkpointer runs
 * on a third.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { INLINE_CHECKPOINT_PAGES, WalCheckpointer } from './checkpointer.js';
import type { BatchWrite, CheckpointRow, Cosignature, EntryRow, LogIdentity, StorageStats, SyncLogStorage } from './contract.js';
import { openDb, type Db, type MigrateProgress } from './db.js';
import { KeyIndex } from './key-index.js';
import { lockDataDir, type WriterLock } from './lock.js';
import { TableReads } from './table-reads.js';
import { Tables } from './tables.js';
import { LogWriter } from './writer.js';

/** DB_FILE is the SQLite database's name inside the data directory. */
export const DB_FILE = 'cairn.db';
/** INDEX_FILE holds the leaf-hash and search-key indexes, derived from DB_FILE (see KeyIndex). */
export const INDEX_FILE = 'index.db';

export interface SqliteOptions {
  synchronous?: 'FULL' | 'NORMAL' | 'OFF';
  /** Tuning of the leaf-hash and search-key index (see KeyIndex): run sizes, and the tail kept in memory. */
  index?: { minRun?: number; maxRun?: number; maxTail?: number };
  /** Checkpoint the WAL on a worker thread instead of inside the writer's commits (default true). */
  walCheckpointer?: boolean;
  /** Hears failures of the background threads (a dead writer, a failed index run). */
  onError?: (e: unknown) => void;
  /** Hears a long schema migration's progress at open (db.ts). */
  onMigrate?: MigrateProgress;
}

/** SqliteStorage is the SQLite driver: one per open log, holding the data directory's writer lock. */
export class SqliteStorage extends TableReads implements SyncLogStorage {
  private readonly keys: KeyIndex;
  private readonly writer: LogWriter;
  private checkpointer?: WalCheckpointer;

  private constructor(
    private readonly db: Db,
    private readonly lock: WriterLock,
    /** The data directory this driver holds. */
    readonly dataDir: string,
    o: SqliteOptions,
  ) {
    super(new Tables(db));
    this.keys = KeyIndex.open({ logDb: db, logPath: join(dataDir, DB_FILE), indexPath: join(dataDir, INDEX_FILE), ...o.index, onError: o.onError }, this.tables.count());
    const checkpointer = o.walCheckpointer ?? true;
    try {
      this.writer = new LogWriter(join(dataDir, DB_FILE), this.tables.latest()?.size ?? 0, {
        synchronous: o.synchronous,
        // With the WAL checkpointer on, the committing connection checkpoints only past its limit.
        autocheckpointPages: checkpointer ? INLINE_CHECKPOINT_PAGES : 0,
      });
    } catch (e) {
      void this.keys.close();
      throw e;
    }
    this.writer.onDeath = (e) => o.onError?.(e);
    if (checkpointer) this.checkpointer = new WalCheckpointer(db, join(dataDir, DB_FILE));
  }

  /**
   * open takes the data directory's writer lock (one writer per log: a second would sequence from
   * a stale view of the tree), opens cairn.db applying its migrations, and starts the threads.
   */
  static open(dataDir: string, o: SqliteOptions = {}): SqliteStorage {
    const lock = lockDataDir(dataDir);
    let db: Db | undefined;
    try {
      db = openDb(join(dataDir, DB_FILE), { synchronous: o.synchronous, onMigrate: o.onMigrate });
      return new SqliteStorage(db, lock, dataDir, o);
    } catch (e) {
      db?.close();
      lock.release();
      throw e;
    }
  }


  create(id: LogIdentity, first: CheckpointRow): void {
    this.tables.create(id, first);
  }

  stage(index: number, leafHash: Uint8Array, keys: readonly string[]): void {
    this.keys.add(index, leafHash, keys);
  }

  unstage(size: number): void {
    this.keys.truncate(size);
  }

  async commit(b: BatchWrite): Promise<void> {
    await this.writer.write(b);
    this.keys.committed(b.checkpoint.size);
  }

  resign(c: CheckpointRow): Promise<boolean> {
    return this.writer.resign(c);
  }

  backpressure(): Promise<void> | undefined {
    // Memory stays bounded when the index worker falls behind: wait for its next run.
    return this.keys.tailSize >= this.keys.maxTail ? this.keys.progress() : undefined;
  }







  leafIndex(leafHash: Uint8Array): number | undefined {
    return this.keys.indexOf(leafHash);
  }

  search(key: string, limit: number, size: number): number[] {
    return this.keys.search(key, limit, size);
  }


  saveCosignature(c: Cosignature): Promise<void> {
    return this.writer.cosigned(c);
  }

  problem(): string | undefined {
    if (!this.db.open) return 'database is closed';
    // A write rolled back at once on the reading connection: fails with SQLITE_READONLY when
    // the database may not be written (e.g. query_only), at no cost to the log.
    try {
      this.db.exec('SAVEPOINT readyz');
      try {
        this.db.prepare("INSERT INTO meta (key, value) VALUES ('readyz-probe', '') ON CONFLICT (key) DO UPDATE SET value = excluded.value").run();
      } finally {
        this.db.exec('ROLLBACK TO readyz; RELEASE readyz');
      }
    } catch (e) {
      return `not writable: ${(e as Error).message}`;
    }
    const files = filesWritable(this.db.name);
    return files && `not writable: ${files}`;
  }

  stats(): StorageStats {
    return { bytes: fileSize(this.db.name) + fileSize(this.db.name + '-wal'), indexLag: this.keys.tailSize };
  }

  flushIndex(size: number): Promise<void> {
    return this.keys.flush(size);
  }

  /** indexState reports how far index.db has caught up and how many entries memory holds (tests). */
  get indexState(): { indexed: number; tail: number } {
    return { indexed: this.keys.indexedSize, tail: this.keys.tailSize };
  }

  /**
   * pragma runs a PRAGMA on the reading connection, then on the writer's, and returns the
   * reading connection's simple value: fault injection in tests (a full disk, a read-only file).
   */
  async pragma(p: string): Promise<unknown> {
    const v = this.db.pragma(p, { simple: true });
    await this.writer.pragma(p);
    return v;
  }

  /**
   * abandon gives the log up at once after a failed open (nothing was written through the
   * writer): the lock is free when it returns, and the threads stop in the background.
   */
  abandon(): void {
    void this.writer.close();
    void this.keys.close();
    void this.checkpointer?.stop();
    if (this.db.open) this.db.close();
    this.lock.release();
  }

  async close(): Promise<void> {
    await this.writer.close();
    await this.keys.close();
    await this.checkpointer?.stop();
    if (this.db.open) this.db.close();
    this.lock.release();
  }
}

/**
 * filesWritable returns why the database's files or directory could not be opened for writing
 * now. The log's connections keep the descriptors they opened, so a chmod or chown after start
 * does not stop their writes, but it would stop the next start: report it now. access(2) answers
 * for the current permissions and read-only mounts.
 */
function filesWritable(dbPath: string): string | undefined {
  for (const p of [dbPath, dbPath + '-wal', dbPath + '-shm', dirname(dbPath)]) {
    try {
      if (p === dbPath || existsSync(p)) accessSync(p, constants.W_OK);
    } catch (e) {
      return `${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
  }
  return undefined;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
