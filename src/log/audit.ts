import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import { HASH_SIZE, TILE_WIDTH, integrate, leafHash, rootHash } from '../merkle/index.js';
import { openNote, rekorVerifier, c2spVerifier } from '../note/index.js';
import { DB_FILE, openPostgresSnapshot, openSnapshot, sqliteDamage, type LogSnapshot, type PostgresPlace } from '../storage/index.js';
import { TileCache } from './tile-cache.js';

export interface AuditReport {
  size: number;
  checkpointsChecked: number;
  /** The first problem found, naming the index, tile or size; undefined when all is well. */
  problem?: string;
}

const CHUNK = 4096;

/**
 * auditDatabase re-derives the whole log from its stored bodies: every leaf hash, every tile
 * byte, the leaf-hash index, the root of every signed checkpoint and each checkpoint's signatures. It stops at the
 * first mismatch and names it. Reads only; safe on a copy or beside a running server (WAL).
 */
export function auditDatabase(dataDir: string, onProgress?: (done: number, total: number) => void): AuditReport {
  const path = join(dataDir, DB_FILE);
  if (!existsSync(path)) throw new CairnError('CONFIG', `no Cairn database at ${path}`);
  let snap: LogSnapshot;
  try {
    // One snapshot: consistent even while a server appends.
    snap = openSnapshot(dataDir);
  } catch (e) {
    if ((e as CairnError).code === 'CORRUPT') return { size: 0, checkpointsChecked: 0, problem: (e as Error).message };
    throw e;
  }
  try {
    return auditSnapshot(snap, onProgress);
  } catch (e) {
    const bad = sqliteDamage(e);
    if (bad) return { size: 0, checkpointsChecked: 0, problem: bad };
    throw e;
  } finally {
    snap.close();
  }
}

/**
 * auditPostgres audits a PostgreSQL log the same way, over one snapshot of it (read at one commit,
 * so a running cluster may keep appending).
 */
export async function auditPostgres(place: PostgresPlace, onProgress?: (done: number, total: number) => void): Promise<AuditReport> {
  const snap = await openPostgresSnapshot(place);
  try {
    return auditSnapshot(snap, onProgress);
  } finally {
    snap.close();
  }
}

/** auditSnapshot checks one snapshot of a log, whatever its driver (see auditDatabase). */
export function auditSnapshot(snap: LogSnapshot, onProgress?: (done: number, total: number) => void): AuditReport {
  // The storage's own structural check first: it also covers pages the rebuild below never reads.
  const damage = snap.damage();
  if (damage) return { size: 0, checkpointsChecked: 0, problem: damage };
  const tiles = new TileCache((l, i) => snap.tile(l, i), 64);
  const latest = snap.latest();
  if (!latest) return { size: 0, checkpointsChecked: 0, problem: 'no checkpoint stored' };
  const size = latest.size;
  const report = (problem: string): AuditReport => ({ size, checkpointsChecked: 0, problem });

  const count = snap.count();
  if (count !== size) return report(`database holds ${count} entries but the latest checkpoint is for size ${size}`);

  // Rebuild every tile from the bodies, comparing each tile once it reaches its final content.
  const edge = new Map<string, Uint8Array>();
  for (let start = 0; start < size; start += CHUNK) {
    const rows = snap.entries(start, Math.min(start + CHUNK, size));
    const hashes: Uint8Array[] = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (r.index !== start + i) return report(`entry ${start + i} is missing`);
      const h = leafHash(r.body);
      if (!Buffer.from(h).equals(Buffer.from(r.leafHash))) {
        return report(`entry ${r.index}: stored body does not hash to its leaf hash`);
      }
      hashes.push(h);
    }
    for (const u of integrate(start, hashes, (l, i) => edge.get(`${l}/${i}`))) {
      const k = `${u.level}/${u.index}`;
      if (u.data.length === TILE_WIDTH * HASH_SIZE) {
        edge.delete(k);
        const bad = compareTile(tiles, u.level, u.index, u.data);
        if (bad) return report(bad);
      } else {
        edge.set(k, u.data);
      }
    }
    onProgress?.(start + rows.length, size);
  }
  for (const [k, data] of edge) {
    const [l, i] = k.split('/').map(Number);
    const bad = compareTile(tiles, l, i, data);
    if (bad) return report(bad);
  }

  // Every checkpoint: its root must be the tree's root at its size, and its signatures valid.
  const { origin, publicKeyPem: pem } = snap.identity()!;
  const verifiers = { c2sp: [c2spVerifier(origin, pem)], rekor: [rekorVerifier(origin, pem)] };
  let checked = 0;
  for (const cp of snap.checkpoints()) {
    const root = rootHash(cp.size, tiles.readNodes);
    if (!Buffer.from(root).equals(cp.rootHash)) return { size, checkpointsChecked: checked, problem: `checkpoint at size ${cp.size}: root does not match the tree` };
    for (const [name, note] of [['c2sp', cp.c2sp], ['rekor', cp.rekor]] as const) {
      try {
        const opened = openNote(note, verifiers[name]);
        if (!opened.text.includes(`\n${cp.size}\n${Buffer.from(root).toString('base64')}\n`)) throw new Error('body does not match');
      } catch (e) {
        return { size, checkpointsChecked: checked, problem: `checkpoint at size ${cp.size}: ${name} note does not verify (${(e as Error).message})` };
      }
    }
    checked++;
  }
  // Last: the leaf-hash index is derived data, so damage to the tree itself is named first.
  const badIndex = snap.indexProblem();
  if (badIndex) return { size, checkpointsChecked: checked, problem: badIndex };
  return { size, checkpointsChecked: checked };
}

/** compareTile names the first hash where the stored tile differs from the recomputed one. */
function compareTile(tiles: TileCache, level: number, index: number, want: Uint8Array): string | undefined {
  const got = tiles.get(level, index);
  if (!got) return `tile ${level}/${index} is missing`;
  const n = Math.max(got.length, want.length) / HASH_SIZE;
  for (let j = 0; j < n; j++) {
    const a = Buffer.from(got.subarray(j * HASH_SIZE, (j + 1) * HASH_SIZE));
    const b = Buffer.from(want.subarray(j * HASH_SIZE, (j + 1) * HASH_SIZE));
    if (!a.equals(b)) {
      const span = TILE_WIDTH ** level;
      const first = (index * TILE_WIDTH + j) * span;
      const where = level === 0 ? `entry ${first}` : `entries ${first}..${first + span - 1}`;
      return `tile ${level}/${index} differs at hash ${j} (${where})`;
    }
  }
  return undefined;
}
