import { createServer, type Server } from 'node:http';
import express from 'express';
import { pino } from 'pino';
import type { Admitted } from '../kinds/index.js';
import { admitEntry } from '../kinds/index.js';
import { Shards, type AnyLog } from '../log/index.js';
import { admitBody } from './admission.js';
import { rawBody } from './body.js';
import { dispatcher, type Dispatcher } from './dispatch.js';
import { errorHandler } from './errors.js';
import { MIB, WriteLimiter, writeRateLimit } from './limits.js';
import { Metrics } from './metrics.js';
import { Readiness, captureError, observeRequests, opsRoutes, whileDraining } from './ops.js';
import type { AppOptions } from './options.js';
import { RekorEntries } from './rekor-entries.js';
import { ShardViews } from './shards.js';
import { rekorRoutes } from './rekor.js';
import { errorReply, writeReply } from './reply.js';
import { expressRoutes } from './route.js';
import { tileRoutes } from './tiles.js';
import { explorerRoutes } from './explorer.js';
import { admitV2Body } from './admission-v2.js';
import { RekorV2, rekorV2Routes } from './rekor-v2.js';
import { timestampRoutes } from './timestamp.js';

export type { AppOptions } from './options.js';

/** App is the API's request listener (for http.createServer or supertest), its answerKept (dispatch.ts), and listen() for tests. */
export type App = Dispatcher & { listen(port: number, host: string, cb?: () => void): Server };

/**
 * createApp builds the HTTP application over a log: the one place routes and the request pipeline
 * are assembled. Every route is a handler (route.ts) mounted on express; the hot ones are also
 * answered by the dispatcher in front of it (dispatch.ts) when their URL is spelled canonically.
 */
export function createApp(logs: AnyLog | Shards, options: Partial<AppOptions> & Pick<AppOptions, 'publicUrl'>): App {
  const shards = new ShardViews(logs instanceof Shards ? logs : Shards.single(logs));
  const log = shards.active.log;
  const opts: AppOptions = {
    checkpointNote: (cp) => cp.c2sp,
    maxBodyBytes: MIB,
    immutableCacheBytes: 64 * MIB,
    metrics: options.metrics ?? new Metrics({ processMetrics: false }).bindLog(log),
    logger: pino({ level: 'silent' }),
    rateLimit: { perSecond: 0, burst: 0 },
    readiness: new Readiness(),
    ...options,
  };
  const pool = opts.admission;
  // One admission path: the pool's worker threads, or the main thread when there is none.
  const admit = pool ? (b: Uint8Array) => pool.admit(b) : (b: Uint8Array) => new Promise<Admitted>((resolve) => resolve(admitBody(b)));
  const entries = new RekorEntries(shards, opts.publicUrl, admit, opts.maxBodyBytes, admitEntry);
  const admitV2 = pool ? (b: Uint8Array) => pool.admit(b, true) : (b: Uint8Array) => new Promise<Admitted>((resolve) => resolve(admitV2Body(b)));
  const routes = [
    ...opsRoutes(() => shards.active.log, opts.readiness, opts.metrics),
    ...tileRoutes(shards, opts),
    ...rekorRoutes(shards, entries, opts.maxBodyBytes),
    ...rekorV2Routes(new RekorV2(shards.shards, admitV2), shards),
    ...(opts.tsa ? timestampRoutes(opts.tsa) : []),
    ...explorerRoutes(),
  ];
  const limiter = new WriteLimiter(opts.rateLimit);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Operations first: every request is counted and logged, and limits apply before any route.
  app.use(observeRequests(opts.metrics, opts.logger));
  app.use(whileDraining(opts.readiness));
  app.use(writeRateLimit(limiter));
  app.use(rawBody(opts.maxBodyBytes));
  app.use(expressRoutes(routes));
  app.use((_req, res) => writeReply(res, errorReply(404, 'not found')));
  app.use(captureError);
  app.use(errorHandler);

  const listener = dispatcher(app, routes, { metrics: opts.metrics, logger: opts.logger, readiness: opts.readiness, limiter, maxBodyBytes: opts.maxBodyBytes });
  return Object.assign(listener, { listen: (port: number, host: string, cb?: () => void) => createServer(listener).listen(port, host, cb) });
}
