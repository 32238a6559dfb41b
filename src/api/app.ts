import express, { type Express } from 'express';
import { pino, type Logger } from 'pino';
import type { Admitted } from '../kinds/index.js';
import type { Log, SignedCheckpoint } from '../log/index.js';
import { Metrics } from './metrics.js';
import { errorHandler, sendError } from './errors.js';
import { MIB, WriteLimiter, writeRateLimit, type RateLimitOptions } from './limits.js';
import { rawBody } from './body.js';
import { admitBody } from './admission.js';
import type { AdmitPool } from './admit-pool.js';
import { admitEntry } from '../kinds/index.js';
import { RekorEntries } from './rekor-entries.js';
import { Readiness, captureError, observeRequests, opsRoutes, whileDraining } from './ops.js';
import type { FastReadsContext } from './fast.js';
import { rekorRoutes } from './rekor.js';
import { RekorFormatter } from './rekor-format.js';
import { tileRoutes } from './tiles.js';
import { explorerRoutes } from './explorer.js';

export interface AppOptions {
  /** URL clients reach the log at (used in Location headers). */
  publicUrl: string;
  /** The C2SP note served for a checkpoint: by default its own text; witnessing appends cosignatures. */
  checkpointNote: (cp: SignedCheckpoint) => string;
  /** Largest request body accepted (bytes); larger ones get 413. */
  maxBodyBytes: number;
  /** Collectors GET /metrics renders; HTTP requests are recorded into them. */
  metrics: Metrics;
  /** Request and error log lines. */
  logger: Logger;
  /** Per-client write rate limit (perSecond 0: off). */
  rateLimit: RateLimitOptions;
  /** What GET /readyz reports (sequencer failures, draining). */
  readiness: Readiness;
  /** Bytes of memory for finished full tiles and entry bundles (ImmutableCache; 0: off). */
  immutableCacheBytes: number;
  /** Worker threads that admit uploads taken by the fast path (fast.ts); without it, the main thread does. */
  admission?: AdmitPool;
}

/** createApp builds the HTTP application over a log: the one place routes and middleware are assembled. */
export function createApp(log: Log, options: Partial<AppOptions> & Pick<AppOptions, 'publicUrl'>): Express {
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
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // Operations first: every request is counted and logged, and limits apply before any route.
  app.use(observeRequests(opts.metrics, opts.logger));
  app.use(whileDraining(opts.readiness));
  const limiter = new WriteLimiter(opts.rateLimit);
  app.use(writeRateLimit(limiter));
  app.use(rawBody(opts.maxBodyBytes));

  const fmt = new RekorFormatter(log);
  const entries = new RekorEntries(log, fmt, opts.publicUrl, admitEntry);
  app.use(opsRoutes(log, opts));
  app.use(tileRoutes(log, opts));
  app.use(rekorRoutes(log, opts, fmt, entries));
  app.use(explorerRoutes());
  // What withFastReads (fast.ts) needs to answer hot reads and plain uploads the way these routes do.
  const pool = opts.admission;
  const admit = pool ? (b: Uint8Array) => pool.admit(b) : (b: Uint8Array) => new Promise<Admitted>((resolve) => resolve(admitBody(b)));
  app.locals.fastReads = {
    log,
    fmt,
    metrics: opts.metrics,
    logger: opts.logger,
    readiness: opts.readiness,
    uploads: { entries, maxBodyBytes: opts.maxBodyBytes, limiter, admit },
  } satisfies FastReadsContext;

  app.use((_req, res) => sendError(res, 404, 'not found'));
  app.use(captureError);
  app.use(errorHandler);
  return app;
}
