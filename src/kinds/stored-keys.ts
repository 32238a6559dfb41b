/**
 * storedSearchKeys recomputes an entry's search keys from its stored body alone, for the kinds
 * whose keys are all in the body: hashedrekord 0.0.1 and 0.0.2 (the digest and the verifier).
 * Why: storage need not keep such an entry's keys beside it (issue 16, "store less"); it can
 * derive them when it indexes the entry and when it re-checks a search hit.
 *
 * The other kinds cannot be derived and return undefined: dsse, intoto and cose index the in-toto
 * subject (and material) digests of their payload, and the stored body keeps only the payload's
 * hash. A body that does not parse as its kind (say, a test's made-up body) is undefined too, so a
 * caller keeps the keys it was given. Equal to admit's indexKeys, in the same order, for every
 * hashedrekord admit accepts (test/kinds/stored-keys.test.ts).
 */
import { decodeBase64, encodePem, object, toHex } from './encoding.js';
import { verifierParts } from './pki.js';
import type { San } from './san.js';
import { hashKey, sanKeys, spkiKey } from './search-keys.js';
import { ALLOWED_DETAILS } from './v2/verifier.js';

/** Generous bound on a stored key or chain (admit takes at most 64 KiB). */
const MAX_KEY = 1 << 20;

export function storedSearchKeys(kind: string, body: Uint8Array): string[] | undefined {
  const derive = DERIVE[kind];
  if (!derive) return undefined;
  // A body that is not its kind's stored form throws somewhere in parsing, and the error is
  // dropped: without a stack trace the throw is far cheaper, and the log writer pays it for every
  // such entry (bench/append.ts's made-up bodies).
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return derive(object(JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')), 'body'));
  } catch {
    return undefined;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** hasStoredSearchKeys reports whether storedSearchKeys can derive this kind's keys at all. */
export function hasStoredSearchKeys(kind: string): boolean {
  return Object.hasOwn(DERIVE, kind);
}

function keysOf(alg: string, hex: string, v: { spki: Uint8Array; sans: readonly San[] }): string[] {
  return [...new Set([hashKey(alg, hex), spkiKey(v.spki), ...sanKeys(v.sans)])];
}

const DERIVE: Record<string, (body: Record<string, unknown>) => string[]> = {
  // {"spec":{"data":{"hash":{"algorithm","value"}},"signature":{"publicKey":{"content":base64(PEM)}}}}
  'hashedrekord/0.0.1': (body) => {
    const spec = object(body.spec, 'spec');
    const hash = object(object(spec.data, 'data').hash, 'hash');
    const pem = object(object(spec.signature, 'signature').publicKey, 'publicKey').content;
    return keysOf(String(hash.algorithm), String(hash.value), verifierParts(decodeBase64(pem, 'publicKey', MAX_KEY), 'publicKey'));
  },
  // {"spec":{"hashedRekordV002":{"data":{"digest":b64},"signature":{"verifier":{...}}}}}: the
  // digest's algorithm is the verifier's, as admit takes it.
  'hashedrekord/0.0.2': (body) => {
    const entry = object(object(body.spec, 'spec').hashedRekordV002, 'hashedRekordV002');
    const digest = decodeBase64(object(entry.data, 'data').digest, 'digest', 64);
    const verifier = object(object(entry.signature, 'signature').verifier, 'verifier');
    const hash = ALLOWED_DETAILS[String(verifier.keyDetails)];
    const which = verifier.publicKey !== undefined ? 'publicKey' : 'x509Certificate';
    const raw = decodeBase64(object(verifier[which], which).rawBytes, which, MAX_KEY);
    const pem = new TextEncoder().encode(encodePem(which === 'publicKey' ? 'PUBLIC KEY' : 'CERTIFICATE', raw));
    if (!hash) throw new Error('unknown keyDetails');
    return keysOf(hash, toHex(digest), verifierParts(pem, which));
  },
};
