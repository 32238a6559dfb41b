/**
 * The storage driver contract: everything the log keeps durably, behind one interface that a
 * driver implements (sqlite.ts today; PostgreSQL next). Nothing outside a driver writes SQL or
 * holds a database handle: the log, the API, the witness client and the CLI go through this.
 *
 * Reads may answer synchronously or with a promise (Awaitable), so an async driver (a database
 * across a network) can implement the contract; the merkle math stays synchronous either way:
 * callers plan which tiles they need, fetch them through the driver (the one async step), then
 * combine. The SQLite driver answers reads synchronously (SyncLogStorage), which the log's hot
 * paths rely on today. test/storage/contract.ts checks every MUST below against any driver.
 */
export type Awaitable<T> = T | Promise<T>;

/** EntryRow is one stored leaf: its canonical body and what the log recorded about it. */
export interface EntryRow {
  index: number;
  leafHash: Uint8Array;
  body: Uint8Array;
  kind: string;
  /** Unix seconds when the entry's batch was integrated. */
  integratedTime: number;
  /** Rekor's signed entry timestamp, when one was signed at integration. */
  entryTimestamp?: Uint8Array;
}

/** CheckpointRow is one checkpoint the log signed. */
export interface CheckpointRow {
  size: number;
  rootHash: Uint8Array;
  /** Unix milliseconds. */
  signedAt: number;
  /** The C2SP signed note. */
  c2sp: string;
  /** The Rekor signed note. */
  rekor: string;
}

/** BatchWrite is everything one sequencer batch stores, as one atomic unit. */
export interface BatchWrite {
  /** Tree size before the batch: a batch that does not continue what is committed is refused. */
  oldSize: number;
  entries: readonly EntryRow[];
  /** Per entry: its search keys. */
  keys: readonly (readonly string[])[];
  /**
   * Per entry (absent: none): true when its keys are exactly storedSearchKeys(kind, body), so a
   * driver may store no copy and derive them when it reads them (the SQLite driver does; search,
   * the index and snapshots' keys() answer the same either way). Set from Submission.derivedKeys.
   */
  derivedKeys?: readonly boolean[];
  /**
   * Per entry (absent: none): true when the sequencing node took it straight from an upload of its
   * own instead of through a shared queue (SharedQueue: "direct entries"). Drivers without a
   * shared queue ignore it.
   */
  direct?: readonly boolean[];
  /** Every tile the batch changed, with its new bytes. */
  tiles: readonly { level: number; index: number; data: Uint8Array }[];
  /** The checkpoint covering the batch: size oldSize + entries.length. */
  checkpoint: CheckpointRow;
}

/** Committed is what a commit reports besides success (drivers with a shared queue). */
export interface Committed {
  /**
   * The log indexes of the batch's direct entries whose leaf another upload had already queued:
   * that upload owns the leaf (it is answered 201); the direct upload is answered as a duplicate.
   */
  queuedElsewhere: readonly number[];
}

/** LogIdentity is what a log is bound to at creation and never changes. */
export interface LogIdentity {
  origin: string;
  /** The signing key's public key, SPKI PEM, trimmed. */
  publicKeyPem: string;
  /** Rekor's tree ID: a random positive int64 as a decimal string. */
  treeId: string;
}

/** Cosignature is a witness's latest cosignature of the log: the checkpoint body it signed and its signature lines. */
export interface Cosignature {
  /** The witness's verifier key (its identity across restarts). */
  witness: string;
  size: number;
  checkpoint: string;
  lines: string;
}

/** StorageStats are gauges for /metrics. */
export interface StorageStats {
  /** Bytes the log's data takes on disk. */
  bytes: number;
  /** Entries whose lookups are not yet in the durable index (answered from memory meanwhile). */
  indexLag: number;
}

/**
 * LogStorage is a log's durable state. A driver instance belongs to exactly one running log: the
 * driver MUST refuse to open a log that another process has open for writing, and exactly one
 * sequencer calls stage/unstage/commit (the log's), so batches arrive in order.
 */
export interface LogStorage {
  // ---- Opening: before any batch, by the one process that holds the log.

  /** identity returns what the log was created with, or undefined for a new, empty log. */
  identity(): Awaitable<LogIdentity | undefined>;
  /**
   * create MUST store the identity and the log's first checkpoint (size 0) atomically: after a
   * crash either both exist or neither. It MUST fail if the log already has an identity.
   */
  create(identity: LogIdentity, first: CheckpointRow): Awaitable<void>;

  // ---- Sequencing: only the log's sequencer calls these.

  /**
   * stage makes a leaf of a batch about to be committed findable by leafIndex (dedup within and
   * across batches in flight). Indexes MUST be staged in order, each one past the last.
   */
  stage(index: number, leafHash: Uint8Array, keys: readonly string[]): void;
  /** unstage forgets staged leaves from size on (their batch failed). */
  unstage(size: number): void;
  /**
   * commit stores a batch — its entries, their search keys, the tiles it changed and the
   * checkpoint covering it — as ONE atomic unit. It MUST NOT resolve until all of it is durable
   * (survives a crash or power cut of this machine); it MUST reject, storing nothing, a batch
   * whose oldSize is not the committed size (one built on a failed batch would leave a hole);
   * it MUST reject a checkpoint for a size already signed; batches commit in the order given.
   * After a crash, a batch is wholly present or wholly absent.
   */
  commit(batch: BatchWrite): Promise<Committed | void>;
  /**
   * resign replaces the signatures of the stored checkpoint of c's size AND root (heartbeat),
   * through the same writer as commit; resolves false, changing nothing, if none matches. A
   * different root for a signed size MUST never be stored.
   */
  resign(c: CheckpointRow): Promise<boolean>;
  /** backpressure returns a promise to wait on before the next batch when memory the driver holds for staged or unindexed leaves is at its bound, else undefined. */
  backpressure(): Promise<void> | undefined;

  // ---- Reads. Committed data only, except leafIndex (which also sees staged leaves).

  /**
   * latest returns the checkpoint of the largest committed size. A reader MUST never see a
   * checkpoint whose entries or tiles are not all readable: they commit together.
   */
  latest(): Awaitable<CheckpointRow | undefined>;
  /**
   * checkpointAt returns the checkpoint signed for exactly this size, if any. A driver MAY drop
   * checkpoints older than its newest 1,024 (nothing reads them: roots and proofs come from
   * tiles), but MUST keep the latest and every size a witness cosignature names.
   */
  checkpointAt(size: number): Awaitable<CheckpointRow | undefined>;
  /** count returns the number of committed entries. */
  count(): Awaitable<number>;
  /** entry returns the committed entry at index. */
  entry(index: number): Awaitable<EntryRow | undefined>;
  /** entries returns the committed entries with start <= index < end, in order. */
  entries(start: number, end: number): Awaitable<EntryRow[]>;
  /**
   * entriesAt returns the committed entries at these distinct indexes, in any order; an index
   * with no committed entry is left out. It reads them together (one statement, one round trip):
   * the reads of one turn of the event loop (Log.entryByIndexGathered).
   */
  entriesAt(indexes: readonly number[]): Awaitable<EntryRow[]>;
  /** tile returns the stored bytes of tile (level, index): full, or the current partial. */
  tile(level: number, index: number): Awaitable<Uint8Array | undefined>;
  /**
   * leafIndex returns the log index of the leaf with this hash: committed or staged. It MUST find
   * every committed leaf (dedup by leaf hash: the log never gives one leaf two indexes).
   */
  leafIndex(leafHash: Uint8Array): Awaitable<number | undefined>;
  /** search returns up to limit indexes below size of entries carrying key, ascending. */
  search(key: string, limit: number, size: number): Awaitable<number[]>;

  // ---- Witness state: written through the same writer as commit.

  /** cosignatures returns each witness's latest stored cosignature. */
  cosignatures(): Awaitable<Cosignature[]>;
  /** saveCosignature stores a witness's latest cosignature (replacing its previous one); durable when it resolves. */
  saveCosignature(c: Cosignature): Promise<void>;

  // ---- Operations.

  /** problem returns why the storage could not take a write now, or undefined (readiness). */
  problem(): Awaitable<string | undefined>;
  stats(): Awaitable<StorageStats>;
  /** flushIndex resolves once lookups of entries below size no longer depend on memory. */
  flushIndex(size: number): Promise<void>;
  /** close finishes every write sent, then releases the log (another process may open it). */
  close(): Promise<void>;
}

/** SyncLogStorage is a driver whose reads answer synchronously (SQLite in-process). */
export interface SyncLogStorage extends LogStorage {
  identity(): LogIdentity | undefined;
  create(identity: LogIdentity, first: CheckpointRow): void;
  latest(): CheckpointRow | undefined;
  checkpointAt(size: number): CheckpointRow | undefined;
  count(): number;
  entry(index: number): EntryRow | undefined;
  entries(start: number, end: number): EntryRow[];
  entriesAt(indexes: readonly number[]): EntryRow[];
  tile(level: number, index: number): Uint8Array | undefined;
  leafIndex(leafHash: Uint8Array): number | undefined;
  search(key: string, limit: number, size: number): number[];
  cosignatures(): Cosignature[];
  problem(): string | undefined;
  stats(): StorageStats;
}

/**
 * LogSnapshot is a read-only view of one commit of a log, safe beside a running server: what
 * export, backup and verify-db read. Every read MUST answer from the same commit.
 */
export interface LogSnapshot {
  identity(): LogIdentity | undefined;
  latest(): CheckpointRow | undefined;
  /** checkpoints yields every stored checkpoint, smallest size first, one at a time. */
  checkpoints(): Iterable<CheckpointRow>;
  count(): number;
  entries(start: number, end: number): EntryRow[];
  tile(level: number, index: number): Uint8Array | undefined;
  /** keys returns the search keys of the entries with start <= index < end, one array per entry, in order. */
  keys(start: number, end: number): string[][];
  /** cosignatures returns each witness's latest stored cosignature. */
  cosignatures(): Cosignature[];
  /** damage returns the storage's own structural check's complaint, or undefined. */
  damage(): string | undefined;
  /** indexProblem returns the first way the derived lookup index disagrees with the entries, or undefined. */
  indexProblem(): string | undefined;
  /** backup writes the snapshot as a restorable copy of the log to path (via a temporary name). */
  backup(path: string): Promise<void>;
  close(): void;
}

/**
 * ElectedLogStorage is a driver that many nodes open at once (PostgreSQL), of which one at a time
 * sequences. Every node reads; only the current leader's instance calls create, stage, commit,
 * resign and saveCosignature.
 *
 * - campaign MUST resolve true only once this node holds the lead, and at most one node holds it
 *   at any moment; it resolves false when waitMs passes without it.
 * - A node MUST lose the lead when its connection to the database is gone or it has been silent
 *   (e.g. paused) longer than its lease; role then reads 'follower' and every onLost callback is
 *   called once, with the reason.
 * - Fencing: create, commit and resign MUST store nothing, rejecting (resign: resolving false),
 *   unless this node's term is still the current one at the moment they commit, checked in the
 *   same transaction that writes; so a node that lost the lead without knowing it can neither
 *   append a batch nor publish a checkpoint, and two roots for one size are never stored.
 * - A new term MUST begin from the committed tree: any batch of an earlier term has either
 *   committed before the term began or will never commit.
 */
export interface ElectedLogStorage extends LogStorage {
  campaign(waitMs?: number): Promise<boolean>;
  readonly role: 'leader' | 'follower';
  onLost(fn: (why: string) => void): void;
}

/** QueuedEntry is an admitted upload (parsed and verified) waiting in a shared queue for the sequencer. */
export interface QueuedEntry {
  leafHash: Uint8Array;
  /** The canonical body: the bytes hashed into the leaf. */
  body: Uint8Array;
  kind: string;
  /** Its search keys, normalized. */
  keys: readonly string[];
  /** Sign Rekor's entry timestamp at integration (Submission.signEntryTimestamp). */
  signEntryTimestamp: boolean;
}

/** Enqueued says what enqueue did: queued this leaf (its upload owns it: 201), or found it queued or committed already (409). */
export type Enqueued = { queued: true } | { queued: false; index?: number };

/**
 * SharedQueue carries admitted entries from every node to the one sequencer through the database,
 * so an upload survives the death of the node that took it and of the leader (PostgreSQL).
 *
 * - enqueue MUST, when it resolves, have its row readable by every node's claim and surviving the
 *   death of any node; it MAY be lost by a crash of the database itself until a batch stores it,
 *   since no upload is answered before that batch's commit, which MUST be durable and MUST NOT be
 *   durable without the rows it integrated. It MUST NOT queue a leaf that is committed (it
 *   resolves that leaf's index) or already queued (it resolves { queued: false } without an
 *   index): at most one queued row per leaf, and never a row for a committed leaf, so the upload
 *   whose enqueue answered { queued: true } is the one whose leaf the log integrates.
 * - claim (the leader's) returns up to limit queued entries, oldest first, none of them committed.
 * - The driver's commit MUST delete the queued rows of the leaves its batch stores in the SAME
 *   transaction: a queued entry is integrated once or not at all, across any node's death, and it
 *   stays queued until it is integrated.
 * - The sequencing node MAY integrate uploads it admitted itself without queueing them (direct
 *   entries, BatchWrite.direct): they are answered from its batch, and a node's death loses only
 *   what was never answered. For each direct leaf the driver's commit MUST, in the same
 *   transaction, hold the leaf's place in the queue so that an enqueue of it running meanwhile
 *   waits for the commit and then finds it committed; and MUST report (Committed.queuedElsewhere)
 *   each direct leaf another upload had queued before, which that upload owns. Either way, one
 *   upload per leaf is told it queued the leaf, and no row is left for a committed leaf.
 * - onQueued callbacks are called soon after any node queues an entry (to wake the leader);
 *   onCommitted callbacks with the new committed size soon after any node commits a batch (to wake
 *   waiting uploads). Both are hints, not guarantees: a caller MUST also poll.
 */
export interface SharedQueue {
  enqueue(e: QueuedEntry): Promise<Enqueued>;
  claim(limit: number): Promise<QueuedEntry[]>;
  /** queueDepth returns how many entries wait in the queue. */
  queueDepth(): Promise<number>;
  /** committedIndex returns the index of a committed leaf (never a staged one), if any. */
  committedIndex(leafHash: Uint8Array): Promise<number | undefined>;
  onQueued(fn: () => void): void;
  onCommitted(fn: (size: number) => void): void;
}
