/**
 * kinds turns proposed Rekor entries into what the log stores: admitEntry validates, verifies and
 * canonicalizes one; the search-key functions are the one definition of index keys. Pure: no
 * storage, no clock.
 */
import { CairnError } from '../errors.js';
import { dsse } from './dsse.js';
import { hashedrekord } from './hashedrekord.js';
import { intoto } from './intoto.js';
import { cose } from './cose.js';
import { invalid, object } from './encoding.js';
import type { Admitted, EntryKind, ProposedEntry } from './kind.js';
import { nativeVerifyDigest } from './native.js';
import { MAX_BODY } from './limits.js';

export type { Admitted, EntryKind, ProposedEntry } from './kind.js';
export { canonicalJson, canonicalJsonBytes } from './jcs.js';
export { verifyDigest, type DigestAlg, type VerifyOptions } from './prehashed.js';
export { hashKey, isHashAlg, publicKeyKey, spkiKey, emailKey, uriKey, subjectKey, type HashAlg } from './search-keys.js';
export { preAuthEncoding } from './envelope.js';
export { MAX_BODY } from './limits.js';
export { admitCreateEntryRequest } from './v2/request.js';
export { PUBLIC_KEY_DETAILS } from './v2/verifier.js';

/** hasNativeVerify reports whether signatures are checked by the native addon (else pure JS, far slower). */
export function hasNativeVerify(): boolean {
  return nativeVerifyDigest !== undefined;
}

/** KINDS is the table of supported kinds, looked up by name. */
export const KINDS: ReadonlyMap<string, EntryKind> = new Map([hashedrekord, dsse, intoto, cose].map((k) => [k.kind, k]));

/** supportedKinds returns "hashedrekord 0.0.1, dsse 0.0.1"-style text for messages. */
export function supportedKinds(): string {
  return [...KINDS.values()].map((k) => `${k.kind} ${k.versions.join('/')}`).join(', ');
}

/**
 * admitEntry validates, verifies and canonicalizes a proposed entry (JSON-parsed, untrusted).
 * Throws CairnError UNSUPPORTED_KIND for a kind or apiVersion not in KINDS, INVALID_ENTRY for
 * anything malformed or a signature that does not verify, TOO_LARGE for a canonical body past
 * MAX_BODY; never anything else.
 */
export function admitEntry(json: unknown): Admitted {
  const admitted = dispatch(json, (kind, entry) => kind.admit(entry));
  if (admitted.body.length > MAX_BODY) {
    throw new CairnError('TOO_LARGE', `entry's canonical body is ${admitted.body.length} bytes; at most ${MAX_BODY} (the tlog-tiles entry bundle limit)`);
  }
  return admitted;
}


function dispatch<T>(json: unknown, run: (kind: EntryKind, entry: ProposedEntry) => T): T {
  try {
    const e = object(json, 'entry');
    if (typeof e.kind !== 'string' || e.kind === '') throw invalid('entry.kind must be a non-empty string');
    if (typeof e.apiVersion !== 'string' || e.apiVersion === '') throw invalid('entry.apiVersion must be a non-empty string');
    if (e.spec === undefined) throw invalid('entry.spec is missing');
    const kind = KINDS.get(e.kind);
    if (!kind || !kind.versions.includes(e.apiVersion)) {
      const what = kind ? `${e.kind} apiVersion ${printable(e.apiVersion)}` : `kind ${printable(e.kind)}`;
      throw new CairnError('UNSUPPORTED_KIND', `unsupported ${what}; supported: ${supportedKinds()}`);
    }
    return run(kind, { kind: e.kind, apiVersion: e.apiVersion, spec: e.spec });
  } catch (err) {
    if (err instanceof CairnError) throw err;
    // A bug or an unforeseen input shape: refuse the entry rather than crash the request.
    throw new CairnError('INVALID_ENTRY', 'entry could not be processed', { cause: String(err) });
  }
}

/**
 * canonicalizeEntry returns the canonical body an entry in a search query stands for (Rekor's
 * POST /api/v1/log/entries/retrieve "entries"): a proposal is admitted as by admitEntry, and a
 * body already in a kind's stored form (a dsse entry without proposedContent) is re-canonicalized
 * without verification, as Rekor does. Same errors as admitEntry.
 */
export function canonicalizeEntry(json: unknown): Uint8Array {
  return dispatch(json, (kind, entry) => kind.canonicalize?.(entry) ?? kind.admit(entry).body);
}

function printable(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}
export { storedSearchKeys, hasStoredSearchKeys } from './stored-keys.js';
