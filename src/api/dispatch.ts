import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { hasBody, readBody } from './body.js';
import { replyFor } from './errors.js';
import { clientOf, refusalReply, type WriteLimiter } from './limits.js';
import type { Metrics } from './metrics.js';
import { recordRequest, type Readiness } from './ops.js';
import { writeReply } from './reply.js';
import { routeLabel, type FastMatch, type Route } from './route.js';

/** DispatchContext is the request pipeline's state, shared with the express middleware (app.ts). */
export interface DispatchContext {
  metrics: Metrics;
  logger: Logger;
  readiness: Readiness;
  limiter: WriteLimiter;
  maxBodyBytes: number;
}

/** Dispatcher is the API's request listener, and answerKept for a caller that wants only the answers kept for good. */
export type Dispatcher = RequestListener & {
  /**
   * answerKept writes req's answer if it is kept for good (Route.cached: a GET of a full tile or
   * bundle, without a body, while not draining) and returns true; otherwise it does nothing and
   * returns false. The listener tries it first itself; serve --workers also asks it before a
   * worker catches up with the primary, which such an answer does not depend on, with also (its
   * x-cairn-worker header) set first.
   */
  answerKept(req: IncomingMessage, res: ServerResponse, also?: Record<string, string>): boolean;
};

interface FastRoute {
  r: Route;
  label: string;
  m: FastMatch;
}

/**
 * dispatcher returns the request listener of the API: a URL one of routes recognises in its
 * canonical spelling (Route.fast) is answered here, everything else by express, which has every
 * route too. Why: measured here, express 5's per-request setup costs ~100 µs (a bare express app
 * serves ~8,400 trivial requests/s where node:http serves ~40,000), more than a third of a proof
 * read. The pipeline is express's, in its order, from the same functions: counted and logged
 * (recordRequest), Connection: close while draining, the write rate limit (429 counted as
 * "unmatched", as express has matched no route yet), the body read (readBody), the handler, and
 * its reply or error (writeReply, replyFor). A GET whose answer is kept (Route.cached) has nothing
 * to do in that pipeline but be counted and logged: it is written as it is, without the handler.
 */
export function dispatcher(app: Express, routes: readonly Route[], ctx: DispatchContext): Dispatcher {
  const fast = routes.filter((r) => r.fast).map((r) => ({ r, label: routeLabel(r) }));
  const match = (req: IncomingMessage): FastRoute | undefined => {
    const url = req.url ?? '';
    for (const { r, label } of fast) {
      if (r.method !== req.method) continue;
      const m = r.fast!(url);
      if (m) return { r, label, m };
    }
    return undefined;
  };
  const kept = (f: FastRoute, req: IncomingMessage, res: ServerResponse, also?: Record<string, string>): boolean => {
    // No limit applies to a GET, it has no body to read, and no Connection: close is due.
    if (!f.r.cached || ctx.readiness.isDraining || hasBody(req)) return false;
    const reply = f.r.cached(req.url!, req.headers);
    if (!reply) return false;
    recordRequest(ctx.metrics, ctx.logger, req, res, () => f.label);
    for (const name in also) res.setHeader(name, also[name]);
    writeReply(res, reply);
    return true;
  };
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const f = match(req);
    if (!f) return void app(req, res);
    if (!kept(f, req, res)) answer(ctx, f, req, res);
  };
  return Object.assign(listener, {
    answerKept: (req: IncomingMessage, res: ServerResponse, also?: Record<string, string>) => {
      const f = match(req);
      return f !== undefined && kept(f, req, res, also);
    },
  });
}

function answer(ctx: DispatchContext, { r, label: routeLabel, m }: FastRoute, req: IncomingMessage, res: ServerResponse): void {
  let label = routeLabel;
  let error: unknown;
  recordRequest(ctx.metrics, ctx.logger, req, res, () => label, () => error);
  if (ctx.readiness.isDraining) res.setHeader('Connection', 'close');
  if (r.method !== 'GET') {
    const refused = ctx.limiter.take(clientOf(req));
    if (refused) {
      label = 'unmatched';
      return writeReply(res, refusalReply(refused));
    }
  }
  readBody(
    req,
    res,
    ctx.maxBodyBytes,
    (body) => {
      const path = req.url!.split('?', 1)[0];
      Promise.resolve()
        .then(() => r.handler({ method: r.method, path, query: m.query, params: m.params, headers: req.headers, body }))
        .then(
          (reply) => writeReply(res, reply),
          (e: unknown) => {
            error = e;
            writeReply(res, replyFor(e));
          },
        )
        .catch((e: unknown) => {
          error = e; // writing the answer failed: nothing more to say to this client
          res.destroy();
        });
    },
    () => (label = 'unmatched'), // as in express, where bodies are read before routing
  );
}
