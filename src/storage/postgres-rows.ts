/** Rows of a PostgreSQL log as node-postgres returns them (bigint as string), and their contract types. */
import type { CheckpointRow, EntryRow } from './contract.js';

export interface RawEntry {
  idx: string;
  leaf_hash: Buffer;
  body: Buffer;
  kind: string;
  integrated_time: string;
  entry_ts: Buffer | null;
}

export interface RawCheckpoint {
  size: string;
  root_hash: Buffer;
  signed_at: string;
  c2sp: string;
  rekor: string;
}

export function entryOf(r: RawEntry): EntryRow {
  const e: EntryRow = { index: Number(r.idx), leafHash: r.leaf_hash, body: r.body, kind: r.kind, integratedTime: Number(r.integrated_time) };
  if (r.entry_ts) e.entryTimestamp = r.entry_ts;
  return e;
}

export function checkpointOf(r: RawCheckpoint): CheckpointRow {
  return { size: Number(r.size), rootHash: r.root_hash, signedAt: Number(r.signed_at), c2sp: r.c2sp, rekor: r.rekor };
}
