/**
 * What `cairn serve` serves: the shards of a SQLite data directory (the default), or one node of a
 * log in PostgreSQL (--database), which many nodes serve at once. Either way the HTTP side gets a
 * Shards and one close; only the database node has a role and a shared queue.
 */
import type { Logger } from 'pino';
import { CairnError } from '../errors.js';
import { ElectedNode, Shards, loadOrCreateKey, type BatchStats } from '../log/index.js';
import { PostgresStorage, describePlace, postgresPlace } from '../storage/index.js';
import type { Values } from './config.js';
import { Progress } from './progress.js';

/** ServedLog is what serve answers from. */
export interface ServedLog {
  shards: Shards;
  /** The database node, with --database. */
  node?: ElectedNode;
  /** close integrates what is queued, signs a final checkpoint where this node sequences, and closes storage. */
  close(): Promise<void>;
}

/** Hooks are serve's observers of the sequencer and search. */
export interface ServeHooks {
  onBatch(s: BatchStats): void;
  onError(e: unknown): void;
  onSearch(ms: number): void;
  /** The node's role changed (--database). */
  onRole(role: 'leader' | 'follower', why?: string): void;
}

/** openServed opens what v names: --database's node, else the data directory's shards. */
export async function openServed(v: Values, origin: string, hooks: ServeHooks, logger: Logger): Promise<ServedLog> {
  const service = {
    origin,
    heartbeatMs: (v.heartbeat as number) * 1000,
    maxBatch: v['max-batch'] as number,
    maxQueue: v['max-queue'] as number,
    tileCacheSize: v['tile-cache'] as number,
    onBatch: hooks.onBatch,
    onError: hooks.onError,
    onSearch: hooks.onSearch,
  };
  if (v.database === undefined) {
    // A schema migration of a large log (006 reads every stored key row) shows it is alive.
    let migrating: Progress | undefined;
    const onMigrate = (what: string, done: number, total: number): void => {
      (migrating ??= new Progress(`serve: migrating cairn.db, ${what}`, 'rows')).update(done, total);
      if (done >= total) migrating = void migrating.end();
    };
    const shards = Shards.open({ ...service, dataDir: v.data as string, keyFile: v.key as string | undefined, keyType: v['key-type'] as 'ed25519' | 'ecdsa-p256', onMigrate });
    return { shards, close: () => shards.close() };
  }
  const place = postgresPlace(v.database as string);
  if (v.key === undefined) throw new CairnError('CONFIG', '--database needs --key FILE: every node signs with the same key (make one with cairn keygen --out FILE)');
  const key = loadOrCreateKey('', v.key as string, 'ed25519').key;
  let storage: PostgresStorage;
  try {
    storage = await PostgresStorage.open({ ...place, lead: false, leaseMs: v['lease-ms'] as number });
  } catch (e) {
    if (e instanceof CairnError) throw e;
    throw new CairnError('UNAVAILABLE', `cannot open the log in ${describePlace(place)}: ${(e as Error).message}`);
  }
  let node: ElectedNode;
  try {
    node = await ElectedNode.open(storage, key, service, {
      claim: v['max-batch'] as number,
      onRole: hooks.onRole,
      onError: (e) => logger.warn({ err: e }, 'sequencer node'),
    });
  } catch (e) {
    await storage.close();
    throw e;
  }
  return { shards: Shards.single(node.log), node, close: () => node.close() };
}
