import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { AdmitPool, MIB, Readiness, createApp, createHttpServer, Metrics } from '../api/index.js';
import type { AnyLog, Shards } from '../log/index.js';
import { openServed, type ServedLog } from './serve-open.js';
import { startControl } from './control.js';
import type { Cosigner } from '../witness/index.js';
import { rotateOptions, summarize } from './rotate.js';
import { verifierKeyString } from '../note/index.js';
import { CairnError } from '../errors.js';
import { VERSION } from '../version.js';
import type { Command } from './command.js';
import { dataOption, type OptionSpec, type Values } from './config.js';
import { LOG_LEVELS, createLogger, type LogLevel } from './logger.js';
import { SignalLatch, stopOnSignal } from './signals.js';
import { SERVE_WITNESS_OPTIONS, cosignerFor } from './witness.js';
import { openTsa } from '../tsa/index.js';
import { WORKERS_PRIMARY, checkWorkerOptions, isClusterWorker, runWorker, startWorkers } from './serve-workers.js';

export const SERVE_OPTIONS: readonly OptionSpec[] = [
  { name: 'port', type: 'int', default: 3000, min: 0, max: 65535, help: 'TCP port to listen on.' },
  { name: 'host', type: 'string', default: '127.0.0.1', help: 'Address to bind.' },
  dataOption('Data directory (SQLite database, generated key).'),
  {
    name: 'database',
    env: 'CAIRN_DATABASE_URL',
    type: 'string',
    help: 'Serve a log in PostgreSQL instead of --data: postgres://USER@HOST:PORT/DB[?schema=NAME]. Any number of nodes serve one log; one at a time sequences. Needs --key; no TSA without --tsa-key and --tsa-cert-chain; no rotation. With --witness every node asks the witnesses for its own checkpoints (they are the same ones).',
  },
  { name: 'lease-ms', type: 'int', default: 5000, min: 500, help: 'With --database: a sequencing node silent this long (paused, cut off) loses the lead to another node.' },
  { name: 'public-url', type: 'string', help: 'URL clients reach the log at. Default: http://localhost:<port>.' },
  { name: 'origin', type: 'string', help: 'Checkpoint origin and key name. Default: the public URL without scheme and trailing slash.' },
  { name: 'key', type: 'string', help: 'PKCS#8 PEM private key file. Default: generated into the data directory on first start.' },
  { name: 'key-type', type: 'enum', values: ['ed25519', 'ecdsa-p256'], default: 'ed25519', help: 'Type of a generated key.' },
  { name: 'heartbeat', type: 'int', default: 60, min: 0, help: 'Seconds between re-signings of an idle log\'s checkpoint (0: never).' },
  { name: 'max-batch', type: 'int', default: 1024, min: 1, max: 65536, help: 'Most entries integrated in one transaction.' },
  { name: 'max-queue', type: 'int', default: 65536, min: 1, help: 'Most submissions waiting for the sequencer; past it writes get 503.' },
  { name: 'tile-cache', type: 'int', default: 8192, min: 16, help: 'Tiles kept in memory (about 16 KiB each).' },
  { name: 'immutable-cache', type: 'int', default: 64, min: 0, help: 'MiB of memory for finished answers to full tile and entry bundle reads, gzipped or not (0: off).' },
  { name: 'log-level', type: 'enum', values: LOG_LEVELS, default: 'info', help: 'Least severe log lines written (JSON lines; pretty on a terminal). debug adds one line per sequencer batch.' },
  { name: 'max-body', type: 'int', default: MIB, min: 1024, help: 'Largest request body in bytes; larger ones get 413.' },
  { name: 'rate-limit', type: 'int', default: 0, min: 0, help: 'Writes per second allowed per client IP, refilled continuously; past it 429 with Retry-After (0: no limit).' },
  { name: 'rate-burst', type: 'int', min: 1, help: 'Writes a client may make at once before --rate-limit applies. Default: 2 x --rate-limit.' },
  { name: 'request-timeout', type: 'int', default: 60, min: 1, help: 'Seconds a client has to send a whole request (http.Server requestTimeout).' },
  { name: 'headers-timeout', type: 'int', default: 20, min: 1, help: 'Seconds a client has to send request headers (http.Server headersTimeout; at most --request-timeout).' },
  { name: 'keep-alive-timeout', type: 'int', default: 5, min: 0, help: 'Seconds an idle keep-alive connection stays open (http.Server keepAliveTimeout).' },
  { name: 'shutdown-timeout', type: 'int', default: 30, min: 1, help: 'Seconds in-flight requests get to finish on SIGTERM/SIGINT before their connections are cut.' },
  {
    name: 'admit-workers',
    type: 'int',
    default: 1,
    min: 0,
    max: 64,
    help: 'Worker threads that parse and verify uploads beside the main thread (0: the main thread does).',
  },
  {
    name: 'workers',
    type: 'int',
    default: 1,
    min: 1,
    max: 64,
    help: 'HTTP processes sharing the port (node:cluster). Above 1, workers admit uploads and hand them to the one process holding the log, answer tiles, entries, retrieves and searches from the database read-only, and forward the rest to it. SQLite only, one shard, no --rate-limit. Default 1, not one per core: on this 2-core machine 2 workers were not shown to upload faster than 1 process (bench/README.md).',
  },
  { name: 'stall-seconds', type: 'int', default: 30, min: 1, help: 'A submission queued this long unintegrated makes /readyz report the sequencer stalled.' },
  ...SERVE_WITNESS_OPTIONS,
  { name: 'tsa-key', type: 'string', help: 'RFC 3161 TSA signing key (PKCS#8 PEM, ECDSA). Default: generated into the data directory on first start.' },
  { name: 'tsa-cert-chain', type: 'string', help: 'The TSA key\'s certificate chain (PEM, leaf first; the leaf with a critical timeStamping EKU). Goes with --tsa-key.' },
  { name: 'no-tsa', type: 'bool', default: false, help: 'Do not serve the timestamp authority (/api/v1/timestamp).' },
];

/** originFromUrl returns a URL without its scheme and trailing slashes: https://log.example.com/cairn/ → log.example.com/cairn. */
export function originFromUrl(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '');
}

export interface Running {
  /** The active shard's log (changes on rotation). */
  readonly log: AnyLog;
  shards: Shards;
  server: Server;
  url: string;
  metrics: Metrics;
  readiness: Readiness;
  logger: Logger;
  /** stop drains and closes; see shutdown. Safe to call more than once. */
  stop: () => Promise<void>;
}

/** serve opens the log, starts the HTTP server and stops both cleanly on stop(). */
export async function serve(v: Values, logger: Logger = createLogger(v['log-level'] as LogLevel), latch?: SignalLatch): Promise<Running> {
  const port = v.port as number;
  const publicUrl = (v['public-url'] as string | undefined) ?? `http://localhost:${port}`;
  const origin = (v.origin as string | undefined) ?? originFromUrl(publicUrl);
  if ((v['headers-timeout'] as number) > (v['request-timeout'] as number)) {
    throw new CairnError('CONFIG', `--headers-timeout (${v['headers-timeout']}) must not exceed --request-timeout (${v['request-timeout']})`);
  }
  const metrics = new Metrics();
  const readiness = new Readiness({ stallMs: (v['stall-seconds'] as number) * 1000 });
  const startCosigner = cosignerFor(v);
  const workers = v['admit-workers'] as number;
  const admission = workers > 0 ? await AdmitPool.start({ size: workers, onWorkerExit: (why) => logger.error({ why }, 'admission worker died; replacing it') }) : undefined;
  if (admission && !admission.native) logger.warn('admission workers verify without the native addon (pure JS, far slower)');
  const database = v.database !== undefined;
  if (database && v['tsa-key'] !== undefined && v['tsa-cert-chain'] === undefined) throw new CairnError('CONFIG', 'with --database, --tsa-key needs --tsa-cert-chain: every node must serve the same TSA certificate');
  let served: ServedLog;
  // With --database: this node's part, so a batch of a lost term failing after the node became a
  // follower does not leave /readyz at 503 until the node leads again (it may never).
  let role: 'leader' | 'follower' | undefined;
  try {
    served = await openServed(
      v,
      origin,
      {
        onBatch: (s) => {
          metrics.observeBatch(s);
          readiness.noteBatch();
          logger.debug({ batch: s.size, accepted: s.accepted, duplicates: s.duplicates, treeSize: s.treeSize, waitMs: s.maxWaitMs, commitMs: Math.round(s.commitMs * 10) / 10 }, 'batch committed');
        },
        onError: (e) => {
          if (role !== 'follower') readiness.noteError(e);
          logger.error({ err: e }, 'sequencer batch failed');
        },
        onSearch: (ms) => metrics.observeSearch(ms),
        onRole: (now, why) => {
          role = now;
          // A batch refused at the fence of a lost term says nothing about the next term's storage.
          readiness.noteBatch();
          if (now === 'leader') logger.info({ role: now }, 'this node now sequences the log');
          else logger.warn({ role: now, why }, 'this node lost the lead: it stops sequencing and campaigns again');
        },
      },
      logger,
    );
  } catch (e) {
    await admission?.close();
    throw e;
  }
  const { shards, node } = served;
  let log = shards.active.log;
  metrics.bindLog(log);
  if (node) {
    metrics.bindNode(node);
    readiness.bindRole(() => node.role);
  }
  let tsa;
  try {
    tsa = v['no-tsa'] || (database && v['tsa-key'] === undefined) ? undefined : openTsa({ dataDir: v.data as string, keyFile: v['tsa-key'] as string | undefined, chainFile: v['tsa-cert-chain'] as string | undefined, name: origin });
  } catch (e) {
    await served.close();
    await admission?.close();
    throw e;
  }
  // One cosigner per shard: a frozen shard's keeps its stored cosignatures and gets its last checkpoint cosigned.
  const cosigners = new Map<AnyLog, Cosigner>();
  const startCosigning = (l: AnyLog) => {
    const c = startCosigner?.(l, (level, m) => logger[level](m), (w, t) => metrics.setCosignature(w, t * 1000));
    if (c) cosigners.set(l, c);
  };
  for (const s of shards.list) startCosigning(s.log);
  const stopCosigners = async () => {
    await Promise.all([...cosigners.values()].map((c) => c.stop()));
  };
  shards.onRotate((s, previous) => {
    log = s.log;
    metrics.bindLog(s.log);
    startCosigning(s.log);
    logger.info({ shard: s.record.name, treeId: s.record.treeId, origin: s.record.origin, indexOffset: s.record.indexOffset, frozen: previous.record.name, frozenSize: previous.record.frozen?.size }, `rotated: shard ${s.record.name} is active`);
  });
  const rate = v['rate-limit'] as number;
  const app = createApp(shards, {
    publicUrl,
    maxBodyBytes: v['max-body'] as number,
    immutableCacheBytes: (v['immutable-cache'] as number) * MIB,
    metrics,
    logger,
    readiness,
    admission,
    tsa,
    rateLimit: { perSecond: rate, burst: (v['rate-burst'] as number | undefined) ?? Math.max(1, 2 * rate) },
    ...(startCosigner && { checkpointNote: (cp, l) => cosigners.get(l)?.checkpointNote(cp) ?? cp.c2sp }),
  });
  const server = createHttpServer(app, {
    requestTimeoutMs: (v['request-timeout'] as number) * 1000,
    headersTimeoutMs: (v['headers-timeout'] as number) * 1000,
    keepAliveTimeoutMs: (v['keep-alive-timeout'] as number) * 1000,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, v.host as string, () => resolve());
    });
  } catch (e) {
    await stopCosigners();
    await served.close();
    await admission?.close();
    throw new CairnError('CONFIG', `cannot listen on ${v.host}:${port}: ${(e as Error).message}`);
  }
  // Only the data directory's owner reaches it (control.ts); cairn rotate talks to it. A log in
  // PostgreSQL does not rotate.
  const control = database
    ? { close: async () => {} }
    : await startControl(v.data as string, async (req) => summarize(shards, await shards.rotate(rotateOptions(req.args ?? {})))).catch((e: Error) => {
    // E.g. a data directory path too long for a Unix socket: serve anyway; rotation then needs the server stopped.
    logger.warn({ err: e.message }, 'no control socket: cairn rotate will need the server stopped');
    return { close: async () => {} };
  });
  const addr = server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const url = `http://${v.host}:${actualPort}`;
  latch?.arm();
  logger.info(
    { version: VERSION, origin, url, treeSize: log.size, logId: Buffer.from(log.key.logId).toString('hex'), verifierKey: verifierKeyString(origin, log.key), publicKey: log.key.publicKeyPem.trim() },
    // Behind --workers the public port is the workers': this line must not read as the address to use.
    `${v[WORKERS_PRIMARY] ? 'log process for the HTTP workers of' : 'serving'} ${origin} at ${url} (cairn ${VERSION})`,
  );
  logger.flush(); // supervisors and tests wait for this line
  let stopping: Promise<void> | undefined;
  // The cosigner stops first: it reads the log's tiles and writes its database.
  const stop = () => {
    readiness.drain(); // at once: load balancers stop sending while the cosigner winds down
    // The admission workers stop last: requests still in flight when shutdown begins use them.
    return (stopping ??= control
      .close()
      .then(stopCosigners)
      .then(() => shutdown(server, served, readiness, logger, (v['shutdown-timeout'] as number) * 1000))
      .finally(() => admission?.close()));
  };
  return {
    get log() {
      return shards.active.log;
    },
    shards,
    server,
    url,
    metrics,
    readiness,
    logger,
    stop,
  };
}

/**
 * shutdown stops accepting connections, lets in-flight requests finish (cutting them after
 * timeoutMs), then closes the log: it integrates and acknowledges everything queued, signs a final
 * checkpoint and closes the database. Writes answered 2xx before this resolves are all durable.
 */
export async function shutdown(server: Server, served: ServedLog, readiness: Readiness, logger: Logger, timeoutMs: number): Promise<void> {
  readiness.drain();
  const t0 = performance.now();
  const closed = new Promise<void>((r) => server.close(() => r()));
  // close() stops listening and drops idle keep-alive connections; busy ones end after their
  // response (whileDraining sends Connection: close), and the sweep catches those that go idle.
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  const cut = setTimeout(() => {
    logger.warn({ timeoutMs }, 'shutdown: cutting connections still busy');
    server.closeAllConnections();
  }, timeoutMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
  const log = served.shards.active.log;
  const pending = log.pending;
  await served.close();
  logger.info({ treeSize: log.size, drainedQueue: pending, ms: Math.round(performance.now() - t0) }, 'shutdown complete: final checkpoint signed, database closed');
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the log server.',
  usage: 'cairn serve [options]',
  options: SERVE_OPTIONS,
  run: async (v) => {
    if (isClusterWorker()) return runWorker(v, createLogger(v['log-level'] as LogLevel));
    const n = v.workers as number;
    // Signals that come once the server has said it listens wait for untilSignal (signals.ts).
    const latch = new SignalLatch();
    if (n <= 1) return untilSignal(await serve(v, undefined, latch), latch);
    // The primary: the log and every route on a private loopback port, the workers on the public one.
    checkWorkerOptions(v);
    const publicUrl = (v['public-url'] as string | undefined) ?? `http://localhost:${v.port as number}`;
    // The workers admit uploads; the primary only appends them (and admits inline the odd upload sent to a non-canonical URL).
    const primary = await serve({ ...v, 'public-url': publicUrl, port: 0, host: '127.0.0.1', 'admit-workers': 0, [WORKERS_PRIMARY]: true });
    return untilSignal({ ...primary, stop: await startWorkers(v, n, primary, publicUrl, latch) }, latch);
  },
};

/** untilSignal resolves with the exit code once SIGTERM or SIGINT has shut the server down. */
export function untilSignal(running: Running, latch?: SignalLatch): Promise<number> {
  return stopOnSignal(
    running,
    {
      stopping: (signal) => running.logger.info({ signal }, 'shutting down: finishing requests and queued entries'),
      failed: (err) => running.logger.error({ err }, 'shutdown failed'),
    },
    latch,
  );
}
