import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { encodeBundle } from '../client/index.js';
import { CairnError } from '../errors.js';
import { TILE_WIDTH, parseTilePath, tileWidthAt } from '../merkle/index.js';
import type { Log } from '../log/index.js';
import type { AppOptions } from './options.js';
import { replyFor } from './errors.js';
import type { Reply } from './reply.js';
import { acceptsGzip, type ApiRequest, type Route } from './route.js';
import { ImmutableCache } from './immutable-cache.js';

// Compression runs on libuv's thread pool: a 256-entry bundle would otherwise hold the event loop,
// and with it the sequencer, for milliseconds.
const gzip = promisify(gzipCb);

const IMMUTABLE = 'public, max-age=31536000, immutable';
// A partial tile's bytes never change either (it is a prefix of the final tile), but the spec
// lets logs drop partials once the full tile exists, so caches should not hold them for long.
const PARTIAL = 'public, max-age=60';
// Tiles past the tree will exist soon: a 404 must not be cached.
const NO_STORE = 'no-store';

/**
 * tileRoutes serve the C2SP tlog-tiles read API (shared/specs/tlog-tiles.md): the checkpoint,
 * Merkle tree tiles and entry bundles. Everything is bounded by the latest checkpoint's size, so
 * a client never sees a hash or entry that no signed tree covers yet.
 */
export function tileRoutes(log: Log, opts: AppOptions): Route[] {
  const cache = new ImmutableCache(opts.immutableCacheBytes, (kind, hit) => opts.metrics.observeCache(kind, hit));
  opts.metrics.bindCache(() => cache.bytes);
  const checkpoint = (): Reply => ({
    status: 200,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, max-age=0' },
    body: opts.checkpointNote(log.latest()),
  });
  const tiles = async (req: ApiRequest): Promise<Reply> => {
    try {
      return await tileReply(log, cache, req);
    } catch (e) {
      const r = replyFor(e);
      r.headers['Cache-Control'] = NO_STORE; // tiles past the tree will exist soon: no answer but a tile may be cached
      return r;
    }
  };
  return [
    { method: 'GET', path: '/checkpoint', handler: checkpoint, fast: (url) => (url === '/checkpoint' ? NO_PARAMS : undefined) },
    // Express lowercases nothing and decodes nothing in req.path; parseTilePath accepts only the
    // canonical spelling, so traversal, percent-encoding and padding variants are all 400.
    { method: 'GET', path: /^\/tile\//, handler: tiles, fast: (url) => (url.startsWith('/tile/') && !url.includes('?') ? NO_PARAMS : undefined) },
  ];
}

const NO_PARAMS = { params: {}, query: {} };

async function tileReply(log: Log, cache: ImmutableCache, req: ApiRequest): Promise<Reply> {
  const t = parseTilePath(req.path.slice(1));
  const size = log.latest().size;
  // A partial of width W is served while the tree has at least W hashes there: it is then the
  // tile at some size at or below the current one. Wider than the tree has is a 404, never a guess.
  if (tileWidthAt(size, t.level, t.index) < t.width) {
    throw new CairnError('NOT_FOUND', `${req.path.slice(1)} is beyond the tree of size ${size}`);
  }
  const full = t.width === TILE_WIDTH;
  const headers: Record<string, string> = { 'Cache-Control': full ? IMMUTABLE : PARTIAL, 'Content-Type': 'application/octet-stream' };
  if (!t.entries) {
    let body = full ? cache.get('tile', req.path) : undefined;
    if (!body) {
      body = asBuffer(log.tile(t.level, t.index, t.width));
      if (full) cache.set(req.path, body);
    }
    return { status: 200, headers, body };
  }
  // Bundles SHOULD be compressed (the spec): gzipped when the client accepts it.
  headers.Vary = 'Accept-Encoding';
  const gz = acceptsGzip(req);
  const key = gz ? `${req.path} gzip` : req.path;
  let body = full ? cache.get('bundle', key) : undefined;
  if (!body) {
    const raw = asBuffer(bundle(log, t.index, t.width));
    body = gz ? await gzip(raw) : raw;
    if (full) cache.set(key, body);
  }
  if (gz) headers['Content-Encoding'] = 'gzip';
  return { status: 200, headers, body };
}

function bundle(log: Log, index: number, width: number): Uint8Array {
  const start = index * TILE_WIDTH;
  const rows = log.entries(start, start + width);
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
