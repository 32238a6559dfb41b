import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { AnyLog, BatchStats } from '../log/index.js';
import { VERSION } from '../version.js';

// All of Cairn's Prometheus collectors, built here on their own Registry (never prom-client's
// global one, so two logs in one process, e.g. in tests, do not share counters). It lives in the
// HTTP layer, which serves it; the log feeds it through its hooks (onBatch, onSearch) and the
// witness cosigner through a callback, so neither layer below needs to import it.

/** HTTP methods kept as label values; anything else is counted as "other" to bound cardinality. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

// Seconds. The low end resolves sub-millisecond reads; the top end a commit stuck on a slow disk.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsOptions {
  /** Also export Node's process metrics (CPU, memory, event-loop lag, GC). Default true. */
  processMetrics?: boolean;
  /** Clock in Unix milliseconds (ages). */
  now?: () => number;
}

/** MetricsJson is one registry's collectors as getMetricsAsJSON returns them (what processes exchange). */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/**
 * Metrics holds Cairn's collectors and the registry GET /metrics renders. Several processes (the
 * HTTP workers of `serve --workers`) each keep their own and one renders their sum (addSource):
 * counters and histograms add up; each state gauge says how (aggregator), since only the process
 * holding the log sets it (the others leave it at 0, so "max" is that process's value).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly treeSize: Gauge;
  readonly entriesAppended: Counter;
  readonly batchSize: Histogram;
  readonly sequencingDuration: Histogram;
  readonly checkpointAge: Gauge;
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly httpDuration: Histogram<'route' | 'method' | 'status'>;
  readonly searchDuration: Histogram;
  readonly sqliteSize: Gauge;
  readonly indexLag: Gauge;
  /** Seconds since each witness's newest cosignature; set through setCosignature. */
  readonly witnessCosignatureAge: Gauge<'witness'>;

  private log?: AnyLog;
  private readonly cosignedAt = new Map<string, number>();
  private readonly immutableCache: Counter<'kind' | 'result'>;
  private cacheBytes?: () => number;
  private readonly now: () => number;
  private readonly sources: (() => Promise<MetricsJson[]>)[] = [];

  constructor(opts: MetricsOptions = {}) {
    const registers = [this.registry];
    const now = (this.now = opts.now ?? Date.now);
    // Gauges that describe state are read at scrape time (collect), so they cost nothing per request.
    const self = this;
    this.treeSize = new Gauge({
      name: 'cairn_tree_size',
      help: 'Tree size of the latest signed checkpoint.',
      registers,
      aggregator: 'max',
      collect() {
        if (self.log) this.set(self.log.size);
      },
    });
    // The usual *_build_info shape: constant 1, the build in its labels.
    new Gauge({ name: 'cairn_build_info', help: 'Which build this process runs: always 1, with its version and Node.js version as labels.', labelNames: ['version', 'node'], registers, aggregator: 'first' }).set(
      { version: VERSION, node: process.versions.node },
      1,
    );
    this.entriesAppended = new Counter({ name: 'cairn_entries_appended_total', help: 'Entries integrated into the log by this process.', registers });
    this.batchSize = new Histogram({
      name: 'cairn_batch_size',
      help: 'Submissions per sequencer batch (one SQLite transaction).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096],
      registers,
    });
    this.sequencingDuration = new Histogram({
      name: 'cairn_sequencing_duration_seconds',
      help: 'Time to integrate, sign and commit one sequencer batch.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.checkpointAge = new Gauge({
      name: 'cairn_checkpoint_age_seconds',
      help: 'Seconds since the latest checkpoint was signed.',
      aggregator: 'max',
      registers,
      collect() {
        if (self.log) this.set(Math.max(0, (now() - self.log.latest().signedAt) / 1000));
      },
    });
    this.httpRequests = new Counter({
      name: 'cairn_http_requests_total',
      help: 'HTTP requests answered, by route pattern, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'cairn_http_request_duration_seconds',
      help: 'Time from receiving a request to finishing its response, by route pattern, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.searchDuration = new Histogram({
      name: 'cairn_search_duration_seconds',
      help: 'Time to look up one search key in the index.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    // The storage's gauges, read at scrape time from the bound log.
    const storageGauge = (name: string, help: string, pick: keyof Awaited<ReturnType<AnyLog['storageStats']>>) =>
      new Gauge({
        name,
        help,
        aggregator: 'max',
        registers,
        async collect() {
          if (self.log) this.set((await self.log.storageStats())[pick]);
        },
      });
    this.sqliteSize = storageGauge('cairn_sqlite_size_bytes', 'Size of the SQLite database file plus its write-ahead log.', 'bytes');
    this.indexLag = storageGauge(
      'cairn_index_lag_entries',
      'Entries not yet in index.db, answered from memory until its worker writes them (it grows when the worker falls behind; the log waits past a bound).',
      'indexLag',
    );
    this.witnessCosignatureAge = new Gauge({
      name: 'cairn_witness_cosignature_age_seconds',
      help: 'Seconds since the newest cosignature from each witness.',
      aggregator: 'max',
      labelNames: ['witness'],
      registers,
      collect() {
        for (const [w, t] of self.cosignedAt) this.set({ witness: w }, Math.max(0, (now() - t) / 1000));
      },
    });
    this.immutableCache = new Counter({
      name: 'cairn_immutable_cache_requests_total',
      help: 'Reads of full tiles and entry bundles by whether the answer came from the in-memory cache (result="hit") or was built (result="miss").',
      labelNames: ['kind', 'result'],
      registers,
    });
    new Gauge({
      name: 'cairn_immutable_cache_bytes',
      help: 'Bytes held by the cache of full tiles and entry bundles (--immutable-cache).',
      registers,
      collect() {
        if (self.cacheBytes) this.set(self.cacheBytes());
      },
    });
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** bindLog makes the state gauges (tree size, checkpoint age, database size) read this log. */
  bindLog(log: AnyLog): this {
    this.log = log;
    return this;
  }

  /**
   * bindNode adds the gauges of a node of a log many nodes serve: whether it sequences now, and
   * how many uploads wait in the shared queue (read at scrape time).
   */
  bindNode(node: { readonly role: 'leader' | 'follower'; queueDepth(): Promise<number> }): void {
    const registers = [this.registry];
    new Gauge({
      name: 'cairn_sequencer_leader',
      help: 'Whether this node sequences the log now (1) or follows (0).',
      registers,
      collect() {
        this.set(node.role === 'leader' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'cairn_queue_depth',
      help: 'Uploads admitted by any node and waiting in the shared queue for the sequencer.',
      registers,
      async collect() {
        this.set(await node.queueDepth().catch(() => NaN));
      },
    });
  }

  /** observeBatch records one committed sequencer batch (wire it to LogConfig.onBatch). */
  observeBatch(s: BatchStats): void {
    this.entriesAppended.inc(s.accepted);
    this.batchSize.observe(s.size);
    this.sequencingDuration.observe(s.commitMs / 1000);
  }

  /** observeCache records one lookup in the immutable answer cache (kind: tile or bundle). */
  observeCache(kind: string, hit: boolean): void {
    this.immutableCache.inc({ kind, result: hit ? 'hit' : 'miss' });
  }

  /** bindCache makes cairn_immutable_cache_bytes read size at scrape time. */
  bindCache(size: () => number): void {
    this.cacheBytes = size;
  }

  /** observeSearch records one index lookup. */
  observeSearch(ms: number): void {
    this.searchDuration.observe(ms / 1000);
  }

  /**
   * observeRequest records one answered HTTP request. route must be a route pattern (or a fixed
   * placeholder for unmatched paths), never the raw path, so label cardinality stays bounded.
   */
  observeRequest(route: string, method: string, status: number, seconds: number): void {
    const labels = { route, method: METHODS.has(method) ? method : 'other', status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  /** setCosignature records that witness cosigned a checkpoint at unixMs (the witness layer calls it). */
  setCosignature(witness: string, unixMs: number): void {
    const prev = this.cosignedAt.get(witness);
    if (prev === undefined || unixMs > prev) this.cosignedAt.set(witness, unixMs);
  }

  /** addSource adds other processes' collectors (as JSON) to what render() sums (the primary of `serve --workers`). */
  addSource(collect: () => Promise<MetricsJson[]>): void {
    this.sources.push(collect);
  }

  /** render returns the text exposition of every metric and its content type: this registry's, summed with every source's. */
  async render(): Promise<{ contentType: string; body: string }> {
    if (this.sources.length === 0) return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    const all = [await this.registry.getMetricsAsJSON()];
    for (const collect of this.sources) all.push(...(await collect()));
    const sum = AggregatorRegistry.aggregate(all);
    return { contentType: sum.contentType, body: await sum.metrics() };
  }
}
