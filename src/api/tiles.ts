import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { encodeBundle } from '../client/index.js';
import { CairnError } from '../errors.js';
import { TILE_WIDTH, parseTilePath, tileWidthAt } from '../merkle/index.js';
import type { AnyLog } from '../log/index.js';
import type { AppOptions } from './options.js';
import { replyFor } from './errors.js';
import { readyReply, type Reply } from './reply.js';
import { acceptsGzip, type ApiRequest, type Route } from './route.js';
import { ImmutableCache, type KeptReply } from './immutable-cache.js';
import type { ShardViews } from './shards.js';

// Compression runs on libuv's thread pool: a 256-entry bundle would otherwise hold the event loop,
// and with it the sequencer, for milliseconds.
const gzip = promisify(gzipCb);

const IMMUTABLE = 'public, max-age=31536000, immutable';
// A partial tile's bytes never change either (it is a prefix of the final tile), but the spec
// lets logs drop partials once the full tile exists, so caches should not hold them for long.
const PARTIAL = 'public, max-age=60';
// Tiles past the tree will exist soon: a 404 must not be cached.
const NO_STORE = 'no-store';

// A shard's tiles live under /shards/<name>/ (log/shard-manifest.ts SHARD_NAME).
const SHARD_PREFIX = /^\/shards\/([a-z0-9][a-z0-9._-]{0,62})(\/.*)$/;

/**
 * tileRoutes serve the C2SP tlog-tiles read API (shared/specs/tlog-tiles.md): the checkpoint,
 * Merkle tree tiles and entry bundles. Everything is bounded by the latest checkpoint's size, so
 * a client never sees a hash or entry that no signed tree covers yet. Every shard is served under
 * /shards/<name>/; the root paths stay the first shard's forever, since its full tiles were
 * served there as immutable and caches may hold them for a year.
 */
export function tileRoutes(shards: ShardViews, opts: AppOptions): Route[] {
  const cache = new ImmutableCache(opts.immutableCacheBytes, (kind, hit) => opts.metrics.observeCache(kind, hit));
  opts.metrics.bindCache(() => cache.bytes);
  // The shard a path names, and the path inside it.
  const target = (path: string): { log: AnyLog; path: string } => {
    const m = SHARD_PREFIX.exec(path);
    return m ? { log: shards.byName(m[1]).log, path: m[2] } : { log: shards.all()[0].log, path };
  };
  const checkpoint = async (req: ApiRequest): Promise<Reply> => {
    const { log } = target(req.path);
    return {
      status: 200,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, max-age=0' },
      body: opts.checkpointNote(await log.latest(), log),
    };
  };
  const tiles = async (req: ApiRequest): Promise<Reply> => {
    try {
      const t = target(req.path);
      return await tileReply(t.log, cache, t.path, req.path, req);
    } catch (e) {
      const r = replyFor(e);
      r.headers['Cache-Control'] = NO_STORE; // tiles past the tree will exist soon: no answer but a tile may be cached
      return r;
    }
  };
  const isTile = (url: string) => !url.includes('?') && (url.startsWith('/tile/') || /^\/shards\/[^/]+\/tile\//.test(url));
  return [
    { method: 'GET', path: '/checkpoint', handler: checkpoint, fast: (url) => (url === '/checkpoint' ? NO_PARAMS : undefined) },
    // Express lowercases nothing and decodes nothing in req.path; parseTilePath accepts only the
    // canonical spelling, so traversal, percent-encoding and padding variants are all 400.
    {
      method: 'GET',
      path: /^\/tile\//,
      handler: tiles,
      fast: (url) => (isTile(url) ? NO_PARAMS : undefined),
      // What tileReply kept under the same key: the URL is the path (no query), as for the handler.
      cached: (url, headers) => (url.includes(BUNDLE) ? cache.hit('bundle', bundleKey(url, acceptsGzip({ headers }))) : cache.hit('tile', url)),
    },
    { method: 'GET', path: /^\/shards\/[^/]+\/checkpoint$/, handler: checkpoint, fast: (url) => (/^\/shards\/[^/?]+\/checkpoint$/.test(url) ? NO_PARAMS : undefined) },
    { method: 'GET', path: /^\/shards\/[^/]+\/tile\//, handler: tiles },
  ];
}

const NO_PARAMS = { params: {}, query: {} };
const BUNDLE = '/tile/entries/';

/** bundleKey is a full bundle's key in the cache: its path and its encoding. */
function bundleKey(path: string, gz: boolean): string {
  return gz ? `${path} gzip` : path;
}

/**
 * tileReply answers the tile or bundle at path (inside its shard: parseTilePath's input). Full
 * ones are kept in cache under the request's path (url): a URL names the same tile forever, the
 * root paths the first shard's and /shards/<name>/ that shard's.
 */
async function tileReply(log: AnyLog, cache: ImmutableCache, path: string, url: string, req: ApiRequest): Promise<Reply> {
  const t = parseTilePath(path.slice(1));
  const size = (await log.latest()).size;
  // A partial of width W is served while the tree has at least W hashes there: it is then the
  // tile at some size at or below the current one. Wider than the tree has is a 404, never a guess.
  if (tileWidthAt(size, t.level, t.index) < t.width) {
    throw new CairnError('NOT_FOUND', `${path.slice(1)} is beyond the tree of size ${size}`);
  }
  const full = t.width === TILE_WIDTH;
  const headers: Record<string, string> = { 'Cache-Control': full ? IMMUTABLE : PARTIAL, 'Content-Type': 'application/octet-stream' };
  if (!t.entries) {
    const kept = full ? cache.get('tile', url) : undefined;
    if (kept) return kept;
    const reply = { status: 200, headers, body: asBuffer(await log.tile(t.level, t.index, t.width)) };
    return full ? keep(cache, url, reply) : reply;
  }
  // Bundles SHOULD be compressed (the spec): gzipped when the client accepts it.
  headers.Vary = 'Accept-Encoding';
  const gz = acceptsGzip(req);
  const key = bundleKey(url, gz);
  const kept = full ? cache.get('bundle', key) : undefined;
  if (kept) return kept;
  const raw = asBuffer(await bundle(log, t.index, t.width));
  if (gz) headers['Content-Encoding'] = 'gzip';
  const reply = { status: 200, headers, body: gz ? await gzip(raw) : raw };
  return full ? keep(cache, key, reply) : reply;
}

/** keep caches a full tile's or bundle's reply, ready to be written again, and returns it. */
function keep(cache: ImmutableCache, key: string, reply: KeptReply): Reply {
  const ready = readyReply(reply) as KeptReply;
  cache.set(key, ready);
  return ready;
}

async function bundle(log: AnyLog, index: number, width: number): Promise<Uint8Array> {
  const start = index * TILE_WIDTH;
  const rows = await log.entries(start, start + width);
  if (rows.length !== width) throw new CairnError('CORRUPT', `entries ${start}..${start + width - 1} are not all stored`);
  try {
    return encodeBundle(rows.map((e) => e.body));
  } catch (e) {
    // An entry too big for the uint16 prefix is a server-side limit problem, not the client's.
    throw new CairnError('CORRUPT', `entry bundle ${index}: ${(e as Error).message}`);
  }
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
