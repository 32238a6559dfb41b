import type { Db } from './db.js';
import { CHECKPOINT_INSERT_SQL } from './statements.js';

/** CheckpointRow is one checkpoint the log signed. */
export interface CheckpointRow {
  size: number;
  rootHash: Uint8Array;
  signedAt: number;
  c2sp: string;
  rekor: string;
}

interface RawRow {
  size: number;
  root_hash: Buffer;
  signed_at: number;
  c2sp: string;
  rekor: string;
}

function fromRaw(r: RawRow): CheckpointRow {
  return { size: r.size, rootHash: r.root_hash, signedAt: r.signed_at, c2sp: r.c2sp, rekor: r.rekor };
}

/**
 * CheckpointStore records every checkpoint the log signs. put MUST refuse a different root for a
 * size already signed: that would be equivocation, and the table's primary key makes the
 * enclosing transaction fail before anything signed is released.
 */
export class CheckpointStore {
  private readonly insertStmt;
  private readonly resignStmt;
  private readonly latestStmt;
  private readonly bySizeStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(CHECKPOINT_INSERT_SQL);
    // A heartbeat re-signs the same size and root: only the signatures and time change.
    this.resignStmt = db.prepare('UPDATE checkpoints SET signed_at = ?, c2sp = ?, rekor = ? WHERE size = ? AND root_hash = ?');
    this.latestStmt = db.prepare<[], RawRow>('SELECT * FROM checkpoints ORDER BY size DESC LIMIT 1');
    this.bySizeStmt = db.prepare<[number], RawRow>('SELECT * FROM checkpoints WHERE size = ?');
  }

  /** put stores a newly signed checkpoint; throws if this size was signed before (with any root). */
  put(c: CheckpointRow): void {
    this.insertStmt.run(c.size, c.rootHash, c.signedAt, c.c2sp, c.rekor);
  }

  /** resign replaces the signatures of an existing checkpoint with the same size AND root; returns false if none matched. */
  resign(c: CheckpointRow): boolean {
    return this.resignStmt.run(c.signedAt, c.c2sp, c.rekor, c.size, c.rootHash).changes === 1;
  }

  latest(): CheckpointRow | undefined {
    const r = this.latestStmt.get();
    return r && fromRaw(r);
  }

  bySize(size: number): CheckpointRow | undefined {
    const r = this.bySizeStmt.get(size);
    return r && fromRaw(r);
  }
}
