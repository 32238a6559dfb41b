/**
 * `cairn serve --workers N` (N > 1): node:cluster worker processes share the listening port.
 * The primary runs today's server (serve.ts: the log, its sequencer, admission, cosigners) on a
 * private loopback port; each worker runs the same app (createApp) over a read-only follower Log
 * on the same SQLite files and answers the hot reads itself: entries by log index (entry, SET,
 * inclusion proof) and tiles. Everything else, uploads and lookups by hash or key included, is
 * forwarded to the primary unchanged, so every route keeps one implementation and one sequencer,
 * and an upload is answered only after its batch's fsync, as before.
 */
import cluster, { type Worker } from 'node:cluster';
import { Agent, request, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createApp, createHttpServer } from '../api/index.js';
import { CairnError } from '../errors.js';
import { Log, loadOrCreateKey, readManifest } from '../log/index.js';
import { SqliteReader } from '../storage/index.js';
import type { Values } from './config.js';

/** WORKERS_PRIMARY marks the values serve() runs the primary with (its start-up line names it so). */
export const WORKERS_PRIMARY = 'workers-primary';
const PRIMARY_ENV = 'CAIRN_WORKERS_PRIMARY';
const PUBLIC_URL_ENV = 'CAIRN_WORKERS_PUBLIC_URL';

/** isClusterWorker reports whether this process is a worker forked by serveWorkers. */
export function isClusterWorker(): boolean {
  return cluster.isWorker && process.env[PRIMARY_ENV] !== undefined;
}

/** checkWorkerOptions refuses the options --workers > 1 does not support yet. */
export function checkWorkerOptions(v: Values): void {
  if ((v['rate-limit'] as number) > 0) throw new CairnError('CONFIG', '--rate-limit does not work with --workers > 1 yet (the primary would see every client as a worker); use --workers 1');
  if (v.database !== undefined) throw new CairnError('CONFIG', '--workers > 1 serves a SQLite data directory only, not --database');
}

/** Primary is the server serve.ts started on a private loopback port: the log's one process. */
export interface Primary {
  url: string;
  readonly log: { readonly origin: string };
  logger: Logger;
  stop(): Promise<void>;
}

/**
 * startWorkers forks n workers onto the public port (v.port, v.host) in front of the primary and
 * resolves once all listen, with the stop function that shuts the workers down and then the primary.
 */
export async function startWorkers(v: Values, n: number, primary: Primary, publicUrl: string): Promise<() => Promise<void>> {
  const { logger } = primary;
  const shards = readManifest(v.data as string)?.shards ?? [];
  if (shards.length !== 1) {
    await primary.stop();
    throw new CairnError('CONFIG', `--workers > 1 serves a log of one shard only for now (this one has ${shards.length}); use --workers 1`);
  }
  let stopping = false;
  const env = { [PRIMARY_ENV]: primary.url, [PUBLIC_URL_ENV]: publicUrl };
  const listening: Promise<number>[] = [];
  const fork = (): Worker => {
    const w = cluster.fork(env);
    listening.push(new Promise((resolve) => w.once('listening', (a) => resolve(a.port))));
    return w;
  };
  cluster.on('exit', (w, code, signal) => {
    if (stopping) return;
    logger.error({ worker: w.id, code, signal }, 'HTTP worker exited; starting another');
    fork();
  });
  for (let i = 0; i < n; i++) fork();
  const port = (await Promise.all(listening))[0];
  const url = `http://${v.host as string}:${port}`;
  logger.info({ workers: n, url, primary: primary.url }, `serving ${primary.log.origin} at ${url} with ${n} HTTP worker processes`);
  logger.flush();
  // Workers stop first (they forward to the primary until their last request is answered), then the primary drains the log.
  const stopWorkers = async () => {
    stopping = true;
    const all = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(
      all.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once('exit', () => resolve());
            w.send({ type: 'stop' });
            // One that does not finish in time is killed; the primary still answers only durable writes.
            setTimeout(() => w.process.kill('SIGKILL'), ((v['shutdown-timeout'] as number) + 5) * 1000).unref();
          }),
      ),
    );
  };
  let stopped: Promise<void> | undefined;
  return () => (stopped ??= stopWorkers().then(() => primary.stop()));
}

/** runWorker serves the public port in a worker process until the primary says stop; resolves with the exit code. */
export async function runWorker(v: Values, logger: Logger): Promise<number> {
  const primary = new URL(process.env[PRIMARY_ENV]!);
  const publicUrl = process.env[PUBLIC_URL_ENV]!;
  const dataDir = v.data as string;
  const record = readManifest(dataDir)!.shards[0];
  const dir = join(dataDir, record.dir);
  const { key } = loadOrCreateKey(dir, record.keyFile ?? (v.key as string | undefined), v['key-type'] as 'ed25519' | 'ecdsa-p256');
  const log = await Log.openOn(SqliteReader.open(dir), key, { origin: record.origin, heartbeatMs: 0, tileCacheSize: v['tile-cache'] as number, indexOffset: record.indexOffset, readOnly: true });
  const app = createApp(log, { publicUrl, maxBodyBytes: v['max-body'] as number, immutableCacheBytes: (v['immutable-cache'] as number) * 1024 * 1024, logger });
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  // The request goes on as one write, headers and body together (no extra packet for Nagle's
  // algorithm to hold back); a body past --max-body is streamed instead, for the primary to refuse.
  const maxBody = v['max-body'] as number;
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    let up: ClientRequest | undefined;
    const open = (): ClientRequest => {
      up = request({ host: primary.hostname, port: primary.port, method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.rawHeaders);
        r.pipe(res);
      });
      up.on('socket', (s) => s.setNoDelay(true));
      up.on('error', (e) => {
        logger.warn({ err: e.message }, 'forwarding to the primary failed');
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ code: 502, message: 'the log process is not reachable' }));
        else res.destroy();
      });
      return up;
    };
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      if (up) return;
      chunks.push(c);
      size += c.length;
      if (size <= maxBody) return;
      const u = open();
      for (const x of chunks) u.write(x);
      req.pipe(u);
    });
    req.on('end', () => {
      if (!up) open().end(chunks.length ? Buffer.concat(chunks) : undefined);
    });
  };
  const server = createHttpServer(
    // Each read first catches up with the primary's latest commit (one SQLite row): a client that
    // was just answered 201 by the primary finds its entry here too.
    Object.assign(
      (req: IncomingMessage, res: ServerResponse) => {
        if (!local(req)) return forward(req, res);
        void log.refresh().then(
          () => {
            if (!servedHere(req, log.indexOffset + log.size)) return forward(req, res);
            res.setHeader('x-cairn-worker', String(process.pid));
            app(req, res);
          },
          () => forward(req, res),
        );
      },
      { listen: app.listen },
    ),
    {
      requestTimeoutMs: (v['request-timeout'] as number) * 1000,
      headersTimeoutMs: (v['headers-timeout'] as number) * 1000,
      keepAliveTimeoutMs: (v['keep-alive-timeout'] as number) * 1000,
    },
  );
  await new Promise<void>((resolve) => server.listen(v.port as number, v.host as string, resolve));
  // Ctrl-C reaches the whole process group: the primary decides when workers stop.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  return new Promise<number>((resolve) => {
    process.on('message', (m: { type?: string }) => {
      if (m?.type !== 'stop') return;
      server.close(() => {
        agent.destroy();
        void log.close().then(() => resolve(0));
      });
      server.closeIdleConnections();
      setInterval(() => server.closeIdleConnections(), 50).unref();
    });
  });
}

/** local is the cheap first test of servedHere: a GET of a tile or of an entry by index. */
function local(req: IncomingMessage): boolean {
  return req.method === 'GET' && (req.url?.startsWith('/tile/') === true || req.url?.startsWith('/api/v1/log/entries?logIndex=') === true);
}

/**
 * servedHere picks what a worker answers from its follower log: reads by log index below the size
 * it has caught up to (others may be newer than its view: the primary answers them) and tiles.
 */
function servedHere(req: IncomingMessage, size: number): boolean {
  if (req.method !== 'GET') return false;
  const url = req.url ?? '';
  if (url.startsWith('/tile/') && !url.includes('?')) return true;
  const m = /^\/api\/v1\/log\/entries\?logIndex=(\d{1,15})$/.exec(url);
  return m !== null && Number(m[1]) < size;
}
