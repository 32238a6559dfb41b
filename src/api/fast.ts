import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { CairnError } from '../errors.js';
import type { Admitted } from '../kinds/index.js';
import type { Log, StoredEntry } from '../log/index.js';
import { readBody } from './body.js';
import { errorStatus, writeError } from './errors.js';
import { clientOf, type WriteLimiter } from './limits.js';
import type { Metrics } from './metrics.js';
import { recordRequest, type Readiness } from './ops.js';
import type { RekorEntries } from './rekor-entries.js';
import { TREE_ID_HEX_LEN, UUID_HEX_LEN, sendJson, type RekorFormatter } from './rekor-format.js';

/** What createApp leaves in app.locals.fastReads for withFastReads. */
export interface FastReadsContext {
  log: Log;
  fmt: RekorFormatter;
  metrics: Metrics;
  logger: Logger;
  readiness: Readiness;
  uploads: FastUploadsContext;
}

/** What the fast upload path shares with the express route and middleware. */
export interface FastUploadsContext {
  entries: RekorEntries;
  maxBodyBytes: number;
  limiter: WriteLimiter;
  /** Admission of a raw body: on the main thread (admitBody) or an AdmitPool's workers. Owns bytes. */
  admit: (bytes: Uint8Array) => Promise<Admitted>;
}

const BY_INDEX = /^\/api\/v1\/log\/entries\?logIndex=(0|[1-9]\d{0,15})$/;
const BY_UUID = /^\/api\/v1\/log\/entries\/([0-9a-f]{64}|[0-9a-f]{80})$/;

/**
 * withFastReads returns a request listener that answers the two hottest reads, an entry with its
 * proof by log index or by UUID, and plain uploads (upload below) without express, and hands
 * every other request to app. Why:
 * measured here, express 5's per-request setup costs ~100 µs (a bare express app serves ~8,400
 * trivial requests/s where node:http serves ~40,000), more than a third of a proof read. Only the
 * plain success path is taken here; anything unusual (other query parameters, an odd ID, an
 * entry not found, draining) falls through to express, which answers it as before. The bytes
 * are the same as the express route's (test/api/fast-reads.test.ts), and requests are counted
 * and logged the same way.
 */
export function withFastReads(app: Express): RequestListener {
  const ctx = app.locals.fastReads as FastReadsContext;
  return (req, res) => {
    if (!ctx.readiness.isDraining && req.url !== undefined) {
      if (req.method === 'GET' && answer(ctx, req, res, req.url)) return;
      if (req.method === 'POST' && req.url === ENTRIES && upload(ctx, req, res)) return;
    }
    app(req, res);
  };
}

const ENTRIES = '/api/v1/log/entries';

// Content types the express route's body parser reads as UTF-8 JSON without a second look: none,
// a bare type/subtype (it reads any type as JSON), or JSON with charset utf-8. Other parameters,
// charsets (415) and malformed types (500 there) go to express.
const PLAIN_TYPE = /^(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+|application\/json; ?charset=utf-8)$/i;

/**
 * upload answers POST /api/v1/log/entries without express when the request is plain: a
 * Content-Length within the limit (else express's 413), no Content-Encoding (express inflates),
 * a plain content type. What the express middleware and route would do is done here in the same
 * order with the same state: the rate limit's buckets (429 counted as route "unmatched", as
 * express has matched no route yet), the body read to its end, admission (on the pool's worker
 * threads when there is one), the append, and every answer, 201, 409 and each error, with the
 * same bytes (test/api/fast-uploads.test.ts).
 */
function upload(ctx: FastReadsContext, req: IncomingMessage, res: ServerResponse): boolean {
  const u = ctx.uploads;
  const h = req.headers;
  if (h['content-length'] === undefined || h['transfer-encoding'] !== undefined || h['content-encoding'] !== undefined) return false;
  if (h['content-type'] !== undefined && !PLAIN_TYPE.test(h['content-type'])) return false;
  const length = Number(h['content-length']);
  if (!(length <= u.maxBodyBytes)) return false;

  let route = ENTRIES;
  let error: unknown;
  recordRequest(ctx.metrics, ctx.logger, req, res, () => route, () => error);
  const refused = u.limiter.take(clientOf(req));
  if (refused) {
    route = 'unmatched';
    res.setHeader('Retry-After', String(refused.retryAfter));
    writeError(res, 429, refused.message);
    return true;
  }
  readBody(req, res, u.maxBodyBytes, (bytes) => {
    // A copy of its own: unlike a pooled Buffer, it can be moved to a worker thread.
    const body = new Uint8Array(bytes);
    u.admit(body)
      .then((admitted) => u.entries.append(admitted))
      .then(
        (c) => {
          res.setHeader('Location', c.location);
          if (c.status === 409) return writeError(res, 409, c.message);
          res.setHeader('ETag', c.id);
          sendJson(res, 201, c.json);
        },
        (e: unknown) => {
          error = e;
          const { status, message } = errorStatus(e);
          if (status === 500 && !(e instanceof CairnError)) console.error('cairn: internal error', e);
          writeError(res, status, message);
        },
      )
      .catch((e: unknown) => {
        error = e; // writing the answer failed: nothing more to say to this client
        res.destroy();
      });
  }, () => (route = 'unmatched')); // as in express, where bodies are read before routing
  return true;
}

function answer(ctx: FastReadsContext, req: IncomingMessage, res: ServerResponse, url: string): boolean {
  let entry: StoredEntry | undefined;
  let route: string;
  let m = BY_INDEX.exec(url);
  if (m) {
    const index = Number(m[1]);
    if (!Number.isSafeInteger(index)) return false;
    entry = ctx.log.entryByIndex(index);
    route = '/api/v1/log/entries';
  } else if ((m = BY_UUID.exec(url))) {
    const id = m[1];
    if (id.length === UUID_HEX_LEN + TREE_ID_HEX_LEN && id.slice(0, TREE_ID_HEX_LEN) !== ctx.fmt.treeIdHex) return false;
    entry = ctx.log.entryByLeafHash(Buffer.from(id.slice(-UUID_HEX_LEN), 'hex'));
    route = '/api/v1/log/entries/:entryUUID';
  } else {
    return false;
  }
  if (!entry) return false;
  recordRequest(ctx.metrics, ctx.logger, req, res, () => route);
  sendJson(res, 200, ctx.fmt.currentLogEntry(entry));
  return true;
}
