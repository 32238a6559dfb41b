/**
 * What the one search box understands, and the searches behind each kind of query: an artifact
 * SHA-256 (which may also be an entry UUID), an entry ID, a log index, an e-mail or URI identity,
 * a PEM public key or certificate.
 */
import { ApiError, api, type RawEntry } from './api.js';
import { toBase64, utf8 } from './bytes.js';

/** Query is a classified search. */
export type Query =
  | { kind: 'sha256'; hex: string }
  | { kind: 'entryId'; id: string }
  | { kind: 'index'; index: number }
  | { kind: 'email'; email: string }
  | { kind: 'uri'; uri: string }
  | { kind: 'pem'; pem: string }
  | { kind: 'unknown'; text: string };

/** classify returns what q is. */
export function classify(q: string): Query {
  const t = q.trim();
  let m: RegExpExecArray | null;
  if (/^-----BEGIN [A-Z ]+-----/.test(t)) return { kind: 'pem', pem: t + '\n' };
  if ((m = /^(?:sha256:)?([0-9a-fA-F]{64})$/.exec(t))) return { kind: 'sha256', hex: m[1].toLowerCase() };
  if (/^[0-9a-fA-F]{80}$/.test(t)) return { kind: 'entryId', id: t.toLowerCase() };
  if (/^[0-9]{1,16}$/.test(t) && Number.isSafeInteger(Number(t))) return { kind: 'index', index: Number(t) };
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(t)) return { kind: 'email', email: t };
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/\S+$/.test(t)) return { kind: 'uri', uri: t };
  return { kind: 'unknown', text: t };
}

/** describe returns how the page read a query, for the results heading. */
export function describe(q: Query): string {
  switch (q.kind) {
    case 'sha256':
      return `artifact SHA-256 or entry UUID ${q.hex}`;
    case 'entryId':
      return `entry ID ${q.id}`;
    case 'index':
      return `log index ${q.index}`;
    case 'email':
      return `e-mail identity ${q.email}`;
    case 'uri':
      return `URI identity ${q.uri}`;
    case 'pem':
      return 'public key or certificate (PEM)';
    case 'unknown':
      return JSON.stringify(q.text);
  }
}

/** Found is a search's answer: entries in hand, and entry IDs still to fetch page by page. */
export interface Found {
  direct: RawEntry[];
  ids: string[];
}

const notFound = (e: unknown) => {
  if (e instanceof ApiError && e.status === 404) return undefined;
  throw e;
};

/** find runs the search for q. API errors (a 422 past the index search's bound among them) are thrown. */
export async function find(q: Query): Promise<Found> {
  switch (q.kind) {
    case 'index': {
      const e = await api.entryByIndex(q.index).catch(notFound);
      return { direct: e ? [e] : [], ids: [] };
    }
    case 'entryId': {
      const e = await api.entryById(q.id).catch(notFound);
      return { direct: e ? [e] : [], ids: [] };
    }
    case 'sha256': {
      const [byUuid, ids] = await Promise.all([api.entryById(q.hex).catch(notFound), api.searchIndex({ hash: `sha256:${q.hex}` })]);
      return { direct: byUuid ? [byUuid] : [], ids: ids.filter((id) => !byUuid || id !== byUuid.id) };
    }
    case 'email':
      return { direct: [], ids: await api.searchIndex({ email: q.email }) };
    case 'uri':
      return { direct: [], ids: await api.searchIndex({ subject: q.uri }) };
    case 'pem':
      return { direct: [], ids: await api.searchIndex({ publicKey: { format: 'x509', content: toBase64(utf8(q.pem)) } }) };
    case 'unknown':
      return { direct: [], ids: [] };
  }
}
