import { mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import { EMPTY_ROOT, RangeMemo, bytesEqual, consistencyProof, inclusionProof, leafHash, rootHash } from '../merkle/index.js';
import { c2spVerifier, openCheckpoint, rekorVerifier, type LogKey } from '../note/index.js';
import { CheckpointStore, EntryStore, INLINE_CHECKPOINT_PAGES, KeyIndex, LogWriter, MetaStore, TileStore, WalCheckpointer, lockDataDir, openDb, sqliteDamage, type Db, type WriterLock } from '../storage/index.js';
import { loadOrCreateKey, type KeyType } from './keyfile.js';
import { Sequencer, type BatchStats } from './sequencer.js';
import { signEntryTimestamp } from './set.js';
import { CheckpointSigner } from './signer.js';
import type { Receipt, SignedCheckpoint, StoredEntry, Submission } from './types.js';

/** DB_FILE is the SQLite database's name inside the data directory. */
export const DB_FILE = 'cairn.db';
/** INDEX_FILE holds the leaf-hash and search-key indexes, derived from DB_FILE (see KeyIndex). */
export const INDEX_FILE = 'index.db';

export interface LogConfig {
  dataDir: string;
  /** Checkpoint origin and signature name, e.g. "log.example.com/cairn". Fixed at creation. */
  origin: string;
  /** PKCS#8 PEM private key file; default: generated into the data directory on first start. */
  keyFile?: string;
  keyType?: KeyType;
  maxBatch?: number;
  maxQueue?: number;
  /** Re-sign an idle log's checkpoint this often (ms); 0 disables. */
  heartbeatMs?: number;
  /** Tuning of the leaf-hash and search-key index (see KeyIndex): run sizes, and the tail kept in memory. */
  index?: { minRun?: number; maxRun?: number; maxTail?: number };
  /** Tiles kept expanded in memory (each ~16 KiB). */
  tileCacheSize?: number;
  synchronous?: 'FULL' | 'NORMAL' | 'OFF';
  /** Clock in Unix milliseconds. */
  now?: () => number;
  onBatch?: (s: BatchStats) => void;
  onError?: (e: unknown) => void;
  /** Called after each index lookup with its duration in milliseconds (metrics). */
  onSearch?: (ms: number) => void;
  /** Checkpoint the WAL on a worker thread instead of inside the writer's commits (default true). */
  walCheckpointer?: boolean;
}

/**
 * Log is the transparency log service: one writer (the sequencer) and synchronous reads of
 * entries, roots and proofs at any size up to the current one. Log.open is the composition root
 * that the server, the CLI and the tests all use.
 */
export class Log {
  readonly origin: string;
  readonly key: LogKey;
  /** Rekor's tree ID: a random positive int64 chosen at creation, as a decimal string. */
  readonly treeId: string;
  /** Rekor's logID: hex SHA-256 of the key's SPKI DER. */
  readonly logIdHex: string;
  readonly db: Db;
  readonly entries: EntryStore;
  readonly keys: KeyIndex;
  readonly tiles: TileStore;
  readonly checkpoints: CheckpointStore;
  private readonly sequencer: Sequencer;
  /** Commits the sequencer's batches on a thread of its own (see LogWriter). */
  private readonly writer: LogWriter;
  private readonly signer: CheckpointSigner;
  private readonly now: () => number;
  private heartbeat?: NodeJS.Timeout;
  /** The data directory's writer lock, released by close. */
  private lock?: WriterLock;
  private lastActivity: number;
  private readonly onSearch?: (ms: number) => void;
  private checkpointer?: WalCheckpointer;
  /** Right-edge range hashes of committed leaves, shared by every proof and root (see RangeMemo). */
  private readonly memo = new RangeMemo();

  private constructor(cfg: LogConfig, key: LogKey, db: Db) {
    this.now = cfg.now ?? Date.now;
    this.db = db;
    this.key = key;
    this.logIdHex = Buffer.from(key.logId).toString('hex');
    this.origin = cfg.origin;
    this.onSearch = cfg.onSearch;
    const meta = new MetaStore(db);
    this.entries = new EntryStore(db);
    this.tiles = new TileStore(db, cfg.tileCacheSize);
    this.checkpoints = new CheckpointStore(db);
    this.signer = new CheckpointSigner(cfg.origin, key);
    this.treeId = this.bindIdentity(meta);
    // After the identity check, which is what refuses a wrong origin or key: its worker starts here.
    this.keys = KeyIndex.open(
      { logDb: db, logPath: join(cfg.dataDir, DB_FILE), indexPath: join(cfg.dataDir, INDEX_FILE), ...cfg.index, onError: cfg.onError },
      this.entries.count(),
    );
    const latest = this.checkpoints.latest()!;
    this.writer = new LogWriter(join(cfg.dataDir, DB_FILE), latest.size, {
      synchronous: cfg.synchronous,
      // With the WAL checkpointer on, the committing connection checkpoints only past its limit.
      autocheckpointPages: (cfg.walCheckpointer ?? true) ? INLINE_CHECKPOINT_PAGES : 0,
    });
    this.writer.onDeath = (e) => cfg.onError?.(e);
    this.sequencer = new Sequencer({
      keys: this.keys,
      tiles: this.tiles,
      writer: this.writer,
      signer: this.signer,
      entryTimestamp: (e) => this.signEntryTimestamp(e),
      memo: this.memo,
      now: this.now,
      maxBatch: cfg.maxBatch ?? 1024,
      maxQueue: cfg.maxQueue ?? 65536,
      latest: { ...latest, origin: this.origin },
      onBatch: (s) => {
        this.lastActivity = this.now();
        cfg.onBatch?.(s);
      },
      onError: cfg.onError,
    });
    this.lastActivity = this.now();
    const hb = cfg.heartbeatMs ?? 60_000;
    if (hb > 0) {
      this.heartbeat = setInterval(() => this.beat(hb), Math.min(hb, 1000));
      this.heartbeat.unref();
    }
  }

  /** open opens (or creates) the log in cfg.dataDir. A log's origin and key are fixed at creation. */
  static open(cfg: LogConfig): Log {
    mkdirSync(cfg.dataDir, { recursive: true });
    const { key } = loadOrCreateKey(cfg.dataDir, cfg.keyFile, cfg.keyType ?? 'ed25519');
    // One writer per data directory: a second would sequence from a stale view of the tree.
    const lock = lockDataDir(cfg.dataDir);
    let db: Db;
    try {
      db = openDb(join(cfg.dataDir, DB_FILE), { synchronous: cfg.synchronous });
    } catch (e) {
      lock.release();
      throw e;
    }
    let log: Log | undefined;
    try {
      log = new Log(cfg, key, db);
      log.quickCheck();
      if (cfg.walCheckpointer ?? true) log.checkpointer = new WalCheckpointer(db, join(cfg.dataDir, DB_FILE));
      log.lock = lock;
      return log;
    } catch (e) {
      void log?.keys.close();
      void log?.writer.close();
      db.close();
      lock.release();
      const damage = sqliteDamage(e);
      if (damage) throw new CairnError('CORRUPT', `${damage}; run cairn verify-db`);
      throw e;
    }
  }

  /** bindIdentity records origin, key and tree ID in a new log, or checks them against an existing one. */
  private bindIdentity(meta: MetaStore): string {
    const pem = this.key.publicKeyPem.trim();
    const origin = meta.get('origin');
    if (origin === undefined) {
      const treeId = (randomBytes(8).readBigUInt64BE() >> 1n).toString();
      const empty = this.signer.sign(0, EMPTY_ROOT, this.now());
      this.db.transaction(() => {
        meta.set('origin', this.origin);
        meta.set('public_key', pem);
        meta.set('tree_id', treeId);
        this.checkpoints.put(empty);
      })();
      return treeId;
    }
    if (origin !== this.origin) {
      throw new CairnError('CONFIG', `this log was created with origin "${origin}", not "${this.origin}"; start with --origin ${origin}`);
    }
    if (meta.get('public_key') !== pem) {
      throw new CairnError('CONFIG', 'this log was created with a different signing key; start it with its original key (--key)');
    }
    return meta.get('tree_id')!;
  }

  /**
   * quickCheck refuses to sign on top of a damaged database: the latest checkpoint's signatures
   * must cover its stored root, the entry count must match it and the stored tiles must hash to it.
   */
  private quickCheck(): void {
    const cp = this.latest();
    // The latest row's root must be the one its own signatures cover: a log that trusted a
    // rewritten root_hash (with tiles to match) would re-sign this size with a second root.
    const pem = this.key.publicKeyPem;
    for (const [name, note, verifier] of [['C2SP', cp.c2sp, c2spVerifier(this.origin, pem)], ['Rekor', cp.rekor, rekorVerifier(this.origin, pem)]] as const) {
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
    const count = this.entries.count();
    if (count !== cp.size) {
      throw new CairnError('CORRUPT', `database holds ${count} entries but the latest checkpoint is for ${cp.size}; run cairn verify-db`);
    }
    if (cp.size > 0) {
      // Probe the newest entry both ways (by index, then by leaf hash through the key index): cheap,
      // and it catches a key index that lost the log's newest entries.
      const last = this.entries.byIndex(cp.size - 1);
      if (!last || !bytesEqual(leafHash(last.body), last.leafHash) || this.keys.indexOf(last.leafHash) !== cp.size - 1) {
        throw new CairnError('CORRUPT', `entry ${cp.size - 1} is missing, does not hash to its leaf hash or is not found by it; run cairn verify-db`);
      }
    }
    let root: Uint8Array;
    try {
      root = this.rootAt(cp.size);
    } catch (e) {
      throw new CairnError('CORRUPT', `cannot rebuild the tree from stored tiles (${(e as Error).message}); run cairn verify-db`);
    }
    if (!bytesEqual(root, cp.rootHash)) {
      throw new CairnError('CORRUPT', `stored tiles do not hash to the latest checkpoint's root at size ${cp.size}; run cairn verify-db`);
    }
  }

  /** append submits an entry; see Sequencer.submit for the contract. */
  append(sub: Submission): Promise<Receipt> {
    return this.sequencer.submit(sub);
  }

  /** size returns the tree size of the latest checkpoint. */
  get size(): number {
    return this.sequencer.latest.size;
  }

  /** pending returns how many submissions wait for the sequencer. */
  get pending(): number {
    return this.sequencer.pending;
  }

  /** oldestPendingAt returns when (Unix ms) the longest-waiting submission was queued, if any (readiness). */
  get oldestPendingAt(): number | undefined {
    return this.sequencer.oldestQueuedAt;
  }

  /** latest returns the newest signed checkpoint. */
  latest(): SignedCheckpoint {
    return this.sequencer?.latest ?? { ...this.checkpoints.latest()!, origin: this.origin };
  }

  /** checkpointAt returns the checkpoint signed for exactly this size, if the log signed one. */
  checkpointAt(size: number): SignedCheckpoint | undefined {
    const row = this.checkpoints.bySize(size);
    return row && { ...row, origin: this.origin };
  }

  entryByIndex(index: number): StoredEntry | undefined {
    return index < this.size ? this.entries.byIndex(index) : undefined;
  }

  entryByLeafHash(leafHash: Uint8Array): StoredEntry | undefined {
    const index = this.keys.indexOf(leafHash);
    // The key index also knows leaves of a batch still being written: only committed ones count.
    const e = index !== undefined && index < this.size ? this.entries.byIndex(index) : undefined;
    return e && bytesEqual(e.leafHash, leafHash) ? e : undefined;
  }

  /** signEntryTimestamp signs Rekor's SET of a stored entry (deterministic for Ed25519; any valid ECDSA one will do). */
  signEntryTimestamp(e: StoredEntry): Uint8Array {
    const body = Buffer.from(e.body.buffer, e.body.byteOffset, e.body.byteLength).toString('base64');
    return signEntryTimestamp(this.key, { body, integratedTime: e.integratedTime, logID: this.logIdHex, logIndex: e.index });
  }

  /** rootAt returns the root hash of the tree at any size up to the current one. */
  rootAt(size: number): Uint8Array {
    this.checkSize(size);
    return rootHash(size, this.tiles.readNodes, this.memo);
  }

  inclusionProof(index: number, size: number): Uint8Array[] {
    this.checkSize(size);
    return inclusionProof(index, size, this.tiles.readNodes, this.memo);
  }

  consistencyProof(m: number, n: number): Uint8Array[] {
    this.checkSize(n);
    return consistencyProof(m, n, this.tiles.readNodes, this.memo);
  }

  /** search returns log indexes carrying this search key, at most limit, ascending. */
  search(key: string, limit: number): number[] {
    if (!this.onSearch) return this.keys.search(key, limit, this.size);
    const t0 = performance.now();
    const r = this.keys.search(key, limit, this.size);
    this.onSearch(performance.now() - t0);
    return r;
  }

  /**
   * writerPragma runs a PRAGMA on the connection the sequencer's batches are committed through
   * (its own thread's), e.g. to inject storage faults in tests; returns its simple value.
   */
  writerPragma(pragma: string): Promise<unknown> {
    return this.writer.pragma(pragma);
  }

  /** flushIndex resolves once every entry of the current tree is in index.db, not just in memory (benchmarks, tests). */
  flushIndex(): Promise<void> {
    return this.keys.flush(this.size);
  }

  /** idle resolves once every queued submission has been integrated. */
  idle(): Promise<void> {
    return this.sequencer.idle();
  }

  /** close stops accepting entries, integrates what is queued, signs a final checkpoint and closes the database. */
  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.sequencer.close();
    await this.writer.close();
    await this.keys.close();
    await this.checkpointer?.stop();
    if (this.db.open) {
      try {
        this.resign();
      } catch {
        // Storage not writable (disk full, read-only): the stored checkpoint stands; close anyway.
      } finally {
        this.db.close();
      }
    }
    this.lock?.release();
  }

  /** resign re-signs the current checkpoint with a fresh time (heartbeat, shutdown). */
  resign(): SignedCheckpoint {
    const cur = this.sequencer.latest;
    const c = this.signer.sign(cur.size, cur.rootHash, this.now());
    if (!this.checkpoints.resign(c)) throw new Error('log: latest checkpoint missing from storage');
    this.sequencer.replaceLatest(c);
    this.lastActivity = this.now();
    return c;
  }

  private beat(intervalMs: number): void {
    // Only when nothing is being committed: the re-sign writes through this thread's connection.
    if (this.now() - this.lastActivity < intervalMs || this.sequencer.busy) return;
    try {
      this.resign();
    } catch {
      // Storage not writable: readiness reports it; the next beat tries again.
    }
  }

  private checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) {
      throw new CairnError('BAD_REQUEST', `tree size ${size} is not between 0 and the current size ${this.size}`);
    }
  }
}
