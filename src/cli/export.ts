import { existsSync, readFileSync, statSync } from 'node:fs';
import { syncDirectory, writeFileDurably } from '../durable-file.js';
import { dirname, join, resolve } from 'node:path';
import { encodeBundle } from '../client/index.js';
import { CairnError } from '../errors.js';
import { TileCache, openSnapshot, readManifest } from '../log/index.js';
import { openPostgresSnapshot, postgresPlace, type LogSnapshot, type PostgresPlace } from '../storage/index.js';
import { HASH_SIZE, TILE_WIDTH, bytesEqual, entriesPath, rootHash, tilePath, tilesBetween, tilesForSize } from '../merkle/index.js';
import { parseCheckpoint, splitNote } from '../note/index.js';
import type { Command } from './command.js';
import { dataOption } from './config.js';
import { Progress } from './progress.js';

export interface ExportResult {
  size: number;
  /** Files written this run (tiles, bundles, checkpoint). */
  written: number;
  /** Full tiles and bundles already present from an earlier run. */
  kept: number;
}

/**
 * exportLog writes the log in dataDir as static tlog-tiles files under outDir: the same paths and
 * bytes the server serves, so any static web server can serve the log. It reads one snapshot of
 * the database (read-only, safe beside a running server). Full tiles and bundles never change, so
 * those already exported are kept; partial ones are (re)written at the current width. Every file
 * goes through a temporary name, fsync and rename, and the checkpoint goes last: a reader never
 * sees a checkpoint whose tiles are missing. Partials of earlier widths are left in place, since
 * readers holding an earlier checkpoint still need them.
 */
export interface ExportOptions {
  /**
   * A size this process already exported from this log and checked (export --follow): tiles that
   * were full then are skipped without looking at the disk; only what grew is written.
   */
  since?: number;
  onProgress?: (entries: number, size: number) => void;
}

export function exportLog(dataDir: string, outArg: string, opts: ExportOptions = {}): ExportResult {
  const snap = openSnapshot(dataDir); // one snapshot for checkpoint, tiles and entries
  try {
    return exportSnapshot(snap, outArg, opts);
  } finally {
    snap.close();
  }
}

/** exportSnapshot writes one snapshot of a log (either engine) as static files; see exportLog. */
export function exportSnapshot(snap: LogSnapshot, outArg: string, opts: ExportOptions = {}): ExportResult {
  const outDir = resolve(outArg);
  const cp = snap.latest();
  const origin = snap.identity()?.origin;
  if (!cp || origin === undefined) throw new CairnError('CORRUPT', 'the database holds no checkpoint');
  // Full tiles are checked against their parents as they load, as the server's are.
  const tiles = new TileCache((l, i) => snap.tile(l, i), 16);
  // Refuse to publish a tree the stored tiles do not support.
  if (!bytesEqual(rootHash(cp.size, tiles.readNodes), cp.rootHash)) {
    throw new CairnError('CORRUPT', `stored tiles do not hash to the checkpoint at size ${cp.size}; run cairn verify-db`);
  }
  checkPrevious(outDir, origin, cp.size, cp.rootHash, tiles);

  const result: ExportResult = { size: cp.size, written: 0, kept: 0 };
  const written = new Set<string>(); // directories that gained files
  const since = opts.since !== undefined && opts.since <= cp.size ? opts.since : undefined;
  for (const t of since === undefined ? tilesForSize(cp.size) : tilesBetween(since, cp.size)) {
    const paths = [tilePath(t), ...(t.level === 0 ? [entriesPath(t.index, t.width)] : [])];
    const full = t.width === TILE_WIDTH;
    if (full && paths.every((p) => existsSync(join(outDir, p)))) {
      // Written whole or not at all (rename), so presence means complete; the size is a cheap sanity check.
      if (statSync(join(outDir, paths[0])).size !== TILE_WIDTH * HASH_SIZE) throw new CairnError('CORRUPT', `${join(outDir, paths[0])} is not a full tile`);
      result.kept++;
      continue;
    }
    const stored = tiles.read(t.level, t.index);
    if (!stored || stored.length < t.width * HASH_SIZE) throw new CairnError('CORRUPT', `stored tile ${t.level}/${t.index} is missing or short`);
    writeAtomic(join(outDir, paths[0]), stored.subarray(0, t.width * HASH_SIZE));
    written.add(dirname(join(outDir, paths[0])));
    result.written++;
    if (t.level === 0) {
      const start = t.index * TILE_WIDTH;
      const rows = snap.entries(start, start + t.width);
      if (rows.length !== t.width) throw new CairnError('CORRUPT', `entries ${start}..${start + t.width - 1} are not all stored`);
      writeAtomic(join(outDir, paths[1]), encodeBundle(rows.map((r) => r.body)));
      written.add(dirname(join(outDir, paths[1])));
      result.written++;
      opts.onProgress?.(start + t.width, cp.size);
    }
  }
  // The renames above must be durable before the checkpoint that refers to them is.
  const dirs = new Set<string>();
  for (let d of written) {
    // New directories are entries in their parents: sync those up to outDir too.
    for (; d.length >= outDir.length && !dirs.has(d); d = dirname(d)) dirs.add(d);
  }
  for (const d of dirs) syncDirectory(d);
  writeAtomic(join(outDir, 'checkpoint'), Buffer.from(cp.c2sp, 'utf8'));
  syncDirectory(outDir);
  result.written++;
  return result;
}

/**
 * checkPrevious refuses to export over another log's files, to roll an export back, or to extend
 * an export with a tree that does not contain the exported one (its full tiles would be kept).
 */
function checkPrevious(outDir: string, origin: string, size: number, root: Uint8Array, tiles: TileCache): void {
  const path = join(outDir, 'checkpoint');
  if (!existsSync(path)) return;
  let prev;
  try {
    prev = parseCheckpoint(splitNote(readFileSync(path, 'utf8')).text);
  } catch (e) {
    throw new CairnError('CONFIG', `${path} is not a checkpoint (${(e as Error).message}); export into an empty directory`);
  }
  if (prev.origin !== origin) throw new CairnError('CONFIG', `${outDir} holds the export of another log ("${prev.origin}")`);
  if (prev.size > size) throw new CairnError('CONFIG', `${outDir} holds a newer tree (size ${prev.size}) than this database (size ${size})`);
  if (prev.size === size && !bytesEqual(prev.rootHash, root)) {
    throw new CairnError('CONFIG', `${outDir} holds a different tree of the same size ${size}: not this log's export`);
  }
  if (prev.size < size && !bytesEqual(prev.rootHash, rootHash(prev.size, tiles.readNodes))) {
    throw new CairnError('CONFIG', `${outDir} holds a tree of size ${prev.size} that this log's tree does not contain: not this log's export`);
  }
}

/** writeAtomic is writeFileDurably with export's error: the directory could not be written. */
function writeAtomic(path: string, data: Uint8Array): void {
  try {
    writeFileDurably(path, data);
  } catch (e) {
    throw new CairnError('UNAVAILABLE', `cannot write ${path}: ${(e as Error).message}`);
  }
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'Write the log as static tlog-tiles files (checkpoint, tiles, entry bundles); re-runs add what is new; --follow keeps them current.',
  usage: 'cairn export (--data DIR | --database postgres://…[?schema=NAME]) --to OUT [--follow [--interval S]]  (every shard: the first at OUT, the others at OUT/shards/<name>)',
  options: [
    dataOption('Data directory of the log (opened read-only).'),
    { name: 'database', env: 'CAIRN_DATABASE_URL', type: 'string', help: 'A PostgreSQL log to export instead of --data (schema public unless ?schema=NAME).' },
    { name: 'to', env: 'CAIRN_EXPORT_DIR', type: 'string', help: 'Directory to write the static log into (created if missing).' },
    { name: 'follow', env: 'CAIRN_EXPORT_FOLLOW', type: 'bool', default: false, help: 'Keep running: export what the log adds every --interval seconds, until SIGTERM or SIGINT.' },
    { name: 'interval', env: 'CAIRN_EXPORT_INTERVAL', type: 'int', default: 1, min: 1, help: 'With --follow: seconds between passes.' },
  ],
  run: async (v) => {
    if (v.to === undefined) throw new CairnError('CONFIG', 'missing --to OUT');
    const [data, to] = [v.data as string, v.to as string];
    const place = v.database ? postgresPlace(v.database as string) : undefined;
    // Every shard, laid out as the server serves it: the first at the root, the others under
    // shards/<name>/. A PostgreSQL log has no shards.
    const shards = () => (place ? [undefined] : readManifest(data)?.shards ?? [undefined]).map((rec) => ({
      name: rec ? `shard ${rec.name}: ` : '',
      from: join(data, rec?.dir ?? ''),
      to: rec?.dir ? join(to, 'shards', rec.name) : to,
    }));
    const sizes = new Map<string, number>();
    let size = 0;
    const pass = async (): Promise<void> => {
      for (const sh of shards()) {
        const since = sizes.get(sh.from);
        const t0 = performance.now();
        const snap = place ? await postgresSnapshot(place, since) : openSnapshot(sh.from);
        const progress = new Progress('export', 'entries');
        let r: ExportResult;
        try {
          r = exportSnapshot(snap, sh.to, { since, onProgress: (done, total) => progress.update(done, total) });
        } finally {
          snap.close();
          progress.end();
        }
        const secs = ((performance.now() - t0) / 1000).toFixed(1);
        if (r.size !== since) console.log(`export: ${sh.name}tree size ${r.size}: wrote ${r.written} files, kept ${r.kept} full tiles already exported (${secs} s)`);
        sizes.set(sh.from, r.size);
        size = r.size;
      }
    };
    await pass();
    if (!v.follow) return 0;
    const stop = new StopSignal();
    try {
      while (!(await stop.sleep((v.interval as number) * 1000))) {
        try {
          await pass();
        } catch (e) {
          // A busy or briefly unreadable database is retried on the next pass; anything else
          // (another log, a damaged tree) ends the command.
          if ((e as CairnError).code !== 'UNAVAILABLE') throw e;
          console.error(`export: pass failed, retrying in ${v.interval as number} s: ${(e as Error).message}`);
        }
      }
    } finally {
      stop.dispose();
    }
    console.log(`export: stopped on ${stop.signal}; ${to} holds the log at tree size ${size}`);
    return 0;
  },
};

/**
 * postgresSnapshot reads a PostgreSQL log at one commit, only the entries of the tiles that grew
 * since the size already exported; a database that cannot be reached is UNAVAILABLE (retried by
 * --follow).
 */
async function postgresSnapshot(place: PostgresPlace, since: number | undefined): Promise<LogSnapshot> {
  try {
    return await openPostgresSnapshot(place, { entriesFrom: since === undefined ? 0 : since - (since % TILE_WIDTH) });
  } catch (e) {
    if (e instanceof CairnError) throw e;
    throw new CairnError('UNAVAILABLE', `cannot read the PostgreSQL log: ${(e as Error).message}`);
  }
}

/**
 * StopSignal turns the first SIGTERM or SIGINT into the end of the current or next sleep: a pass in
 * progress always finishes (its files and checkpoint are written whole) before the command ends.
 */
class StopSignal {
  signal?: string;
  private wake = (): void => {};
  private readonly on = (sig: NodeJS.Signals): void => {
    this.signal = sig;
    this.wake();
  };

  constructor() {
    process.on('SIGTERM', this.on);
    process.on('SIGINT', this.on);
  }

  /** sleep resolves true once a signal came (now or during the sleep), false after ms. */
  sleep(ms: number): Promise<boolean> {
    return new Promise((done) => {
      if (this.signal) return done(true);
      const t = setTimeout(() => done(false), ms);
      this.wake = () => {
        clearTimeout(t);
        done(true);
      };
    });
  }

  dispose(): void {
    process.off('SIGTERM', this.on);
    process.off('SIGINT', this.on);
  }
}
