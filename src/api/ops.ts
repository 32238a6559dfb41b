import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { AnyLog } from '../log/index.js';
import type { Metrics } from './metrics.js';
import type { Route } from './route.js';
import { VERSION } from '../version.js';

/** ReadinessOptions tunes what GET /readyz calls unready. */
export interface ReadinessOptions {
  /** A submission waiting this long without being integrated means the sequencer is stalled. */
  stallMs: number;
  now?: () => number;
}

export interface Check {
  ok: boolean;
  detail?: string;
}

/**
 * Readiness tracks what a probe cannot see in one look: the sequencer's last failure (wire
 * noteError/noteBatch to LogConfig.onError/onBatch) and whether the process is draining for
 * shutdown. check() adds live probes of the database, the signer and the sequencer queue.
 */
export class Readiness {
  private lastError?: string;
  private draining = false;
  private role?: () => string;
  private readonly stallMs: number;
  private readonly now: () => number;
  private readonly probes = new Map<string, () => Promise<Check>>();

  constructor(opts: Partial<ReadinessOptions> = {}) {
    this.stallMs = opts.stallMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  /** noteBatch records a committed batch: storage works again. */
  noteBatch(): void {
    this.lastError = undefined;
  }

  /** noteError records a failed batch commit. */
  noteError(e: unknown): void {
    this.lastError = e instanceof Error ? e.message : String(e);
  }

  /** bindRole makes /readyz say this node's part in a log many nodes serve ('leader' or 'follower'). */
  bindRole(role: () => string): void {
    this.role = role;
  }

  /** drain marks the process as shutting down: load balancers should stop sending traffic. */
  drain(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** addCheck adds a named probe to every check() (the primary of `serve --workers` asks its workers); a probe that throws fails. */
  addCheck(name: string, probe: () => Promise<Check>): void {
    this.probes.set(name, probe);
  }

  async check(log: AnyLog): Promise<{ ready: boolean; role?: string; checks: Record<string, Check> }> {
    const checks: Record<string, Check> = {
      database: await this.database(log),
      signer: signer(log),
      sequencer: this.sequencer(log),
    };
    for (const [name, probe] of this.probes) checks[name] = await probe().catch((e: unknown) => ({ ok: false, detail: e instanceof Error ? e.message : String(e) }));
    if (this.draining) checks.shutdown = { ok: false, detail: 'shutting down' };
    return { ready: Object.values(checks).every((c) => c.ok), role: this.role?.(), checks };
  }

  private async database(log: AnyLog): Promise<Check> {
    const problem = await log.storageProblem();
    if (problem) return { ok: false, detail: problem };
    // Neither probe commits, so neither sees a commit fail (disk full, I/O error): the sequencer does.
    if (this.lastError) return { ok: false, detail: `last batch failed: ${this.lastError}` };
    return { ok: true };
  }

  private sequencer(log: AnyLog): Check {
    const since = log.oldestPendingAt;
    const waitMs = since === undefined ? 0 : this.now() - since;
    if (waitMs > this.stallMs) {
      return { ok: false, detail: `stalled: ${log.pending} pending, oldest waiting ${Math.round(waitMs / 1000)} s` };
    }
    return { ok: true, detail: `${log.pending} pending` };
  }
}

const PROBE = new TextEncoder().encode('cairn readiness probe\n');

function signer(log: AnyLog): Check {
  try {
    if (log.key.sign(PROBE).length === 0) return { ok: false, detail: 'signer returned an empty signature' };
    return { ok: true };
  } catch (e) {
    return { ok: false, detail: `cannot sign: ${(e as Error).message}` };
  }
}

/** opsRoutes serve what operators poll: liveness, readiness, metrics. */
export function opsRoutes(active: () => AnyLog, readiness: Readiness, metrics: Metrics): Route[] {
  const NO_STORE = { 'Cache-Control': 'no-store' };
  return [
    // Alive: the event loop answers. Nothing else, so a restart is never triggered by a full disk.
    { method: 'GET', path: '/healthz', handler: () => ({ status: 200, headers: { ...NO_STORE, 'Content-Type': 'application/json; charset=utf-8' }, body: '{"status":"ok"}' }) },
    {
      method: 'GET',
      path: '/readyz',
      handler: async () => {
        const { ready, role, checks } = await readiness.check(active());
        // role is present only on a node of a log many nodes serve (undefined keys are left out).
        const body = JSON.stringify({ status: ready ? 'ready' : 'not ready', version: VERSION, role, checks });
        return { status: ready ? 200 : 503, headers: { ...NO_STORE, 'Content-Type': 'application/json; charset=utf-8' }, body };
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handler: async () => {
        const { contentType, body } = await metrics.render();
        return { status: 200, headers: { ...NO_STORE, 'Content-Type': contentType }, body };
      },
    },
  ];
}

/** routeOf returns the matched route pattern of a request, or a fixed placeholder, never the raw path. */
function routeOf(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  if (!route || route.path === undefined) return 'unmatched';
  return (req.baseUrl ?? '') + String(route.path);
}

/**
 * observeRequests counts, times and logs every request when its response is done: one metric
 * update and one log line (method, route, status, ms). Bodies, headers and client addresses are
 * never logged.
 */
export function observeRequests(metrics: Metrics, logger: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    // express leaves req.route set once a route matched
    recordRequest(metrics, logger, req, res, () => routeOf(req), () => res.locals.error);
    next();
  };
}

/**
 * recordRequest counts, times and logs one request when its response closes: one metric update
 * and one log line. Shared by the express middleware and the fast read path (fast.ts).
 */
export function recordRequest(metrics: Metrics, logger: Logger, req: IncomingMessage, res: ServerResponse, route: () => string, error: () => unknown = () => undefined): void {
  const t0 = process.hrtime.bigint();
  res.once('close', () => {
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const status = res.writableFinished ? res.statusCode : 499; // 499: the client went away first
    const r = route();
    metrics.observeRequest(r, req.method ?? '', status, seconds);
    const line = { method: req.method, route: r, status, ms: Math.round(seconds * 1e4) / 10 };
    if (status >= 500) logger.error({ ...line, err: error() }, 'request failed');
    else logger.info(line, 'request');
  });
}

/** captureError keeps a failed request's error for its log line, then hands it on to the error handler. */
export function captureError(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  res.locals.error = err;
  next(err);
}

/** whileDraining tells keep-alive clients to reconnect elsewhere once shutdown has begun. */
export function whileDraining(readiness: Readiness): RequestHandler {
  return (_req, res, next) => {
    if (readiness.isDraining) res.set('Connection', 'close');
    next();
  };
}
