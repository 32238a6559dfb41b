import type { RequestHandler } from 'express';
import { sendError } from './errors.js';

/** MIB is the default request body limit. */
export const MIB = 1024 * 1024;

/**
 * bodySizeLimit answers 413 before reading a body whose declared Content-Length exceeds max. The
 * body parsers enforce the same limit on chunked bodies as they read them; this rejects the
 * honest-but-too-big ones without buffering a byte.
 */
export function bodySizeLimit(maxBytes: number): RequestHandler {
  return (req, res, next) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBytes) {
      res.set('Connection', 'close'); // the unread body would otherwise have to be drained
      return sendError(res, 413, `request body too large: ${declared} bytes, the limit is ${maxBytes}`);
    }
    next();
  };
}

export interface RateLimitOptions {
  /** Writes per second refilled into each client's bucket; 0 disables the limit. */
  perSecond: number;
  /** Bucket size: writes a client may make at once after being idle. */
  burst: number;
  /** Clock in milliseconds. */
  now?: () => number;
  /** Most clients tracked at once; past it the longest-idle are forgotten (they start full again). */
  maxClients?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * writeRateLimit is a token bucket per client IP on writes (any method but GET, HEAD, OPTIONS).
 * Reads are not limited: they are cheap and cacheable, while every write costs a signature and a
 * commit. The client is the socket's peer address: behind a proxy all clients share its bucket.
 */
export function writeRateLimit(o: RateLimitOptions): RequestHandler {
  if (o.perSecond <= 0) return (_req, _res, next) => next();
  const now = o.now ?? Date.now;
  const burst = Math.max(1, o.burst);
  const maxClients = o.maxClients ?? 100_000;
  // Map order is recency order: a client is re-inserted on every write, so the first keys are the
  // longest idle, and trimming from the front bounds memory under a flood of addresses.
  const buckets = new Map<string, Bucket>();
  return (req, res, next) => {
    if (SAFE.has(req.method)) return next();
    const client = req.socket.remoteAddress ?? 'unknown';
    const t = now();
    const b = buckets.get(client) ?? { tokens: burst, at: t };
    buckets.delete(client);
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * o.perSecond);
    b.at = t;
    buckets.set(client, b);
    if (buckets.size > maxClients) buckets.delete(buckets.keys().next().value!);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return next();
    }
    const wait = Math.max(1, Math.ceil((1 - b.tokens) / o.perSecond));
    res.set('Retry-After', String(wait));
    sendError(res, 429, `too many writes from this client: the limit is ${o.perSecond}/s with bursts of ${burst}; retry in ${wait} s`);
  };
}
