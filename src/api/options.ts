import type { Logger } from 'pino';
import type { AnyLog, SignedCheckpoint } from '../log/index.js';
import type { TimestampAuthority } from '../tsa/index.js';
import type { AdmitPool } from './admit-pool.js';
import type { Metrics } from './metrics.js';
import type { Readiness } from './ops.js';
import type { RateLimitOptions } from './limits.js';

/** AppOptions configure createApp; the route modules read them too (a file of its own, so none imports app.ts). */
export interface AppOptions {
  /** URL clients reach the log at (used in Location headers). */
  publicUrl: string;
  /** The C2SP note served for a checkpoint of log (a shard): by default its own text; witnessing appends cosignatures. */
  checkpointNote: (cp: SignedCheckpoint, log: AnyLog) => string;
  /** Largest request body accepted (bytes); larger ones get 413. */
  maxBodyBytes: number;
  /** Bytes of memory for finished full tiles and entry bundles (ImmutableCache; 0: off). */
  immutableCacheBytes: number;
  /** Collectors GET /metrics renders; HTTP requests are recorded into them. */
  metrics: Metrics;
  /** Request and error log lines. */
  logger: Logger;
  /** Per-client write rate limit (perSecond 0: off). */
  rateLimit: RateLimitOptions;
  /** What GET /readyz reports (sequencer failures, draining). */
  readiness: Readiness;
  /** The RFC 3161 timestamp authority served at /api/v1/timestamp; none: not served. */
  tsa?: TimestampAuthority;
  /** Worker threads that admit uploads; without it, the main thread does. */
  admission?: AdmitPool;
}
