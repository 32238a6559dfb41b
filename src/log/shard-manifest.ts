/**
 * The shard manifest: `shards.json` in the data directory lists a log's shards, oldest first, the
 * last one active. It is the commit point of a rotation (written whole to a temporary name,
 * fsynced, renamed, the directory fsynced): before the rename the old shard is still the active
 * one, after it the new one is. A data directory without it is one log, today's layout: the
 * first shard lives in the data directory itself (migrated forward in place, nothing copied).
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileDurably } from '../durable-file.js';
import { join } from 'node:path';
import { CairnError } from '../errors.js';

/** SHARDS_FILE is the manifest's name inside the data directory. */
export const SHARDS_FILE = 'shards.json';
/** SHARDS_DIR holds the data of every shard after the first: SHARDS_DIR/<16-hex tree ID>/. */
export const SHARDS_DIR = 'shards';
/** SHARD_NAME is what a shard's name may be: its URL segment (/shards/<name>/) and origin suffix. */
export const SHARD_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** FrozenState is how a shard ended: when, and the size and root of its last signed checkpoint. */
export interface FrozenState {
  /** Unix ms. */
  at: number;
  size: number;
  /** Hex. */
  rootHash: string;
}

/** ShardRecord is one shard in the manifest. */
export interface ShardRecord {
  /** URL segment: the shard is served under /shards/<name>/. */
  name: string;
  /** Rekor tree ID, decimal (entry IDs carry it as 16 hex digits). */
  treeId: string;
  origin: string;
  /** Directory of its database and key, relative to the data directory; '' for the first shard. */
  dir: string;
  /** Its signing key file when not <dir>/log-key.pem (the first shard's: serve's --key). */
  keyFile?: string;
  /** When it began taking entries (Unix ms): the start of its validity window. */
  createdAt: number;
  /** Virtual log index of its first entry: the sizes of the shards before it. */
  indexOffset: number;
  frozen?: FrozenState;
}

export interface ShardManifest {
  version: 1;
  shards: ShardRecord[];
}

/** readManifest returns the data directory's shard manifest, or undefined when it has none (one log). */
export function readManifest(dataDir: string): ShardManifest | undefined {
  const path = join(dataDir, SHARDS_FILE);
  if (!existsSync(path)) return undefined;
  let m: ShardManifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as ShardManifest;
  } catch (e) {
    throw new CairnError('CORRUPT', `${path} is not valid JSON (${(e as Error).message})`);
  }
  const problem = manifestProblem(m);
  if (problem) throw new CairnError('CORRUPT', `${path}: ${problem}`);
  return m;
}

/** manifestProblem names the first way m is not a well-formed manifest, or returns undefined. */
export function manifestProblem(m: ShardManifest): string | undefined {
  if (m?.version !== 1 || !Array.isArray(m.shards) || m.shards.length === 0) return 'not a version 1 manifest with at least one shard';
  const seen = new Set<string>();
  let offset = 0;
  for (const [i, s] of m.shards.entries()) {
    if (typeof s.name !== 'string' || !SHARD_NAME.test(s.name)) return `shard ${i}: bad name`;
    if (typeof s.treeId !== 'string' || !/^[1-9][0-9]{0,18}$/.test(s.treeId) || BigInt(s.treeId) >= 1n << 63n) return `shard ${i}: bad tree ID`;
    if (typeof s.origin !== 'string' || s.origin === '' || typeof s.dir !== 'string' || !Number.isSafeInteger(s.createdAt)) return `shard ${i}: bad origin, dir or createdAt`;
    for (const [field, v] of Object.entries({ name: s.name, treeId: s.treeId, origin: s.origin, dir: s.dir })) {
      if (seen.has(`${field}=${v}`)) return `shard ${i}: ${field} ${v} is used twice`;
      seen.add(`${field}=${v}`);
    }
    if (s.indexOffset !== offset) return `shard ${s.name}: index offset ${s.indexOffset}, but the shards before it hold ${offset} entries`;
    const last = i === m.shards.length - 1;
    if (last !== (s.frozen === undefined)) return last ? `the last shard ${s.name} is frozen` : `shard ${s.name} is not frozen but is not the last`;
    if (s.frozen) {
      if (!Number.isSafeInteger(s.frozen.size) || s.frozen.size < 0 || !/^[0-9a-f]{64}$/.test(s.frozen.rootHash)) return `shard ${s.name}: bad frozen state`;
      offset += s.frozen.size;
    }
  }
  return undefined;
}

/** writeManifest replaces the manifest atomically and durably (temp, fsync, rename, fsync of the directory). */
export function writeManifest(dataDir: string, m: ShardManifest): void {
  const problem = manifestProblem(m);
  if (problem) throw new Error(`shards: refusing to write a bad manifest: ${problem}`);
  // The manifest is the rotation's commit point: the directory is synced so the rename is durable.
  writeFileDurably(join(dataDir, SHARDS_FILE), JSON.stringify(m, null, 2) + '\n', { syncDir: true });
}

/** treeIdHex returns a decimal tree ID as the zero-padded 16-digit hex of Rekor entry IDs. */
export function treeIdHex(treeId: string): string {
  return BigInt(treeId).toString(16).padStart(16, '0');
}
