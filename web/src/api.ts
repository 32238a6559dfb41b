/**
 * The log's own HTTP API as the explorer uses it: Rekor v1 reads and search
 * (shared/specs/rekor-openapi.yaml) and the C2SP checkpoint. Relative URLs: the page is served
 * by the log it shows.
 */

/** ApiError is a non-2xx answer: its status and the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// The log changes under the page: never answer from the HTTP cache. (Cast: Node's RequestInit,
// which the tests type-check this file against, has no `cache`.)
const NO_STORE = { cache: 'no-store' } as RequestInit;

async function call(path: string, init?: RequestInit): Promise<Response> {
  const res = await fetch(path, { ...NO_STORE, ...init });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const j = (await res.json()) as { message?: unknown };
      if (typeof j.message === 'string') message = j.message;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(res.status, message);
  }
  return res;
}

async function json(path: string, body?: unknown): Promise<unknown> {
  const init: RequestInit | undefined = body === undefined ? undefined : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  return (await call(path, init)).json();
}

/** ShardInfo is a frozen shard in GET /api/v1/log's inactiveShards: its final tree. */
export interface ShardInfo {
  rootHash: string;
  signedTreeHead: string;
  treeID: string;
  treeSize: number;
}

/** LogInfo is the body of GET /api/v1/log. */
export interface LogInfo {
  /** Frozen shards, oldest first (after a rotation); their entries come before the active tree's in virtual log indexes. */
  inactiveShards?: ShardInfo[];
  rootHash: string;
  signedTreeHead: string;
  treeID: string;
  treeSize: number;
}

/** Rekor v1 LogEntryAnon, as Cairn serves it. */
export interface LogEntryAnon {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification?: {
    inclusionProof?: { checkpoint: string; hashes: string[]; logIndex: number; rootHash: string; treeSize: number };
    signedEntryTimestamp?: string;
  };
}

/** RawEntry is one entry with its entry ID (the key of Rekor's LogEntry map). */
export interface RawEntry {
  id: string;
  anon: LogEntryAnon;
}

function entries(logEntry: unknown): RawEntry[] {
  if (typeof logEntry !== 'object' || logEntry === null) throw new ApiError(0, 'unexpected entry response');
  return Object.entries(logEntry as Record<string, LogEntryAnon>).map(([id, anon]) => ({ id, anon }));
}

export const api = {
  logInfo: async () => (await json('api/v1/log')) as LogInfo,
  /** publicKey returns the active tree's key, or that of the shard treeID names (each shard has its own). */
  publicKey: async (treeID?: string) => (await call(`api/v1/log/publicKey${treeID ? `?treeID=${encodeURIComponent(treeID)}` : ''}`)).text(),
  checkpoint: async () => (await call('checkpoint')).text(),
  /**
   * activeTree returns the signed checkpoint of the tree that takes entries, and how many entries
   * the frozen shards before it hold (their entries' indexes come first). Until the log rotates
   * that is /checkpoint (C2SP, with any witness cosignatures); after, /checkpoint stays the first,
   * frozen shard's, and the active tree's is the Rekor note of GET /api/v1/log (same body and key).
   */
  activeTree: async (): Promise<{ note: string; offset: number }> => {
    const info = await api.logInfo();
    const shards = info.inactiveShards ?? [];
    if (shards.length === 0) return { note: await api.checkpoint(), offset: 0 };
    return { note: info.signedTreeHead, offset: shards.reduce((n, s) => n + s.treeSize, 0) };
  },
  entryByIndex: async (i: number) => entries(await json(`api/v1/log/entries?logIndex=${i}`))[0],
  entryById: async (id: string) => entries(await json(`api/v1/log/entries/${encodeURIComponent(id)}`))[0],
  /** retrieve returns entries by ID or index, at most 10 of them in all (rekor's maxSearchQueries). */
  retrieve: async (q: { entryUUIDs?: string[]; logIndexes?: number[] }) => ((await json('api/v1/log/entries/retrieve', q)) as unknown[]).flatMap(entries),
  /** searchIndex returns the entry IDs matching a SearchIndex query (at most 1000; 422 past that). */
  searchIndex: async (q: Record<string, unknown>) => (await json('api/v1/index/retrieve', q)) as string[],
  /** consistency asks for a proof in the active tree, or in the shard treeID names. */
  consistency: async (first: number, last: number, treeID?: string) =>
    (await json(`api/v1/log/proof?firstSize=${first}&lastSize=${last}${treeID ? `&treeID=${encodeURIComponent(treeID)}` : ''}`)) as { hashes: string[]; rootHash: string },
};

/** RETRIEVE_LIMIT is the most entries one retrieve request names (rekor's maxSearchQueries). */
export const RETRIEVE_LIMIT = 10;
/** INDEX_SEARCH_LIMIT is the most entry IDs Cairn's index search returns (src/api/rekor-index.ts). */
export const INDEX_SEARCH_LIMIT = 1000;
