import { Router, type Request, type Response } from 'express';
import { jsonBody } from './body.js';
import { CairnError } from '../errors.js';
import { admitEntry } from '../kinds/index.js';
import type { Log } from '../log/index.js';
import type { AppOptions } from './app.js';
import { RekorEntries } from './rekor-entries.js';
import { RekorFormatter, sendJson } from './rekor-format.js';
import { indexRetrieve } from './rekor-index.js';
import { queryInt, queryString } from './rekor-input.js';

/** rekorRoutes serves Rekor's v1 REST API (shared/specs/rekor-openapi.yaml). */
export function rekorRoutes(log: Log, opts: AppOptions, fmt = new RekorFormatter(log), entries = new RekorEntries(log, fmt, opts.publicUrl, admitEntry)): Router {
  const r = Router();
  // Any content type is read as JSON (clients differ in what they send); only on the POST routes,
  // so reads pay nothing for body parsing.
  const json = jsonBody(opts.maxBodyBytes);

  r.get('/api/v1/log', (_req, res) => sendJson(res, 200, fmt.logInfo(log.latest())));
  r.get('/api/v1/log/publicKey', (req, res) => {
    checkTreeId(log, req);
    res.set('Content-Type', 'application/x-pem-file').send(log.key.publicKeyPem);
  });
  r.get('/api/v1/log/proof', (req, res) => consistency(log, fmt, req, res));
  r.post('/api/v1/log/entries', json, entries.create);
  r.get('/api/v1/log/entries', entries.byIndex);
  r.post('/api/v1/log/entries/retrieve', json, entries.retrieve);
  r.get('/api/v1/log/entries/:entryUUID', entries.byUuid);
  r.post('/api/v1/index/retrieve', json, indexRetrieve(log, fmt));
  return r;
}

/** checkTreeId refuses a treeID query parameter that is not this log's (rekor: "no log range found"). */
function checkTreeId(log: Log, req: Request): void {
  const treeId = queryString(req.query, 'treeID');
  if (treeId === undefined || treeId === log.treeId) return;
  if (!/^[0-9]+$/.test(treeId)) throw new CairnError('BAD_REQUEST', `invalid tree ID specified: ${treeId}`);
  throw new CairnError('BAD_REQUEST', `no log range found for tree ID ${treeId}`);
}

/** consistency answers GET /api/v1/log/proof as rekor tlog.go GetLogProofHandler does. */
function consistency(log: Log, fmt: RekorFormatter, req: Request, res: Response): void {
  const first = queryInt(req.query, 'firstSize', 1) ?? 1;
  const last = queryInt(req.query, 'lastSize', 1);
  if (last === undefined) throw new CairnError('BAD_REQUEST', 'lastSize in query is required');
  if (first > last) throw new CairnError('BAD_REQUEST', `firstSize(${first}) must be less than lastSize(${last})`);
  checkTreeId(log, req);
  const cp = log.latest();
  if (last > cp.size) throw new CairnError('BAD_REQUEST', `the tree size requested(${last}) was greater than what is currently observable(${cp.size})`);
  const root = last === cp.size ? cp.rootHash : log.rootAt(last);
  sendJson(res, 200, fmt.consistencyProof(root, first === last ? [] : log.consistencyProof(first, last)));
}
