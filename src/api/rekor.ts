import { CairnError } from '../errors.js';
import type { Log } from '../log/index.js';
import type { RekorEntries } from './rekor-entries.js';
import type { RekorFormatter } from './rekor-format.js';
import { indexRetrieve } from './rekor-index.js';
import { queryInt, queryString } from './rekor-input.js';
import { jsonReply, type Reply } from './reply.js';
import type { ApiRequest, Route } from './route.js';

// The canonical spellings of the hot routes' URLs, which dispatch.ts answers without express.
const BY_INDEX = /^\/api\/v1\/log\/entries\?logIndex=(0|[1-9]\d{0,15})$/;
const BY_UUID = /^\/api\/v1\/log\/entries\/([0-9a-f]{64}|[0-9a-f]{80})$/;

/** rekorRoutes are Rekor's v1 REST API (shared/specs/rekor-openapi.yaml). */
export function rekorRoutes(log: Log, fmt: RekorFormatter, entries: RekorEntries, maxBodyBytes: number): Route[] {
  return [
    { method: 'GET', path: '/api/v1/log', handler: () => jsonReply(200, fmt.logInfo(log.latest())) },
    {
      method: 'GET',
      path: '/api/v1/log/publicKey',
      handler: (req) => {
        checkTreeId(log, req);
        return { status: 200, headers: { 'Content-Type': 'application/x-pem-file; charset=utf-8' }, body: log.key.publicKeyPem };
      },
    },
    { method: 'GET', path: '/api/v1/log/proof', handler: (req) => consistency(log, fmt, req) },
    { method: 'POST', path: '/api/v1/log/entries', handler: entries.create, fast: (url) => (url === '/api/v1/log/entries' ? { params: {}, query: {} } : undefined) },
    {
      method: 'GET',
      path: '/api/v1/log/entries',
      handler: entries.byIndex,
      fast: (url) => {
        const m = BY_INDEX.exec(url);
        return m ? { params: {}, query: { logIndex: m[1] } } : undefined;
      },
    },
    { method: 'POST', path: '/api/v1/log/entries/retrieve', handler: entries.retrieve },
    {
      method: 'GET',
      path: '/api/v1/log/entries/:entryUUID',
      handler: entries.byUuid,
      fast: (url) => {
        const m = BY_UUID.exec(url);
        return m ? { params: { entryUUID: m[1] }, query: {} } : undefined;
      },
    },
    { method: 'POST', path: '/api/v1/index/retrieve', handler: indexRetrieve(log, fmt, maxBodyBytes) },
  ];
}

/** checkTreeId refuses a treeID query parameter that is not this log's (rekor: "no log range found"). */
function checkTreeId(log: Log, req: ApiRequest): void {
  const treeId = queryString(req.query, 'treeID');
  if (treeId === undefined || treeId === log.treeId) return;
  if (!/^[0-9]+$/.test(treeId)) throw new CairnError('BAD_REQUEST', `invalid tree ID specified: ${treeId}`);
  throw new CairnError('BAD_REQUEST', `no log range found for tree ID ${treeId}`);
}

/** consistency answers GET /api/v1/log/proof as rekor tlog.go GetLogProofHandler does. */
function consistency(log: Log, fmt: RekorFormatter, req: ApiRequest): Reply {
  const first = queryInt(req.query, 'firstSize', 1) ?? 1;
  const last = queryInt(req.query, 'lastSize', 1);
  if (last === undefined) throw new CairnError('BAD_REQUEST', 'lastSize in query is required');
  if (first > last) throw new CairnError('BAD_REQUEST', `firstSize(${first}) must be less than lastSize(${last})`);
  checkTreeId(log, req);
  const cp = log.latest();
  if (last > cp.size) throw new CairnError('BAD_REQUEST', `the tree size requested(${last}) was greater than what is currently observable(${cp.size})`);
  const root = last === cp.size ? cp.rootHash : log.rootAt(last);
  return jsonReply(200, fmt.consistencyProof(root, first === last ? [] : log.consistencyProof(first, last)));
}

