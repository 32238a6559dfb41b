import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Log, StoredEntry } from '../log/index.js';
import type { Metrics } from './metrics.js';
import { recordRequest, type Readiness } from './ops.js';
import { TREE_ID_HEX_LEN, UUID_HEX_LEN, sendJson, type RekorFormatter } from './rekor-format.js';

/** What createApp leaves in app.locals.fastReads for withFastReads. */
export interface FastReadsContext {
  log: Log;
  fmt: RekorFormatter;
  metrics: Metrics;
  logger: Logger;
  readiness: Readiness;
}

const BY_INDEX = /^\/api\/v1\/log\/entries\?logIndex=(0|[1-9]\d{0,15})$/;
const BY_UUID = /^\/api\/v1\/log\/entries\/([0-9a-f]{64}|[0-9a-f]{80})$/;

/**
 * withFastReads returns a request listener that answers the two hottest reads, an entry with its
 * proof by log index or by UUID, without express, and hands every other request to app. Why:
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
    if (req.method === 'GET' && !ctx.readiness.isDraining && req.url !== undefined && answer(ctx, req, res, req.url)) return;
    app(req, res);
  };
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
