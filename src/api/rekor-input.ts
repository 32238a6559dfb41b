/**
 * Parsing of untrusted Rekor request parameters: every malformed value is a BAD_REQUEST
 * CairnError (400) naming the parameter, never an exception of another kind.
 */
import { CairnError } from '../errors.js';
import { TREE_ID_HEX_LEN, UUID_HEX_LEN } from './rekor-format.js';

export { isPlainObject } from './admission.js';

const HEX = /^[0-9a-fA-F]+$/;
const INT64_MAX = (1n << 63n) - 1n;

function bad(message: string): CairnError {
  return new CairnError('BAD_REQUEST', message);
}

/** queryInt returns the integer query parameter name (undefined if absent), at least min; else BAD_REQUEST. */
export function queryInt(query: unknown, name: string, min: number): number | undefined {
  const v = (query as Record<string, unknown> | undefined)?.[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^-?\d{1,16}$/.test(v)) throw bad(`${name} in query must be an integer`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw bad(`${name} in query must be an integer`);
  if (n < min) throw bad(`${name} in query should be greater than or equal to ${min}`);
  return n;
}

/** queryString returns the string query parameter name, or undefined; repeated parameters are BAD_REQUEST. */
export function queryString(query: unknown, name: string): string | undefined {
  const v = (query as Record<string, unknown> | undefined)?.[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw bad(`${name} in query must be a single string`);
  return v;
}

/** EntryRef is a parsed entry UUID: the leaf hash to look up and, for an 80-hex entry ID, the 16-hex tree ID of its shard. */
export interface EntryRef {
  leafHash: Buffer;
  tree?: string;
}

/**
 * parseEntryId parses a 64-hex UUID or an 80-hex entry ID (16-hex tree ID + UUID), as rekor
 * pkg/sharding does: a tree ID that is not a positive int64 is invalid, and tree ID 0 is read as
 * a plain UUID. Anything else is BAD_REQUEST.
 */
export function parseEntryId(id: unknown): EntryRef {
  if (typeof id !== 'string' || !HEX.test(id) || (id.length !== UUID_HEX_LEN && id.length !== UUID_HEX_LEN + TREE_ID_HEX_LEN)) {
    throw bad(`entryUUID must be a ${UUID_HEX_LEN}- or ${UUID_HEX_LEN + TREE_ID_HEX_LEN}-character hexadecimal string`);
  }
  const lower = id.toLowerCase();
  const leafHash = Buffer.from(lower.slice(-UUID_HEX_LEN), 'hex');
  if (lower.length === UUID_HEX_LEN) return { leafHash };
  const tree = lower.slice(0, TREE_ID_HEX_LEN);
  const t = BigInt('0x' + tree);
  if (t > INT64_MAX) throw bad(`validation error: ${tree} is not a valid TreeID`);
  return t === 0n ? { leafHash } : { leafHash, tree };
}

/** optionalArray returns body[name] if it is an array, [] if absent or null; else BAD_REQUEST. */
export function optionalArray(body: Record<string, unknown>, name: string): unknown[] {
  const v = body[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad(`${name} must be an array`);
  return v;
}
