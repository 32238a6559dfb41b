/**
 * Shards: a log that is frozen and replaced from time to time (Rekor v1 keeps several trees behind
 * one URL; Rekor v2 and Sunlight start a new log every six months). Each shard is a whole Log of
 * its own (tree ID, origin, key, database); the last one takes entries, the others are frozen
 * and read-only forever. Log indexes are virtual: a shard's entries are numbered after those of
 * every shard before it (ShardRecord.indexOffset). The manifest (shard-manifest.ts) is the list.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import { openSnapshot } from '../storage/index.js';
import { KEY_FILE } from './keyfile.js';
import { Log, type AnyLog } from './log.js';
import { randomTreeId, type LogConfig } from './open.js';
import { SHARDS_DIR, SHARD_NAME, readManifest, treeIdHex, writeManifest, type ShardManifest, type ShardRecord } from './shard-manifest.js';
import type { Receipt, Submission } from './types.js';

/** Shard is one log of the set and its manifest record. */
export interface Shard {
  readonly record: ShardRecord;
  readonly log: AnyLog;
}

/** RotateOptions name the new shard; each has a default (see Shards.rotate). */
export interface RotateOptions {
  name?: string;
  origin?: string;
  /** PKCS#8 PEM key file for the new shard; default: generated into its directory. */
  keyFile?: string;
  keyType?: 'ed25519' | 'ecdsa-p256';
}

/** ShardsConfig is a LogConfig for the whole set: origin and keyFile are the first shard's, as serve's flags have always meant. */
export type ShardsConfig = Omit<LogConfig, 'origin' | 'treeId' | 'indexOffset' | 'frozen'> & { origin?: string };

export class Shards {
  private readonly shards: Shard[];
  private rotating?: Promise<void>;
  private readonly listeners: ((s: Shard, previous: Shard) => void)[] = [];

  private constructor(
    shards: Shard[],
    private readonly cfg?: ShardsConfig,
  ) {
    this.shards = shards;
  }

  /**
   * open opens every shard of the log in cfg.dataDir. A data directory without a manifest is
   * one log: it becomes the first shard in place and the manifest is written (migration forward).
   * A frozen shard must still hold exactly what it was frozen with (CORRUPT otherwise).
   */
  static open(cfg: ShardsConfig): Shards {
    mkdirSync(cfg.dataDir, { recursive: true });
    let manifest = readManifest(cfg.dataDir);
    const opened: Shard[] = [];
    try {
      if (!manifest) {
        const log = Log.open({ ...cfg, origin: cfg.origin ?? storedOrigin(cfg.dataDir) });
        opened.push({ log, record: firstRecord(cfg, log) });
        manifest = { version: 1, shards: [opened[0].record] };
        writeManifest(cfg.dataDir, manifest);
        return new Shards(opened, cfg);
      }
      for (const record of manifest.shards) {
        const first = record.dir === '';
        const log = Log.open({
          ...cfg,
          dataDir: join(cfg.dataDir, record.dir),
          origin: first && cfg.origin !== undefined ? cfg.origin : record.origin,
          keyFile: record.keyFile ?? (first ? cfg.keyFile : undefined),
          treeId: record.treeId,
          indexOffset: record.indexOffset,
          frozen: record.frozen !== undefined,
        });
        opened.push({ log, record });
        checkShard(log, record);
      }
      return new Shards(opened, cfg);
    } catch (e) {
      for (const s of opened) void s.log.close();
      throw e;
    }
  }

  /** single is a set of one log that cannot rotate (embedding, tests): what createApp makes of a bare Log. */
  static single(log: AnyLog): Shards {
    const record: ShardRecord = { name: '1', treeId: log.treeId, origin: log.origin, dir: '', createdAt: 0, indexOffset: log.indexOffset };
    return new Shards([{ log, record }]);
  }

  /** list returns every shard, oldest first; the last is the active one. */
  get list(): readonly Shard[] {
    return this.shards;
  }

  /** active returns the shard that takes entries. */
  get active(): Shard {
    return this.shards[this.shards.length - 1];
  }

  /** size returns the virtual size: every entry of every shard. */
  get size(): number {
    const a = this.active;
    return a.record.indexOffset + a.log.size;
  }

  byTreeId(treeId: string): Shard | undefined {
    return this.shards.find((s) => s.record.treeId === treeId);
  }

  byName(name: string): Shard | undefined {
    return this.shards.find((s) => s.record.name === name);
  }

  /** locate returns the shard holding virtual log index v and v's index in it (it may be past the active shard's size). */
  locate(v: number): { shard: Shard; index: number } | undefined {
    for (const s of this.shards) {
      const end = s.record.frozen ? s.record.indexOffset + s.record.frozen.size : Infinity;
      if (v >= s.record.indexOffset && v < end) return { shard: s, index: v - s.record.indexOffset };
    }
    return undefined;
  }

  /**
   * append submits an entry to the active shard (Log.append's contract). During a rotation it
   * waits until the new shard is active: nothing is refused and nothing goes to the frozen one.
   */
  async append(sub: Submission): Promise<{ shard: Shard; receipt: Receipt }> {
    while (this.rotating) await this.rotating;
    const shard = this.active;
    return { shard, receipt: await shard.log.append(sub) };
  }

  /** onRotate calls f with each new active shard and the one it replaced, once the manifest says so. */
  onRotate(f: (s: Shard, previous: Shard) => void): void {
    this.listeners.push(f);
  }

  /**
   * rotate freezes the active shard and starts a new one, in this order: the new shard's log is
   * opened (its key and database created; nothing is routed to it yet), new uploads are held,
   * the old shard integrates what it has queued and signs its last checkpoint, the new shard
   * learns its first virtual index, the manifest is replaced (the commit point), and the held
   * uploads go to the new shard. A crash before the manifest is written leaves the old shard
   * active (with one more re-signed checkpoint) and an unused directory under shards/; after it,
   * the new shard is active. Nothing acknowledged is lost either way.
   */
  async rotate(o: RotateOptions = {}): Promise<Shard> {
    if (!this.cfg) throw new CairnError('CONFIG', 'this log was opened without its shard set; it cannot rotate');
    if (this.rotating) throw new CairnError('CONFIG', 'a rotation is already under way');
    const old = this.active;
    if (old.log.closed) throw new CairnError('UNAVAILABLE', 'the log is closing');
    const name = o.name ?? String(this.shards.length + 1);
    if (!SHARD_NAME.test(name)) throw new CairnError('CONFIG', `shard name "${name}" must match ${SHARD_NAME.source}`);
    const origin = o.origin ?? `${this.shards[0].record.origin}/shards/${name}`;
    for (const s of this.shards) {
      if (s.record.name === name) throw new CairnError('CONFIG', `a shard is already named "${name}"`);
      if (s.record.origin === origin) throw new CairnError('CONFIG', `shard ${s.record.name} already has the origin "${origin}"`);
    }
    let treeId = randomTreeId();
    while (this.byTreeId(treeId)) treeId = randomTreeId();
    const dir = `${SHARDS_DIR}/${treeIdHex(treeId)}`;
    mkdirSync(join(this.cfg.dataDir, dir), { recursive: true });
    const keyType = o.keyType ?? (old.log.key.type === 'ed25519' ? 'ed25519' : 'ecdsa-p256');
    const log = Log.open({ ...this.cfg, dataDir: join(this.cfg.dataDir, dir), origin, keyFile: o.keyFile, keyType, treeId });
    let release!: () => void;
    this.rotating = new Promise((r) => (release = r));
    let committed = false;
    try {
      const last = await old.log.freeze();
      const indexOffset = old.record.indexOffset + last.size;
      log.placeAt(indexOffset);
      const now = (this.cfg.now ?? Date.now)();
      const frozen = { at: now, size: last.size, rootHash: Buffer.from(last.rootHash).toString('hex') };
      const record: ShardRecord = { name, treeId, origin, dir, ...(o.keyFile && { keyFile: o.keyFile }), createdAt: now, indexOffset };
      const manifest: ShardManifest = { version: 1, shards: [...this.shards.map((s) => s.record), record] };
      manifest.shards[this.shards.length - 1] = { ...old.record, frozen };
      writeManifest(this.cfg.dataDir, manifest);
      committed = true;
      this.shards[this.shards.length - 1] = { log: old.log, record: manifest.shards[this.shards.length - 1] };
      const shard = { log, record };
      this.shards.push(shard);
      for (const f of this.listeners) f(shard, this.shards[this.shards.length - 2]);
      return shard;
    } catch (e) {
      if (committed) throw e; // a listener failed: the rotation itself stands
      // The manifest was not replaced: the old shard stays the active one, now and on the next start.
      old.log.thaw(this.cfg.heartbeatMs ?? 60_000);
      await log.close();
      throw e;
    } finally {
      this.rotating = undefined;
      release();
    }
  }

  /** close closes every shard: the active one as Log.close does, the frozen ones without signing anything. */
  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.log.close()));
  }
}

/** firstRecord describes the log already in the data directory as the first shard. */
function firstRecord(cfg: ShardsConfig, log: AnyLog): ShardRecord {
  // Its validity starts when its key was made (whole seconds: integrated times are floored).
  const keyPath = cfg.keyFile ?? join(cfg.dataDir, KEY_FILE);
  const createdAt = existsSync(keyPath) ? Math.floor(statSync(keyPath).mtimeMs / 1000) * 1000 : 0;
  return { name: '1', treeId: log.treeId, origin: log.origin, dir: '', createdAt, indexOffset: 0 };
}

/** storedOrigin returns the origin the log in dataDir was created with (a command run without --origin). */
function storedOrigin(dataDir: string): string {
  const snap = openSnapshot(dataDir);
  try {
    const origin = snap.identity()?.origin;
    if (origin === undefined) throw new CairnError('CONFIG', `no log in ${dataDir} yet: give --origin to create one`);
    return origin;
  } finally {
    snap.close();
  }
}

/** checkShard refuses a shard whose database is not the one the manifest names or has changed since it was frozen. */
function checkShard(log: AnyLog, r: ShardRecord): void {
  if (log.treeId !== r.treeId) throw new CairnError('CORRUPT', `shard ${r.name}: its database has tree ID ${log.treeId}, the manifest says ${r.treeId}`);
  if (log.origin !== r.origin && r.dir !== '') throw new CairnError('CORRUPT', `shard ${r.name}: origin ${log.origin} is not the manifest's ${r.origin}`);
  if (!r.frozen) return;
  const cp = log.latest();
  if (cp.size !== r.frozen.size || Buffer.from(cp.rootHash).toString('hex') !== r.frozen.rootHash) {
    throw new CairnError('CORRUPT', `frozen shard ${r.name} holds a tree of size ${cp.size}, not the size ${r.frozen.size} and root it was frozen with; run cairn verify-db`);
  }
}
