/**
 * POST /api/v1/index/retrieve (rekor pkg/api/index.go SearchIndexHandler): entry IDs carrying a
 * hash, public key, email or subject, combined with "or" (default) or "and". Search keys come from
 * the kinds module's functions, the same ones that produced them at admission, so the two agree.
 * Results are bounded: past MAX_INDEX_RESULTS the query is refused rather than truncated.
 */
import { CairnError } from '../errors.js';
import { emailKey, hashKey, publicKeyKey, subjectKey } from '../kinds/index.js';
import { httpError } from './rekor-entries.js';
import { jsonOf } from './body.js';
import { jsonReply } from './reply.js';
import type { Handler } from './route.js';
import { isPlainObject } from './rekor-input.js';
import type { ShardViews } from './shards.js';

/** MAX_INDEX_RESULTS is the most entry IDs one index query returns. */
export const MAX_INDEX_RESULTS = 1000;

// rekor openapi.yaml SearchIndex.hash, with the prefix rekor's util.PrefixSHA infers from the length.
const HASH = /^(?:(sha512):)?([0-9a-fA-F]{128})$|^(?:(sha256):)?([0-9a-fA-F]{64})$|^(?:(sha1):)?([0-9a-fA-F]{40})$/;
const HASH_ALG_BY_LEN: Record<number, string> = { 128: 'sha512', 64: 'sha256', 40: 'sha1' };
const PKI_FORMATS = new Set(['pgp', 'x509', 'minisign', 'ssh', 'tuf']);
const SUPPORTED_PKI = new Set(['x509', 'ssh']);
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function bad(message: string): CairnError {
  return new CairnError('BAD_REQUEST', message);
}

/** searchKeys returns the normalized search keys of a SearchIndex body and its operator; BAD_REQUEST on anything malformed. */
export function searchKeys(body: unknown): { keys: string[]; operator: 'and' | 'or' } {
  if (!isPlainObject(body)) throw bad('the body must be a SearchIndex object');
  const { hash, publicKey, email, subject, operator } = body;
  if (operator !== undefined && operator !== 'and' && operator !== 'or') throw bad('operator must be "and" or "or"');
  const keys: string[] = [];
  if (hash !== undefined && hash !== '') {
    const m = typeof hash === 'string' ? HASH.exec(hash) : null;
    if (!m) throw bad('hash must be [sha256:]<64 hex>, [sha1:]<40 hex> or [sha512:]<128 hex>');
    const digest = (m[2] ?? m[4] ?? m[6]).toLowerCase();
    keys.push(hashKey(HASH_ALG_BY_LEN[digest.length], digest));
  }
  if (publicKey !== undefined && publicKey !== null) {
    if (!isPlainObject(publicKey) || typeof publicKey.format !== 'string' || !PKI_FORMATS.has(publicKey.format)) {
      throw bad('publicKey.format must be one of pgp, x509, minisign, ssh, tuf');
    }
    if (!SUPPORTED_PKI.has(publicKey.format)) throw bad('the PKI format requested is not supported by this server');
    const content = publicKey.content;
    if (typeof content !== 'string' || content === '' || !BASE64.test(content)) throw bad('public key provided could not be parsed');
    let key: string;
    try {
      key = publicKeyKey(publicKey.format, Buffer.from(content, 'base64'));
    } catch {
      throw bad('public key provided could not be parsed');
    }
    keys.push(key);
  }
  if (email !== undefined && email !== '') {
    if (typeof email !== 'string' || email.length > 320 || !EMAIL.test(email)) throw bad('email must be an email address');
    keys.push(emailKey(email));
  }
  if (subject !== undefined && subject !== '') {
    if (typeof subject !== 'string' || subject.length > 512) throw bad('subject must be a string of 1 to 512 characters');
    keys.push(subjectKey(subject));
  }
  return { keys, operator: operator ?? 'or' };
}

/** searchIndex returns the virtual log indexes (every shard's) matching keys under operator, ascending; 422 past MAX_INDEX_RESULTS. */
export async function searchIndex(shards: ShardViews, keys: string[], operator: 'and' | 'or'): Promise<number[]> {
  const tooMany = () => httpError(422, `more than ${MAX_INDEX_RESULTS} entries match this query; narrow it (e.g. operator "and" with another field)`);
  let result: Set<number> | undefined;
  for (const k of keys) {
    const found = await shards.search(k, MAX_INDEX_RESULTS + 1);
    if (found.length > MAX_INDEX_RESULTS) throw tooMany();
    const hits = found.map((f) => f.view.log.indexOffset + f.index);
    if (!result) result = new Set(hits);
    else if (operator === 'and') result = new Set(hits.filter((i) => result!.has(i)));
    else for (const i of hits) result.add(i);
  }
  if (!result) return [];
  if (result.size > MAX_INDEX_RESULTS) throw tooMany();
  return [...result].sort((a, b) => a - b);
}

/** indexRetrieve handles POST /api/v1/index/retrieve: a JSON array of entry IDs, each carrying its shard's tree ID. */
export function indexRetrieve(shards: ShardViews, maxBodyBytes: number): Handler {
  return async (req) => {
    const { keys, operator } = searchKeys(jsonOf(req, maxBodyBytes));
    const ids: string[] = [];
    // Asked for together: entry reads are gathered per turn (Log.entryByIndexGathered).
    for (const f of await Promise.all((await searchIndex(shards, keys, operator)).map((i) => shards.entryAt(i)))) {
      if (f) ids.push(f.view.fmt.entryId(f.entry.leafHash));
    }
    return jsonReply(200, ids.length ? `["${ids.join('","')}"]` : '[]');
  };
}
