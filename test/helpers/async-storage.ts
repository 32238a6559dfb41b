/**
 * AsyncStorage wraps a driver so that every read answers with a promise that settles on a later
 * turn of the event loop, as a database across a network would: the log runs over it as over
 * PostgreSQL, with SQLite's speed and no server. Writes go straight through.
 */
import { mkdirSync } from 'node:fs';
import { Log, loadOrCreateKey, type AnyLog, type ServiceConfig } from '../../src/log/index.js';
import { SqliteStorage, type Awaitable, type BatchWrite, type CheckpointRow, type Cosignature, type LogIdentity, type LogStorage } from '../../src/storage/index.js';

/** later resolves with v on a later turn (setImmediate), so other work interleaves. */
function later<T>(v: () => Awaitable<T>): Promise<T> {
  return new Promise((resolve, reject) => setImmediate(() => Promise.resolve().then(v).then(resolve, reject)));
}

export class AsyncStorage implements LogStorage {
  /** reads counts the reads that went to the wrapped driver (tests see caching work). */
  reads = 0;

  constructor(readonly inner: LogStorage) {}

  private read<T>(f: () => Awaitable<T>): Promise<T> {
    this.reads++;
    return later(f);
  }

  identity = () => this.read(() => this.inner.identity());
  create = (id: LogIdentity, first: CheckpointRow) => this.read(() => this.inner.create(id, first));
  stage = (index: number, leafHash: Uint8Array, keys: readonly string[]) => this.inner.stage(index, leafHash, keys);
  unstage = (size: number) => this.inner.unstage(size);
  commit = (b: BatchWrite) => this.inner.commit(b);
  resign = (c: CheckpointRow) => this.inner.resign(c);
  backpressure = () => this.inner.backpressure();
  latest = () => this.read(() => this.inner.latest());
  checkpointAt = (size: number) => this.read(() => this.inner.checkpointAt(size));
  count = () => this.read(() => this.inner.count());
  entry = (index: number) => this.read(() => this.inner.entry(index));
  entries = (start: number, end: number) => this.read(() => this.inner.entries(start, end));
  entriesAt = (indexes: readonly number[]) => this.read(() => this.inner.entriesAt(indexes));
  tile = (level: number, index: number) => this.read(() => this.inner.tile(level, index));
  leafIndex = (leafHash: Uint8Array) => this.read(() => this.inner.leafIndex(leafHash));
  search = (key: string, limit: number, size: number) => this.read(() => this.inner.search(key, limit, size));
  cosignatures = () => this.read(() => this.inner.cosignatures());
  saveCosignature = (c: Cosignature) => this.inner.saveCosignature(c);
  problem = () => this.read(() => this.inner.problem());
  stats = () => this.read(() => this.inner.stats());
  flushIndex = (size: number) => this.inner.flushIndex(size);
  close = () => this.inner.close();
}

/** openAsyncLog opens the SQLite log in dataDir behind AsyncStorage and runs the service on it (Log.openOn). */
export async function openAsyncLog(dataDir: string, cfg: ServiceConfig): Promise<{ log: AnyLog; storage: AsyncStorage }> {
  mkdirSync(dataDir, { recursive: true });
  const { key } = loadOrCreateKey(dataDir, undefined, 'ed25519');
  const storage = new AsyncStorage(SqliteStorage.open(dataDir, { synchronous: 'NORMAL' }));
  try {
    return { log: await Log.openOn(storage, key, cfg), storage };
  } catch (e) {
    await storage.close();
    throw e;
  }
}
