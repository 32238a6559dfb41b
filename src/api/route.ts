import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { Router, type Request } from 'express';
import { writeReply, type Reply } from './reply.js';

/** ApiRequest is what a handler sees of a request, however it arrived. */
export interface ApiRequest {
  method: string;
  /** The path without the query, as sent. */
  path: string;
  /** The query as node:querystring parses it (express 5's "simple" parser). */
  query: Record<string, unknown>;
  /** Named path parameters, decoded. */
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The raw body, as read by api/body.ts (empty when there was none). */
  body: Buffer;
}

/** Handler answers one route: request in, reply out. Bad input throws a CairnError (errors.ts maps it). */
export type Handler = (req: ApiRequest) => Reply | Promise<Reply>;

/**
 * Route is one endpoint, implemented once. path is express's pattern (every request can reach it
 * through express, which matches case-insensitively, with or without a trailing slash, and
 * answers HEAD and OPTIONS); fast, when set, recognises the canonical spelling of a hot route's URL
 * and returns its parameters, so the dispatcher (dispatch.ts) answers it without express's
 * per-request cost. Either way the same handler answers.
 */
export interface Route {
  method: 'GET' | 'POST';
  path: string | RegExp;
  handler: Handler;
  fast?: (url: string) => FastMatch | undefined;
  /**
   * cached, when set, returns the reply the handler gave before to this canonical URL (as fast
   * recognised it) and these request headers, if it can never change (full tiles and bundles:
   * tiles.ts), so the dispatcher writes it without calling the handler; otherwise undefined.
   */
  cached?: (url: string, headers: IncomingHttpHeaders) => Reply | undefined;
}

/** FastMatch is what Route.fast makes of a canonical URL: its path parameters and query. */
export interface FastMatch {
  params: Record<string, string>;
  query: Record<string, unknown>;
}

// Content negotiation as express did it (its accepts() wraps the same package).
const Negotiator = createRequire(import.meta.url)('negotiator') as new (req: { headers: IncomingHttpHeaders }) => { encodings(available: string[]): string[] };

// Clients send few distinct Accept-Encoding values: each is negotiated once (a bundle read would
// otherwise parse it again every time).
const GZIP_BY_ACCEPT = new Map<string | undefined, boolean>();
const MAX_ACCEPTS = 256;

/** acceptsGzip reports whether the client prefers gzip to identity (Accept-Encoding, as express's req.acceptsEncodings). */
export function acceptsGzip(req: { headers: IncomingHttpHeaders }): boolean {
  const accept = req.headers['accept-encoding'];
  let gz = GZIP_BY_ACCEPT.get(accept);
  if (gz === undefined) {
    gz = new Negotiator({ headers: { 'accept-encoding': accept } }).encodings(['gzip', 'identity'])[0] === 'gzip';
    if (GZIP_BY_ACCEPT.size >= MAX_ACCEPTS) GZIP_BY_ACCEPT.clear();
    GZIP_BY_ACCEPT.set(accept, gz);
  }
  return gz;
}

/** routeLabel is a route's name in metrics and request logs: its pattern, never the raw path. */
export function routeLabel(r: Route): string {
  return String(r.path);
}

/** expressRoutes mounts routes on an express router. */
export function expressRoutes(routes: readonly Route[]): Router {
  const router = Router();
  for (const r of routes) {
    const method = r.method === 'GET' ? 'get' : 'post';
    router[method](r.path, async (req, res) => writeReply(res, await r.handler(fromExpress(req))));
  }
  return router;
}

function fromExpress(req: Request): ApiRequest {
  return {
    method: req.method,
    path: req.path,
    query: req.query as Record<string, unknown>,
    params: req.params as Record<string, string>,
    headers: req.headers,
    body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
  };
}
