/**
 * TableReads answers the committed-data reads of the storage contract straight from cairn.db's
 * tables; the SQLite driver and its read-only follower (sqlite-reader.ts) both read this way.
 */
import type { CheckpointRow, Cosignature, EntryRow, LogIdentity } from './contract.js';
import type { Tables } from './tables.js';

export abstract class TableReads {
  protected constructor(protected readonly tables: Tables) {}

  identity(): LogIdentity | undefined {
    return this.tables.identity();
  }

  latest(): CheckpointRow | undefined {
    return this.tables.latest();
  }

  checkpointAt(size: number): CheckpointRow | undefined {
    return this.tables.checkpointAt(size);
  }

  count(): number {
    return this.tables.count();
  }

  entry(index: number): EntryRow | undefined {
    return this.tables.entry(index);
  }

  entries(start: number, end: number): EntryRow[] {
    return this.tables.entries(start, end);
  }

  entriesAt(indexes: readonly number[]): EntryRow[] {
    return this.tables.entriesAt(indexes);
  }

  tile(level: number, index: number): Uint8Array | undefined {
    return this.tables.tile(level, index);
  }

  cosignatures(): Cosignature[] {
    return this.tables.cosignatures();
  }
}
