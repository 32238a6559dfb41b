/**
 * `cairn serve --workers N` (N > 1): node:cluster worker processes share the listening port.
 * The primary runs today's server (serve.ts: the log, its sequencer, cosigners) on a private
 * loopback port; each worker runs the same app (createApp) over a read-only follower Log on the
 * same SQLite files, so every route keeps one implementation:
 * - uploads (v1 and v2) are admitted in the worker (parsed, verified, canonicalized by the same
 *   route and admission code), and the follower's append hands the admitted entry to the
 *   primary's one sequencer over IPC (worker-ipc.ts); the receipt comes back after the batch's
 *   commit and the worker writes the answer the primary would have written;
 * - reads of tiles and of entries by index or UUID, searches and retrieves are answered from the
 *   follower (its own view of index.db and of the entries index.db has not reached yet) once it
 *   has caught up with the primary's latest commit;
 * - everything else (checkpoints with cosignatures, TSA, /readyz and /metrics, which the primary
 *   answers for every process) is forwarded to the primary over loopback HTTP.
 * Over 300 lines for a reason: the primary's half (startWorkers) and the worker's (runWorker)
 * are the two ends of one protocol, and which requests a worker keeps (placeOf) is read with both.
 */
import cluster, { type Worker } from 'node:cluster';
import { Agent, request, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AdmitPool, Metrics, Readiness, createApp, createHttpServer, type Check, type MetricsJson } from '../api/index.js';
import { CairnError } from '../errors.js';
import { Log, loadOrCreateKey, readManifest, type Receipt, type Shards } from '../log/index.js';
import { SqliteReader } from '../storage/index.js';
import type { Values } from './config.js';
import type { SignalLatch } from './signals.js';
import { Channel, type PrimaryAsks, type WorkerAsks } from './worker-ipc.js';

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
  if ((v['rate-limit'] as number) > 0) throw new CairnError('CONFIG', '--rate-limit does not work with --workers > 1 yet (each worker would keep its own buckets, so a client would get N times the rate); use --workers 1');
  if (v.database !== undefined) throw new CairnError('CONFIG', '--workers > 1 serves a SQLite data directory only, not --database');
}


/** Primary is the server serve.ts started on a private loopback port: the log's one process. */
export interface Primary {
  url: string;
  readonly log: { readonly origin: string };
  shards: Shards;
  metrics: Metrics;
  readiness: Readiness;
  logger: Logger;
  stop(): Promise<void>;
}

/** How long the primary waits for a worker's readiness or metrics. */
const ASK_TIMEOUT_MS = 2000;

/**
 * startWorkers forks n workers onto the public port (v.port, v.host) in front of the primary and
 * resolves once all listen, with the stop function that shuts the workers down and then the primary.
 * The primary appends what the workers admitted, and its /readyz and /metrics cover every worker.
 */
export async function startWorkers(v: Values, n: number, primary: Primary, publicUrl: string, latch?: SignalLatch): Promise<() => Promise<void>> {
  const { logger } = primary;
  const shards = readManifest(v.data as string)?.shards ?? [];
  if (shards.length !== 1) {
    await primary.stop();
    throw new CairnError('CONFIG', `--workers > 1 serves a log of one shard only for now (this one has ${shards.length}); use --workers 1`);
  }
  let stopping = false;
  const env = { [PRIMARY_ENV]: primary.url, [PUBLIC_URL_ENV]: publicUrl };
  const listening: Promise<number>[] = [];
  const channels = new Map<Worker, Channel<PrimaryAsks, WorkerAsks>>();
  // Byte arrays cross as they are (structured clone), not as JSON.
  cluster.setupPrimary({ serialization: 'advanced' });
  const fork = (): Worker => {
    const w = cluster.fork(env);
    const channel = new Channel<PrimaryAsks, WorkerAsks>((m, done) => w.send(m, done), {
      // The worker admitted it; the one sequencer appends it and answers after the commit. The
      // worker has the body: the receipt goes back without it.
      append: async (sub) => {
        const { receipt } = await primary.shards.append(sub);
        return { ...receipt, entry: { ...receipt.entry, body: undefined } };
      },
    });
    channels.set(w, channel);
    w.on('message', (m) => channel.receive(m));
    // A worker that dies mid-write breaks the pipe (EPIPE): its exit is handled below; the primary must not die of it.
    w.on('error', (e) => logger.warn({ worker: w.id, err: e.message }, 'IPC channel to an HTTP worker failed'));
    w.once('exit', () => {
      channel.close();
      channels.delete(w);
    });
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
  primary.readiness.addCheck('workers', () => workersReady(channels, n));
  primary.metrics.addSource(async () => {
    // A worker that does not answer in time is left out of this scrape (its counters come back with it).
    const all = await Promise.all([...channels.values()].map((c) => c.ask('metrics', null, ASK_TIMEOUT_MS).catch(() => undefined)));
    return all.filter((m): m is MetricsJson => m !== undefined);
  });
  const url = `http://${v.host as string}:${port}`;
  latch?.arm();
  logger.info({ workers: n, url, primary: primary.url }, `serving ${primary.log.origin} at ${url} with ${n} HTTP worker processes`);
  logger.flush();
  // Workers stop first (they finish their requests, uploads included, with the primary still
  // appending), then the primary drains the log.
  const stopWorkers = async () => {
    stopping = true;
    const all = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(
      all.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once('exit', () => resolve());
            w.send({ type: 'stop' }, () => {}); // one that died meanwhile is resolved by its exit
            // One that does not finish in time is killed; the primary still answers only durable writes.
            setTimeout(() => w.process.kill('SIGKILL'), ((v['shutdown-timeout'] as number) + 5) * 1000).unref();
          }),
      ),
    );
  };
  let stopped: Promise<void> | undefined;
  return () => (stopped ??= stopWorkers().then(() => primary.stop()));
}

/** workersReady is the primary's "workers" readiness check: n workers running, each ready by its own checks. */
async function workersReady(channels: Map<Worker, Channel<PrimaryAsks, WorkerAsks>>, n: number): Promise<Check> {
  const answers = await Promise.all(
    [...channels.entries()].map(async ([w, c]) => {
      try {
        const r = (await c.ask('ready', null, ASK_TIMEOUT_MS)) as { ready: boolean; checks: Record<string, Check> };
        if (r.ready) return undefined;
        const failed = Object.entries(r.checks).filter(([, k]) => !k.ok);
        return `worker ${w.process.pid}: ${failed.map(([name, k]) => `${name}${k.detail ? ` (${k.detail})` : ''}`).join(', ')}`;
      } catch (e) {
        return `worker ${w.process.pid}: ${(e as Error).message}`;
      }
    }),
  );
  const problems = answers.filter((a): a is string => a !== undefined);
  const ready = channels.size - problems.length;
  if (channels.size < n) problems.unshift(`${n - channels.size} of ${n} not running`);
  return problems.length ? { ok: false, detail: `${ready} of ${n} ready; ${problems.join('; ')}` } : { ok: true, detail: `${n} of ${n} ready` };
}

/** runWorker serves the public port in a worker process until the primary says stop; resolves with the exit code. */
export async function runWorker(v: Values, logger: Logger): Promise<number> {
  const primary = new URL(process.env[PRIMARY_ENV]!);
  const publicUrl = process.env[PUBLIC_URL_ENV]!;
  const dataDir = v.data as string;
  const record = readManifest(dataDir)!.shards[0];
  const dir = join(dataDir, record.dir);
  const { key } = loadOrCreateKey(dir, record.keyFile ?? (v.key as string | undefined), v['key-type'] as 'ed25519' | 'ecdsa-p256');
  const metrics = new Metrics();
  const readiness = new Readiness();
  let log: Awaited<ReturnType<typeof Log.openOn>> | undefined;
  const channel = new Channel<WorkerAsks, PrimaryAsks>((m, done) => process.send!(m, done), {
    ready: async () => {
      await log!.refresh(); // the database is readable
      return readiness.check(log!);
    },
    metrics: () => metrics.registry.getMetricsAsJSON(),
  });
  process.on('message', (m) => channel.receive(m));
  process.once('disconnect', () => channel.close());
  // Appends go to the primary's sequencer; the receipt comes back without the body the worker sent.
  const appendElsewhere = async (sub: WorkerAsks['append']): Promise<Receipt> => {
    const sent = { body: sub.body, kind: sub.kind, indexKeys: sub.indexKeys, signEntryTimestamp: sub.signEntryTimestamp };
    const r = (await channel.ask('append', sent)) as Receipt;
    r.entry.body = sub.body;
    return r;
  };
  log = await Log.openOn(SqliteReader.open(dir), key, {
    origin: record.origin,
    heartbeatMs: 0,
    tileCacheSize: v['tile-cache'] as number,
    indexOffset: record.indexOffset,
    onSearch: (ms) => metrics.observeSearch(ms),
    readOnly: true,
  });
  // This log signs nothing (the primary does): it follows the primary's commits.
  log.routeAppends(appendElsewhere, () => false);
  const admitThreads = v['admit-workers'] as number;
  const admission = admitThreads > 0 ? await AdmitPool.start({ size: admitThreads, onWorkerExit: (why) => logger.error({ why }, 'admission worker died; replacing it') }) : undefined;
  const app = createApp(log, { publicUrl, maxBodyBytes: v['max-body'] as number, immutableCacheBytes: (v['immutable-cache'] as number) * 1024 * 1024, logger, metrics, readiness, admission });
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
  const WORKER = { 'x-cairn-worker': String(process.pid) };
  const here = (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('x-cairn-worker', WORKER['x-cairn-worker']);
    app(req, res);
  };
  const follower = log;
  // One catch-up a turn of the event loop serves every read that arrived in it: it begins on the
  // next turn, so after each of them arrived (and a new one is begun for reads arriving later).
  let catchingUp: Promise<unknown> | undefined;
  const caughtUp = () =>
    (catchingUp ??= new Promise<void>((r) => setImmediate(r)).then(() => {
      catchingUp = undefined;
      return follower.refresh();
    }));
  const server = createHttpServer(
    (req: IncomingMessage, res: ServerResponse) => {
      const place = placeOf(req);
      if (place === 'primary') return forward(req, res);
      if (place === 'upload') return here(req, res);
      // A full tile or bundle answered before is the same at any tree size: no catch-up needed.
      if (app.answerKept(req, res, WORKER)) return;
      // Each read first catches up with the primary's latest commit (one SQLite row): a client
      // that was just answered 201 finds its entry here too.
      void caughtUp().then(
        () => (readHere(req, follower.indexOffset + follower.size) ? here(req, res) : forward(req, res)),
        () => forward(req, res),
      );
    },
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
      readiness.drain(); // keep-alive clients are told to reconnect (Connection: close)
      server.close(() => {
        agent.destroy();
        void Promise.all([admission?.close(), follower.close()]).then(() => resolve(0));
      });
      server.closeIdleConnections();
      setInterval(() => server.closeIdleConnections(), 50).unref();
    });
  });
}

const UPLOADS = new Set(['/api/v1/log/entries', '/api/v2/log/entries']);
const LOOKUPS = new Set(['/api/v1/index/retrieve', '/api/v1/log/entries/retrieve']);
const BY_UUID = /^\/api\/v1\/log\/entries\/[0-9a-fA-F]{64}(?:[0-9a-fA-F]{16})?$/;

/**
 * placeOf sorts a request by where it is answered: an upload (the canonical URLs; other
 * spellings go to the primary's express routes) is admitted here; a read of a tile, of an entry
 * by index or UUID, a search or a retrieve is answered here once caught up (readHere); the rest
 * goes to the primary.
 */
function placeOf(req: IncomingMessage): 'upload' | 'read' | 'primary' {
  const url = req.url ?? '';
  if (req.method === 'POST') return UPLOADS.has(url) ? 'upload' : LOOKUPS.has(url) ? 'read' : 'primary';
  if (req.method === 'GET' && (url.startsWith('/tile/') || url.startsWith('/api/v1/log/entries'))) return 'read';
  return 'primary';
}

/**
 * readHere picks the reads a worker answers from its follower log once caught up with the
 * primary's latest commit: tiles, entries by UUID, searches and retrieves (over every committed
 * entry, as the primary's), and entries by log index below the size it caught up to (a later
 * one may be newer than its view: the primary answers it).
 */
function readHere(req: IncomingMessage, size: number): boolean {
  const url = req.url ?? '';
  if (req.method === 'POST') return LOOKUPS.has(url);
  if (url.startsWith('/tile/')) return !url.includes('?');
  if (BY_UUID.test(url)) return true;
  const m = /^\/api\/v1\/log\/entries\?logIndex=(\d{1,15})$/.exec(url);
  return m !== null && Number(m[1]) < size;
}
