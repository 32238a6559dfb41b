/**
 * SqliteReader reads a log's cairn.db read-only, beside the process that writes it (the
 * primary of `cairn serve --workers`): a follower Log over it serves committed entries, tiles and
 * checkpoints. It takes no writer lock and starts no threads. Every batch commits its entries,
 * tiles and checkpoint in one transaction, so the latest checkpoint it reads is always covered
 * by rows it can read. Lookups by leaf hash and search key are not offered: the writer's newest
 * keys are still in its memory (the index tail), so those requests go to the writer.
 */
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import type { CheckpointRow, Cosignature, EntryRow, LogIdentity, StorageStats, SyncLogStorage } from './contract.js';
import { openDb, type Db } from './db.js';
import { DB_FILE } from './sqlite.js';
import { TableReads } from './table-reads.js';
import { Tables } from './tables.js';

export class SqliteReader extends TableReads implements SyncLogStorage {
  private constructor(private readonly db: Db) {
    super(new Tables(db));
  }

  /** open opens dataDir's cairn.db read-only; it must exist (the writer creates it). */
  static open(dataDir: string): SqliteReader {
    return new SqliteReader(openDb(join(dataDir, DB_FILE), { readonly: true }));
  }

  problem(): string | undefined {
    return undefined;
  }
  stats(): StorageStats {
    return { bytes: 0, indexLag: 0 };
  }
  async close(): Promise<void> {
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
  leafIndex(): number | undefined {
    throw readOnly('look up leaf hashes');
  }
  search(): number[] {
    throw readOnly('search');
  }
}

function readOnly(what: string): Error {
  return new CairnError('UNAVAILABLE', `a read-only follower cannot ${what}: the writing process answers that`);
}
