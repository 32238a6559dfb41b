/**
 * Opening a log: the data directory, the signing key, the storage driver (which applies its
 * migrations), the identity binding and the start-up check. What passes is handed to Log, the
 * running service; what fails is closed again and reported. The binding and the check are
 * written once (as Steps) for both the synchronous SQLite open and a driver opened elsewhere.
 */
import { mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { CairnError } from '../errors.js';
import { EMPTY_ROOT, bytesEqual, leafHash, rootHash } from '../merkle/index.js';
import { c2spVerifier, openCheckpoint, rekorVerifier, type LogKey } from '../note/index.js';
import { SqliteStorage, sqliteDamage, type CheckpointRow, type LogStorage, type MigrateProgress } from '../storage/index.js';
import { drive, isPromise, wait, type Awaitable, type Steps } from './awaitable.js';
import { loadOrCreateKey, type KeyType } from './keyfile.js';
import type { BatchStats } from './sequencer.js';
import { CheckpointSigner } from './signer.js';
import { TileCache } from './tile-cache.js';

/** ServiceConfig is what the running service takes, whatever the driver. */
export interface ServiceConfig {
  /** Checkpoint origin and signature name, e.g. "log.example.com/cairn". Fixed at creation. */
  origin: string;
  maxBatch?: number;
  maxQueue?: number;
  /** Re-sign an idle log's checkpoint this often (ms); 0 disables. */
  heartbeatMs?: number;
  /** Tiles kept expanded in memory (each ~16 KiB). */
  tileCacheSize?: number;
  /** Clock in Unix milliseconds. */
  now?: () => number;
  onBatch?: (s: BatchStats) => void;
  onError?: (e: unknown) => void;
  /** Called after each index lookup with its duration in milliseconds (metrics). */
  onSearch?: (ms: number) => void;
  /** Tree ID a new log is created with (a shard set picks it); default random. Ignored for an existing log. */
  treeId?: string;
  /**
   * Virtual log index of this log's first entry: the entries of the frozen shards before it
   * (shards.ts). Rekor's SETs and logIndex fields carry the virtual index. Default 0.
   */
  indexOffset?: number;
  /** A frozen shard: opened for reads only; appends are refused, nothing is re-signed. */
  frozen?: boolean;
  /**
   * A read-only follower of a log another process writes (serve --workers): the start-up check
   * leaves the leaf-hash probe to the writing process, whose key index it is (the follower's
   * lookups read index.db and load their own tail of newer entries only when first asked).
   */
  readOnly?: boolean;
}

/** LogConfig is a log in a data directory (SQLite): the service's settings and the driver's. */
export interface LogConfig extends ServiceConfig {
  dataDir: string;
  /** PKCS#8 PEM private key file; default: generated into the data directory on first start. */
  keyFile?: string;
  keyType?: KeyType;
  /** Tuning of the leaf-hash and search-key index (see KeyIndex): run sizes, and the tail kept in memory. */
  index?: { minRun?: number; maxRun?: number; maxTail?: number };
  synchronous?: 'FULL' | 'NORMAL' | 'OFF';
  /** Checkpoint the WAL on a worker thread instead of inside the writer's commits (default true). */
  walCheckpointer?: boolean;
  /** Hears a long schema migration's progress when the database is opened (what, done, total). */
  onMigrate?: MigrateProgress;
}

/** OpenedLog is what opening a log hands the running service (Log). */
export interface OpenedLog {
  key: LogKey;
  treeId: string;
  /** The storage driver, checked at open; the Log owns it from here on and closes it. */
  storage: LogStorage;
  tiles: TileCache<boolean>;
  signer: CheckpointSigner;
  /** The latest stored checkpoint, which the start-up check passed. */
  latest: CheckpointRow;
}

/**
 * openChecked opens (or creates) the log in cfg.dataDir up to the point where it may serve: the
 * storage open, the identity bound, the start-up check passed. Log.open runs the service on it.
 */
export function openChecked(cfg: LogConfig): OpenedLog {
  mkdirSync(cfg.dataDir, { recursive: true });
  const { key } = loadOrCreateKey(cfg.dataDir, cfg.keyFile, cfg.keyType ?? 'ed25519');
  let storage: SqliteStorage | undefined;
  try {
    storage = SqliteStorage.open(cfg.dataDir, { synchronous: cfg.synchronous, index: cfg.index, walCheckpointer: cfg.walCheckpointer, onError: cfg.onError, onMigrate: cfg.onMigrate });
    const s = storage;
    const signer = new CheckpointSigner(cfg.origin, key);
    const treeId = present(drive(bindIdentity(s, signer, key, cfg.now ?? Date.now, cfg.treeId)));
    const tiles = new TileCache((l, i) => s.tile(l, i), cfg.tileCacheSize);
    const latest = present(drive(quickCheck(s, tiles, cfg.origin, key)));
    return { key, treeId, storage: s, tiles, signer, latest };
  } catch (e) {
    storage?.abandon();
    const damage = sqliteDamage(e);
    if (damage) throw new CairnError('CORRUPT', `${damage}; run cairn verify-db`);
    throw e;
  }
}

/** openOnStorage binds and checks a log on a driver opened elsewhere (Log.openOn). */
export async function openOnStorage(storage: LogStorage, key: LogKey, cfg: ServiceConfig): Promise<OpenedLog> {
  const signer = new CheckpointSigner(cfg.origin, key);
  const treeId = await drive(bindIdentity(storage, signer, key, cfg.now ?? Date.now, cfg.treeId));
  // On a database other nodes write, a batch may commit while this check reads: a tile it fills
  // then reads newer than the parent tile read before it ("does not hash to the value its parent
  // holds"). So a check that fails while the stored size moved is run again from scratch; one
  // that fails with the size standing still is damage.
  for (let tries = 1; ; tries++) {
    const tiles = new TileCache<boolean>((l, i) => storage.tile(l, i), cfg.tileCacheSize);
    const before = await storage.count();
    try {
      const latest = await drive(quickCheck(storage, tiles, cfg.origin, key, cfg.readOnly));
      return { key, treeId, storage, tiles, signer, latest };
    } catch (e) {
      if (tries >= 5 || (e as CairnError).code !== 'CORRUPT' || (await storage.count()) === before) throw e;
    }
  }
}

/** present returns what a synchronous driver answered: a promise from one is a bug. */
function present<T>(v: Awaitable<T>): T {
  if (isPromise(v)) throw new Error('log: the SQLite driver answered a read with a promise');
  return v;
}

/** bindIdentity records origin, key and tree ID in a new log, or checks them against an existing one; returns the tree ID. */
function* bindIdentity(storage: LogStorage, signer: CheckpointSigner, key: LogKey, now: () => number, newTreeId?: string): Steps<string> {
  const pem = key.publicKeyPem.trim();
  const id = yield* wait(storage.identity());
  if (id === undefined) {
    const treeId = newTreeId ?? randomTreeId();
    yield* wait(storage.create({ origin: signer.origin, publicKeyPem: pem, treeId }, signer.sign(0, EMPTY_ROOT, now())));
    return treeId;
  }
  if (id.origin !== signer.origin) {
    throw new CairnError('CONFIG', `this log was created with origin "${id.origin}", not "${signer.origin}"; start with --origin ${id.origin}`);
  }
  if (id.publicKeyPem !== pem) {
    throw new CairnError('CONFIG', 'this log was created with a different signing key; start it with its original key (--key)');
  }
  return id.treeId;
}

/** randomTreeId returns a random positive int64 as a decimal string (Rekor's tree IDs). */
export function randomTreeId(): string {
  let id = 0n;
  while (id === 0n) id = randomBytes(8).readBigUInt64BE() >> 1n;
  return id.toString();
}

/**
 * quickCheck refuses to sign on top of a damaged database: the latest checkpoint's signatures
 * must cover its stored root, the entry count must match it and the stored tiles must hash to it.
 * Returns that checkpoint.
 */
function* quickCheck(storage: LogStorage, tiles: TileCache<boolean>, origin: string, key: LogKey, readOnly = false): Steps<CheckpointRow> {
  let cp = (yield* wait(storage.latest()))!;
  let count = yield* wait(storage.count());
  // On a shared database another node's sequencer may commit between the two reads: read again.
  for (let tries = 0; count > cp.size && tries < 3; tries++) {
    cp = (yield* wait(storage.latest()))!;
    count = yield* wait(storage.count());
  }
  // The latest row's root must be the one its own signatures cover: a log that trusted a
  // rewritten root_hash (with tiles to match) would re-sign this size with a second root.
  const pem = key.publicKeyPem;
  for (const [name, note, verifier] of [['C2SP', cp.c2sp, c2spVerifier(origin, pem)], ['Rekor', cp.rekor, rekorVerifier(origin, pem)]] as const) {
    let signed;
    try {
      signed = openCheckpoint(note, [verifier]).checkpoint;
    } catch (e) {
      throw new CairnError('CORRUPT', `the latest checkpoint's ${name} note does not verify with the log's key (${(e as Error).message}); run cairn verify-db`);
    }
    if (signed.size !== cp.size || !bytesEqual(signed.rootHash, cp.rootHash)) {
      throw new CairnError('CORRUPT', `the latest checkpoint (size ${cp.size}) holds a root its ${name} signature does not cover; run cairn verify-db`);
    }
  }
  if (count !== cp.size) {
    throw new CairnError('CORRUPT', `database holds ${count} entries but the latest checkpoint is for ${cp.size}; run cairn verify-db`);
  }
  if (cp.size > 0) {
    // Probe the newest entry both ways (by index, then by leaf hash through the key index): cheap,
    // and it catches a key index that lost the log's newest entries.
    const [last] = yield* wait(storage.entries(cp.size - 1, cp.size));
    if (!last || !bytesEqual(leafHash(last.body), last.leafHash) || (!readOnly && (yield* wait(storage.leafIndex(last.leafHash))) !== cp.size - 1)) {
      throw new CairnError('CORRUPT', `entry ${cp.size - 1} is missing, does not hash to its leaf hash or is not found by it; run cairn verify-db`);
    }
  }
  let root: Uint8Array;
  try {
    root = yield* wait(tiles.run(() => rootHash(cp.size, tiles.readNodes)));
  } catch (e) {
    throw new CairnError('CORRUPT', `cannot rebuild the tree from stored tiles (${(e as Error).message}); run cairn verify-db`);
  }
  if (!bytesEqual(root, cp.rootHash)) {
    throw new CairnError('CORRUPT', `stored tiles do not hash to the latest checkpoint's root at size ${cp.size}; run cairn verify-db`);
  }
  return cp;
}
