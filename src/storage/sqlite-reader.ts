/**
 * SqliteReader reads a log's cairn.db read-only, beside the process that writes it (the
 * primary of `cairn serve --workers`): a follower Log over it serves committed entries, tiles and
 * checkpoints. It takes no writer lock and starts no threads. Every batch commits its entries,
 * tiles and checkpoint in one transaction, so the latest checkpoint it reads is always covered
 * by rows it can read. Lookups by leaf hash and search key read index.db read-only and keep
 * their own tail of what index.db has not reached (FollowerKeys), up to the latest checkpoint
 * read: the same answers as the writer's for every committed entry.
 */
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import type { CheckpointRow, Cosignature, EntryRow, LogIdentity, StorageStats, SyncLogStorage } from './contract.js';
import { openDb, type Db } from './db.js';
import { FollowerKeys } from './key-index.js';
import { DB_FILE, INDEX_FILE } from './sqlite.js';
import { TableReads } from './table-reads.js';
import { Tables } from './tables.js';

export class SqliteReader extends TableReads implements SyncLogStorage {
  private keyIndex?: FollowerKeys;
  /** The size of the latest checkpoint read: lookups by leaf hash see entries below it. */
  private size = 0;

  private constructor(
    private readonly db: Db,
    private readonly indexPath: string,
  ) {
    super(new Tables(db));
  }

  /** open opens dataDir's cairn.db read-only (index.db on the first lookup); both must exist (the writer creates them). */
  static open(dataDir: string): SqliteReader {
    return new SqliteReader(openDb(join(dataDir, DB_FILE), { readonly: true }), join(dataDir, INDEX_FILE));
  }

  override latest(): CheckpointRow | undefined {
    const row = super.latest();
    if (row && row.size > this.size) this.size = row.size;
    return row;
  }

  leafIndex(leafHash: Uint8Array): number | undefined {
    const keys = this.keys();
    keys.catchUp(this.size);
    return keys.indexOf(leafHash);
  }

  search(key: string, limit: number, size: number): number[] {
    const keys = this.keys();
    keys.catchUp(size);
    return keys.search(key, limit, size);
  }

  private keys(): FollowerKeys {
    return (this.keyIndex ??= new FollowerKeys(this.db, this.indexPath));
  }

  problem(): string | undefined {
    return undefined;
  }
  stats(): StorageStats {
    return { bytes: 0, indexLag: 0 };
  }
  async close(): Promise<void> {
    this.keyIndex?.close();
    this.db.close();
  }

  // ---- What only the writer does or knows.
  create(): void {
    throw readOnly('create a log');
  }
  stage(): void {
    throw readOnly('stage entries');
  }
  unstage(): void {
    throw readOnly('unstage entries');
  }
  commit(): Promise<void> {
    return Promise.reject(readOnly('commit'));
  }
  resign(): Promise<boolean> {
    return Promise.reject(readOnly('sign checkpoints'));
  }
  backpressure(): undefined {
    return undefined;
  }
  saveCosignature(): Promise<void> {
    return Promise.reject(readOnly('save cosignatures'));
  }
  flushIndex(): Promise<void> {
    return Promise.resolve();
  }
}

function readOnly(what: string): Error {
  return new CairnError('UNAVAILABLE', `a read-only follower cannot ${what}: the writing process answers that`);
}
