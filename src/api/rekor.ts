import { CairnError } from '../errors.js';
import type { RekorEntries } from './rekor-entries.js';
import { indexRetrieve } from './rekor-index.js';
import { queryInt, queryString } from './rekor-input.js';
import { jsonReply, type Reply } from './reply.js';
import type { ApiRequest, Route } from './route.js';
import type { ShardViews } from './shards.js';

// The canonical spellings of the hot routes' URLs, which dispatch.ts answers without express.
const BY_INDEX = /^\/api\/v1\/log\/entries\?logIndex=(0|[1-9]\d{0,15})$/;
const BY_UUID = /^\/api\/v1\/log\/entries\/([0-9a-f]{64}|[0-9a-f]{80})$/;

/** rekorRoutes are Rekor's v1 REST API (shared/specs/rekor-openapi.yaml). */
export function rekorRoutes(shards: ShardViews, entries: RekorEntries, maxBodyBytes: number): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/log',
      handler: async () => {
        const { log, fmt } = shards.active;
        return jsonReply(200, fmt.logInfo(await log.latest(), shards.inactiveShards()));
      },
    },
    {
      method: 'GET',
      path: '/api/v1/log/publicKey',
      handler: (req) => {
        const { log } = shards.byTreeIdParam(queryString(req.query, 'treeID'));
        return { status: 200, headers: { 'Content-Type': 'application/x-pem-file; charset=utf-8' }, body: log.key.publicKeyPem };
      },
    },
    { method: 'GET', path: '/api/v1/log/proof', handler: (req) => consistency(shards, req) },
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
    { method: 'POST', path: '/api/v1/index/retrieve', handler: indexRetrieve(shards, maxBodyBytes) },
  ];
}

/** consistency answers GET /api/v1/log/proof as rekor tlog.go GetLogProofHandler does: in the shard treeID names, else the active one. */
async function consistency(shards: ShardViews, req: ApiRequest): Promise<Reply> {
  const first = queryInt(req.query, 'firstSize', 1) ?? 1;
  const last = queryInt(req.query, 'lastSize', 1);
  if (last === undefined) throw new CairnError('BAD_REQUEST', 'lastSize in query is required');
  if (first > last) throw new CairnError('BAD_REQUEST', `firstSize(${first}) must be less than lastSize(${last})`);
  const { log, fmt } = shards.byTreeIdParam(queryString(req.query, 'treeID'));
  const cp = await log.latest();
  if (last > cp.size) throw new CairnError('BAD_REQUEST', `the tree size requested(${last}) was greater than what is currently observable(${cp.size})`);
  const root = last === cp.size ? cp.rootHash : await log.rootAt(last);
  return jsonReply(200, fmt.consistencyProof(root, first === last ? [] : await log.consistencyProof(first, last)));
}
