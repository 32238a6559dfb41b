/**
 * The running log service. Over 300 lines for a reason: it is the log's whole public surface,
 * one short documented method per operation; opening is in open.ts, sequencing in sequencer.ts.
 */
import { CairnError } from '../errors.js';
import { HASH_SIZE, RangeMemo, bytesEqual, consistencyProof, inclusionProof, rootHash } from '../merkle/index.js';
import type { LogKey } from '../note/index.js';
import { Coalesce, type Cosignature, type LogStorage, type StorageStats } from '../storage/index.js';
import { andThen, type Awaitable } from './awaitable.js';
import { openChecked, openOnStorage, type LogConfig, type OpenedLog, type ServiceConfig } from './open.js';
import { Sequencer } from './sequencer.js';
import { signEntryTimestamp } from './set.js';
import type { CheckpointSigner } from './signer.js';
import type { TileCache } from './tile-cache.js';
import type { Receipt, SignedCheckpoint, StoredEntry, Submission } from './types.js';

/**
 * Log is the running transparency log service: one writer (the sequencer) and reads of entries,
 * tiles, roots and proofs at any size up to the current one. Its storage is private: the API,
 * the witness client and the CLI read and write through the methods below. Log.open (open.ts)
 * is the composition root that the server, the CLI and the tests all use (SQLite); Log.openOn
 * runs the service on a driver already open (PostgreSQL).
 *
 * S says whether reads answer at once: Log.open's log (S = true, SQLite) answers synchronously,
 * as it always has; a log on any other driver (AnyLog) answers Awaitable values, which its
 * callers await. Either way the merkle math is synchronous: tiles are fetched, then combined.
 */
export type { LogConfig, ServiceConfig } from './open.js';

/** Read is what a read of a Log<S> returns: the value itself when S (a synchronous driver), else Awaitable. */
export type Read<S extends boolean, T> = S extends true ? T : Awaitable<T>;

/** AnyLog is a log on any driver: what the API, witness client and CLI take. */
export type AnyLog = Log<boolean>;

export class Log<S extends boolean = true> {
  readonly origin: string;
  readonly key: LogKey;
  /** Rekor's tree ID: a random positive int64 chosen at creation, as a decimal string. */
  readonly treeId: string;
  /** Rekor's logID: hex SHA-256 of the key's SPKI DER. */
  readonly logIdHex: string;
  private offset: number;
  private readonly storage: LogStorage;
  private readonly tiles: TileCache<boolean>;
  private readonly sequencer: Sequencer;
  private readonly signer: CheckpointSigner;
  private readonly now: () => number;
  private heartbeat?: NodeJS.Timeout;
  private route?: (sub: Submission) => Promise<Receipt>;
  private sequencing: () => boolean = () => true;
  private resigning = false;
  private closedFlag = false;
  private frozenFlag: boolean;
  private lastActivity: number;
  private readonly onSearch?: (ms: number) => void;
  /** Right-edge range hashes of committed leaves, shared by every proof and root (see RangeMemo). */
  private readonly memo = new RangeMemo();
  /** The entries asked for by index in one turn, read together (entryByIndexGathered). */
  private readonly gathered = new Coalesce<number, StoredEntry>((indexes) =>
    andThen(this.storage.entriesAt(indexes), (rows) => new Map(rows.map((r) => [r.index, r]))),
  );

  /** open opens (or creates) the log in cfg.dataDir (see open.ts). A log's origin and key are fixed at creation. */
  static open(cfg: LogConfig): Log {
    const o = openChecked(cfg);
    try {
      return new Log<true>(cfg, o);
    } catch (e) {
      void o.storage.close();
      throw e;
    }
  }

  /**
   * openOn runs the service on a driver that is already open (PostgreSQL): it binds or checks the
   * identity (creating a new log takes the sequencer's lead) and runs the start-up check. The
   * log owns the driver from here on and closes it; on failure the caller still owns it.
   */
  static async openOn(storage: LogStorage, key: LogKey, cfg: ServiceConfig): Promise<AnyLog> {
    return new Log<boolean>(cfg, await openOnStorage(storage, key, cfg));
  }

  constructor(cfg: ServiceConfig, o: OpenedLog) {
    this.now = cfg.now ?? Date.now;
    this.key = o.key;
    this.treeId = o.treeId;
    this.storage = o.storage;
    this.tiles = o.tiles;
    this.signer = o.signer;
    this.logIdHex = Buffer.from(o.key.logId).toString('hex');
    this.origin = cfg.origin;
    this.offset = cfg.indexOffset ?? 0;
    this.frozenFlag = cfg.frozen ?? false;
    this.onSearch = cfg.onSearch;
    this.sequencer = new Sequencer({
      storage: o.storage,
      tiles: o.tiles,
      signer: o.signer,
      entryTimestamp: (e) => this.signEntryTimestamp(e),
      memo: this.memo,
      now: this.now,
      maxBatch: cfg.maxBatch ?? 1024,
      maxQueue: cfg.maxQueue ?? 65536,
      latest: { ...o.latest, origin: this.origin },
      onBatch: (s) => {
        this.lastActivity = this.now();
        cfg.onBatch?.(s);
      },
      onError: cfg.onError,
    });
    this.lastActivity = this.now();
    const hb = cfg.heartbeatMs ?? 60_000;
    if (this.frozenFlag) void this.sequencer.close();
    else if (hb > 0) {
      this.heartbeat = setInterval(() => this.beat(hb), Math.min(hb, 1000));
      this.heartbeat.unref();
    }
  }

  /**
   * append submits an entry; see Sequencer.submit for the contract. A frozen log refuses it
   * (FROZEN). On a node of many (routeAppends) it goes the way the node says, e.g. a shared queue.
   */
  append(sub: Submission): Promise<Receipt> {
    if (this.frozenFlag) return Promise.reject(new CairnError('FROZEN', `log ${this.origin} is frozen: it takes no more entries`));
    return this.route ? this.route(sub) : this.sequencer.submit(sub);
  }

  /**
   * routeAppends sends every later append to route instead of this log's own sequencer: a node
   * sharing one log with others queues uploads for whichever node sequences (log/elected-node.ts),
   * and that node's feeder integrates them here. Only while sequencing() says so does this log
   * sign anything (heartbeat, final checkpoint): a follower serves the checkpoints it reads.
   */
  routeAppends(route: (sub: Submission) => Promise<Receipt>, sequencing: () => boolean): void {
    this.route = route;
    this.sequencing = sequencing;
  }

  /** integrate hands an entry to this log's own sequencer, whatever routeAppends says (the sequencing node's feeder). */
  integrate(sub: Submission): Promise<Receipt> {
    return this.sequencer.submit(sub);
  }

  /** indexOffset returns the virtual log index of this log's first entry (the entries of the frozen shards before it; see shards.ts). */
  get indexOffset(): number {
    return this.offset;
  }

  /** placeAt sets the virtual index of the first entry of a new, still empty shard, once the shard before it is frozen. */
  placeAt(indexOffset: number): void {
    if (this.size !== 0 || this.sequencer.busy) throw new Error('log: placeAt on a log that already has entries');
    this.offset = indexOffset;
  }

  /** frozen reports whether the log has been frozen (a shard rotated out): read-only from then on. */
  get frozen(): boolean {
    return this.frozenFlag;
  }

  /**
   * freeze makes the log read-only: appends are refused from now on, everything already queued is
   * integrated and acknowledged, and one last checkpoint is signed; it resolves with that
   * checkpoint. The heartbeat stops: a frozen log's checkpoint never changes again.
   */
  async freeze(): Promise<SignedCheckpoint> {
    if (this.closedFlag) throw new CairnError('UNAVAILABLE', 'log is closed');
    this.frozenFlag = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    await this.sequencer.close();
    while (this.resigning) await new Promise((r) => setTimeout(r, 5));
    return this.resign();
  }

  /** size returns the tree size of the latest checkpoint. */
  get size(): number {
    return this.sequencer.latest.size;
  }

  /** closed reports whether close() has begun. */
  get closed(): boolean {
    return this.closedFlag;
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
    return this.sequencer.latest;
  }

  /**
   * refresh catches a log that does not sequence (a follower node) up to the latest checkpoint
   * stored by the one that does, and resolves with the checkpoint it now serves. The size it
   * serves never goes down. On the sequencing node it changes nothing.
   */
  async refresh(): Promise<SignedCheckpoint> {
    const row = await this.storage.latest();
    if (row && !this.sequencer.busy && this.sequencer.follow({ ...row, origin: this.origin })) this.tiles.forgetPartial();
    return this.sequencer.latest;
  }

  /** checkpointAt returns the checkpoint signed for exactly this size, if the log signed one. */
  checkpointAt(size: number): Read<S, SignedCheckpoint | undefined> {
    return this.read(andThen(this.storage.checkpointAt(size), (row) => row && { ...row, origin: this.origin }));
  }

  entryByIndex(index: number): Read<S, StoredEntry | undefined> {
    return this.read(index < this.size ? this.storage.entry(index) : undefined);
  }

  /**
   * entryByIndexGathered is entryByIndex for a server under load: the indexes asked for in one turn
   * of the event loop are read with one storage read (entriesAt) on the next, and answered together,
   * so their responses are written together too. Why: on SQLite a statement's read transaction
   * costs more than its row, and each response written alone costs a wake-up of the client's end.
   * Like entryByIndex, it answers only indexes below the size when asked (committed ones).
   */
  entryByIndexGathered(index: number): Promise<StoredEntry | undefined> {
    return index < this.size ? this.gathered.get(index) : Promise.resolve(undefined);
  }

  entryByLeafHash(leafHash: Uint8Array): Read<S, StoredEntry | undefined> {
    return this.read(
      andThen(this.storage.leafIndex(leafHash), (index) => {
        // The key index also knows leaves of a batch still being written: only committed ones count.
        if (index === undefined || index >= this.size) return undefined;
        return andThen(this.storage.entry(index), (e) => (e && bytesEqual(e.leafHash, leafHash) ? e : undefined));
      }),
    );
  }

  /** entries returns the committed entries with start <= index < end (bounded by the current size), in order. */
  entries(start: number, end: number): Read<S, StoredEntry[]> {
    return this.read(this.storage.entries(start, Math.min(end, this.size)));
  }

  /**
   * tile returns the first width hashes of tile (level, index) as served to clients: a full tile
   * read from storage is first checked against its parent tile (CORRUPT on a mismatch), and a
   * tile missing or shorter than width is CORRUPT (the signed tree needs it).
   */
  tile(level: number, index: number, width: number): Read<S, Uint8Array> {
    return this.read(
      this.tiles.run(() => {
        const stored = this.tiles.read(level, index);
        if (!stored || stored.length < width * HASH_SIZE) {
          throw new CairnError('CORRUPT', `stored tile ${level}/${index} is missing or shorter than the signed tree needs`);
        }
        return stored.subarray(0, width * HASH_SIZE);
      }),
    );
  }

  /** signEntryTimestamp signs Rekor's SET of a stored entry (deterministic for Ed25519; any valid ECDSA one will do). */
  signEntryTimestamp(e: StoredEntry): Uint8Array {
    const body = Buffer.from(e.body.buffer, e.body.byteOffset, e.body.byteLength).toString('base64');
    // Rekor signs the virtual index (counted through the frozen shards), as its logIndex field shows.
    return signEntryTimestamp(this.key, { body, integratedTime: e.integratedTime, logID: this.logIdHex, logIndex: this.offset + e.index });
  }

  /** rootAt returns the root hash of the tree at any size up to the current one. */
  rootAt(size: number): Read<S, Uint8Array> {
    this.checkSize(size);
    return this.read(this.tiles.run(() => rootHash(size, this.tiles.readNodes, this.memo)));
  }

  inclusionProof(index: number, size: number): Read<S, Uint8Array[]> {
    this.checkSize(size);
    return this.read(this.tiles.run(() => inclusionProof(index, size, this.tiles.readNodes, this.memo)));
  }

  consistencyProof(m: number, n: number): Read<S, Uint8Array[]> {
    this.checkSize(n);
    return this.read(this.tiles.run(() => consistencyProof(m, n, this.tiles.readNodes, this.memo)));
  }

  /** search returns log indexes carrying this search key, at most limit, ascending. */
  search(key: string, limit: number): Read<S, number[]> {
    if (!this.onSearch) return this.read(this.storage.search(key, limit, this.size));
    const t0 = performance.now();
    const onSearch = this.onSearch;
    return this.read(
      andThen(this.storage.search(key, limit, this.size), (r) => {
        onSearch(performance.now() - t0);
        return r;
      }),
    );
  }

  /** cosignatures returns each witness's latest stored cosignature of this log. */
  cosignatures(): Read<S, Cosignature[]> {
    return this.read(this.storage.cosignatures());
  }

  /** saveCosignature stores a witness's latest cosignature through the log's single writer; durable when it resolves. */
  saveCosignature(c: Cosignature): Promise<void> {
    return this.storage.saveCosignature(c);
  }

  /** storageProblem returns why storage could not take a write now (readiness), or undefined. */
  storageProblem(): Read<S, string | undefined> {
    return this.read(this.closedFlag ? 'database is closed' : this.storage.problem());
  }

  /** storageStats returns the storage's gauges (metrics). */
  storageStats(): Read<S, StorageStats> {
    return this.read(this.storage.stats());
  }

  /** flushIndex resolves once every entry of the current tree is in the durable index, not just in memory (benchmarks, tests). */
  flushIndex(): Promise<void> {
    return this.storage.flushIndex(this.size);
  }

  /** idle resolves once every queued submission has been integrated. */
  idle(): Promise<void> {
    return this.sequencer.idle();
  }

  /**
   * thaw undoes freeze for a rotation that failed before its commit point (shards.ts): the log
   * takes entries again. Its last checkpoint was only re-signed, so nothing it signed changes.
   */
  thaw(heartbeatMs: number): void {
    if (this.closedFlag || !this.frozenFlag) return;
    this.frozenFlag = false;
    this.sequencer.reopen();
    if (heartbeatMs > 0) {
      this.heartbeat = setInterval(() => this.beat(heartbeatMs), Math.min(heartbeatMs, 1000));
      this.heartbeat.unref();
    }
  }

  /** close stops accepting entries, integrates what is queued, signs a final checkpoint and closes the storage. */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.sequencer.close();
    try {
      if (!this.frozenFlag && this.sequencing()) await this.resign();
    } catch {
      // Storage not writable (disk full, read-only): the stored checkpoint stands; close anyway.
    }
    await this.storage.close();
  }

  /** resign re-signs the current checkpoint with a fresh time, through the storage's writer (heartbeat, shutdown). */
  async resign(): Promise<SignedCheckpoint> {
    const cur = this.sequencer.latest;
    const c = this.signer.sign(cur.size, cur.rootHash, this.now());
    if (!(await this.storage.resign(c))) throw new Error('log: latest checkpoint missing from storage');
    // A batch may have committed meanwhile: then its checkpoint is newer, and stays.
    if (this.sequencer.latest.size === c.size) this.sequencer.replaceLatest(c);
    this.lastActivity = this.now();
    return c;
  }

  private beat(intervalMs: number): void {
    // Only when nothing is being committed, and one re-sign at a time.
    if (this.resigning || this.now() - this.lastActivity < intervalMs || this.sequencer.busy || !this.sequencing()) return;
    this.resigning = true;
    this.resign()
      .catch(() => {
        // Storage not writable: readiness reports it; the next beat tries again.
      })
      .finally(() => (this.resigning = false));
  }

  /** read types a driver's answer as this log's S says (Log.open's driver answers synchronously). */
  private read<T>(v: Awaitable<T>): Read<S, T> {
    return v as Read<S, T>;
  }

  private checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) {
      throw new CairnError('BAD_REQUEST', `tree size ${size} is not between 0 and the current size ${this.size}`);
    }
  }
}
