/**
 * hashedrekord v0.0.1: a signature over an artifact's digest, with the key or certificate that
 * verifies it. Follows sigstore/rekor pkg/types/hashedrekord/v0.0.1/entry.go: validate, verify
 * the signature over the digest (Ed25519 keys as Ed25519ph over a sha512 digest), and store
 *
 *   {"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":A,"value":V}},
 *    "signature":{"content":base64(sig),"publicKey":{"content":base64(canonical PEM)}}}}
 *
 * as RFC 8785 bytes: the hash value exactly as submitted (Rekor keeps its case), unknown fields
 * dropped, the key re-encoded as Go's pem.Encode writes it.
 */
import { decodeBase64, decodeHex, encodeBase64, invalid, object } from './encoding.js';
import { MAX_KEY, MAX_SIGNATURE } from './limits.js';
import { parseVerifier, verifyChain } from './pki.js';
import { DIGEST_SIZE, verifyWith, type DigestAlg } from './prehashed.js';
import { hashKey, sanKeys, spkiKey } from './search-keys.js';
import type { Admitted, EntryKind, ProposedEntry } from './kind.js';

const KIND = 'hashedrekord';
const VERSION = '0.0.1';
const ASCII = new TextEncoder();

/** hashedrekord is the hashedrekord kind. */
export const hashedrekord: EntryKind = {
  kind: KIND,
  versions: [VERSION],
  admit: admitHashedrekord,
};

function admitHashedrekord(entry: ProposedEntry): Admitted {
  const spec = object(entry.spec, 'spec');
  const signature = object(spec.signature, 'spec.signature');
  const sig = decodeBase64(nonEmpty(signature.content, 'spec.signature.content'), 'spec.signature.content', MAX_SIGNATURE);
  const publicKey = object(signature.publicKey, 'spec.signature.publicKey');
  const pem = decodeBase64(nonEmpty(publicKey.content, 'spec.signature.publicKey.content'), 'spec.signature.publicKey.content', MAX_KEY);
  const hash = object(object(spec.data, 'spec.data').hash, 'spec.data.hash');
  const algorithm = hash.algorithm;
  if (typeof algorithm !== 'string' || !Object.hasOwn(DIGEST_SIZE, algorithm)) {
    throw invalid('spec.data.hash.algorithm must be one of sha256, sha384, sha512');
  }
  const alg = algorithm as DigestAlg;
  const value = hash.value;
  if (typeof value !== 'string' || value.length !== DIGEST_SIZE[alg] * 2) {
    throw invalid(`spec.data.hash.value must be ${DIGEST_SIZE[alg] * 2} hex digits for ${alg}`);
  }
  const digest = decodeHex(value, 'spec.data.hash.value');

  const verifier = parseVerifier(pem, 'spec.signature.publicKey.content');
  verifyChain(verifier.certs, 'spec.signature.publicKey.content');
  if (!verifyWith(verifier, alg, digest, sig)) {
    throw invalid('spec.signature.content: signature does not verify over spec.data.hash with spec.signature.publicKey');
  }

  // The RFC 8785 form, spelled out: keys in order, and no value needs escaping (the algorithm is
  // one of three names, the value hex, the contents base64). canonicalJsonBytes of the same object
  // gives the same bytes (the tests check both against Rekor's bodies) at about twice the cost
  // (bench/sign.ts times the same trade for a SET's payload).
  const body = ASCII.encode(
    `{"apiVersion":"${VERSION}","kind":"${KIND}","spec":{"data":{"hash":{"algorithm":"${alg}","value":"${value}"}},` +
      `"signature":{"content":"${encodeBase64(sig)}","publicKey":{"content":"${encodeBase64(verifier.canonical)}"}}}}`,
  );
  const indexKeys = [hashKey(alg, value), spkiKey(verifier.spki), ...sanKeys(verifier.sans)];
  // The keys are built from the stored body's fields with storedSearchKeys' functions: derivable.
  return { kind: `${KIND}/${VERSION}`, body, indexKeys: [...new Set(indexKeys)], derivedKeys: true };
}

function nonEmpty(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw invalid(`${field} is missing`);
  return v;
}
