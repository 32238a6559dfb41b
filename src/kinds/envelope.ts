/**
 * DSSE pieces the dsse, intoto and cose kinds share: the pre-authentication encoding and its
 * verification as Rekor does it, the first-match pairing of keys with signatures, and the search
 * keys of an in-toto statement's digests.
 */
import { createHash, verify as nodeVerify } from 'node:crypto';
import { invalid, object } from './encoding.js';
import type { Verifier } from './pki.js';
import { verifyWith } from './prehashed.js';
import { hashKey, isHashAlg } from './search-keys.js';

/** IN_TOTO is the payload type (and COSE content type) of an in-toto statement. */
export const IN_TOTO = 'application/vnd.in-toto+json';

/** preAuthEncoding is DSSE's PAE: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = Buffer.from(payloadType, 'utf8');
  const head = Buffer.from(`DSSEv1 ${type.length} `, 'utf8');
  return Buffer.concat([head, type, Buffer.from(` ${payload.length} `, 'utf8'), payload]);
}

/** Pae is a PAE with its SHA-256 digest, computed once for all the signatures over it. */
export interface Pae {
  bytes: Uint8Array;
  digest: Uint8Array;
}

/** paeOf returns the PAE of a payload and its digest. */
export function paeOf(payloadType: string, payload: Uint8Array): Pae {
  const bytes = preAuthEncoding(payloadType, payload);
  return { bytes, digest: sha256(bytes) };
}

/**
 * verifiesPae reports whether sig is v's signature over the PAE. Rekor loads DSSE verifiers with
 * SHA-256: ECDSA and RSA PKCS#1 v1.5 over SHA-256(PAE) whatever the curve or modulus, and Ed25519
 * as pure Ed25519 over the PAE itself.
 */
export function verifiesPae(v: Verifier, pae: Pae, sig: Uint8Array): boolean {
  if (!v.ec && v.key.asymmetricKeyType === 'ed25519') {
    try {
      return nodeVerify(null, pae.bytes, v.key, sig);
    } catch {
      return false;
    }
  }
  return verifyWith(v, 'sha256', pae.digest, sig);
}

/**
 * firstVerified returns the index of the first signature, in envelope order, that v verifies
 * over the PAE, or -1: go-securesystemslib's envelope verifier with one key and threshold 1
 * (what Rekor runs once per key) stops at that signature.
 */
export function firstVerified(v: Verifier, pae: Pae, sigs: readonly Uint8Array[]): number {
  return sigs.findIndex((s) => verifiesPae(v, pae, s));
}

/**
 * inTotoDigestKeys returns hash search keys for an in-toto statement's subject digests and, with
 * materials, its predicate's materials digests (what Rekor indexes for dsse and intoto; cose
 * indexes subjects only), skipping algorithms hashKey does not know and payloads not JSON.
 */
export function inTotoDigestKeys(payload: Uint8Array, materials = true): string[] {
  let st: unknown;
  try {
    st = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return [];
  }
  const digests = (list: unknown): [string, unknown][] =>
    Array.isArray(list) ? list.slice(0, 1024).flatMap((x) => (isRecord(x) && isRecord(x.digest) ? Object.entries(x.digest) : [])) : [];
  const predicate = isRecord(st) && isRecord(st.predicate) ? st.predicate : {};
  const all = [...digests(isRecord(st) ? st.subject : undefined), ...(materials ? digests(predicate.materials) : [])];
  return all.flatMap(([alg, hex]) => {
    if (!isHashAlg(alg) || typeof hex !== 'string') return [];
    try {
      return [hashKey(alg, hex)];
    } catch {
      return [];
    }
  });
}

/** isRecord reports whether v is a JSON object. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** sha256 returns SHA-256(b). */
export function sha256(b: Uint8Array): Uint8Array {
  return createHash('sha256').update(b).digest();
}

/** EnvelopeFields are a DSSE envelope's fields as sent, before the kind decodes payload and signatures. */
export interface EnvelopeFields {
  payloadType: string;
  payload: Uint8Array;
  signatures: unknown[];
}

/**
 * envelopeFields reads a DSSE envelope's JSON (github.com/secure-systems-lab/dsse envelope.md) as
 * far as the dsse and intoto kinds read it alike: an object, payloadType a string ('' when absent),
 * the payload as decodePayload decodes it (the kinds differ there), 1 to maxSignatures signatures,
 * checked in that order. field names the JSON string in the error when it is not JSON.
 */
export function envelopeFields(text: string, field: string, decodePayload: (raw: unknown) => Uint8Array, maxSignatures: number): EnvelopeFields {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid(`${field} is not JSON`);
  }
  const e = object(json, 'envelope');
  const payloadType = e.payloadType ?? '';
  if (typeof payloadType !== 'string') throw invalid('envelope.payloadType must be a string');
  const payload = decodePayload(e.payload ?? '');
  const list = e.signatures;
  if (!Array.isArray(list) || list.length === 0) throw invalid('envelope.signatures must be a non-empty array');
  if (list.length > maxSignatures) throw invalid(`envelope.signatures holds more than ${maxSignatures} signatures`);
  return { payloadType, payload, signatures: list };
}
