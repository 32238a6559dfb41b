/**
 * dsse v0.0.1: a DSSE envelope and the keys or certificates that verify its signatures. Follows
 * sigstore/rekor pkg/types/dsse/v0.0.1/entry.go: every envelope signature must be verified over
 * the DSSE PAE by some verifier, and the log stores only hashes and signatures:
 *
 *   {"apiVersion":"0.0.1","kind":"dsse","spec":{
 *     "envelopeHash":{"algorithm":"sha256","value":hex(sha256(envelope string))},
 *     "payloadHash":{"algorithm":"sha256","value":hex(sha256(decoded payload))},
 *     "signatures":[{"signature":<sig string as in the envelope>,"verifier":base64(canonical PEM)}…]}}
 *
 * as RFC 8785 bytes, signatures sorted by their string, one per distinct string.
 */
import { canonicalJsonBytes } from './jcs.js';
import { decodeBase64, encodeBase64, invalid, object, toHex } from './encoding.js';
import { IN_TOTO, envelopeFields, firstVerified, inTotoDigestKeys, isRecord, paeOf, sha256 } from './envelope.js';
import { MAX_KEY, MAX_SIGNATURE } from './limits.js';
import { parseVerifier, type Verifier } from './pki.js';
import { hashKey, sanKeys, spkiKey } from './search-keys.js';
import type { Admitted, EntryKind, ProposedEntry } from './kind.js';

const KIND = 'dsse';
const VERSION = '0.0.1';
/** MAX_ENVELOPE bounds the envelope string (UTF-16 code units, so at most 3 MiB of UTF-8). */
const MAX_ENVELOPE = 1024 * 1024;
/** MAX_SIGNATURES bounds envelope signatures, and MAX_VERIFIERS the verifiers offered. */
const MAX_SIGNATURES = 16;
const MAX_VERIFIERS = 16;

/** dsse is the dsse kind. */
export const dsse: EntryKind = {
  kind: KIND,
  versions: [VERSION],
  admit: admitDsse,
  canonicalize: canonicalizeStored,
};

interface Envelope {
  payloadType: string;
  payload: Uint8Array;
  /** Signature strings as written in the envelope, and their decoded bytes. */
  sigs: { text: string; bytes: Uint8Array }[];
}

function admitDsse(entry: ProposedEntry): Admitted {
  const spec = object(entry.spec, 'spec');
  // Rekor computes these itself and refuses a proposal that sets them (it reads only objects
  // there, so other values are ignored, as it ignores them).
  const sigs = Array.isArray(spec.signatures) && spec.signatures.some(isRecord);
  for (const f of ['envelopeHash', 'payloadHash', ...(sigs ? ['signatures'] : [])]) {
    if (f === 'signatures' || isRecord(spec[f])) throw invalid(`spec.${f} is computed by the log and must not be submitted`);
  }
  const proposed = object(spec.proposedContent, 'spec.proposedContent');
  const text = proposed.envelope;
  if (typeof text !== 'string' || text === '') throw invalid('spec.proposedContent.envelope must be a non-empty string');
  if (text.length > MAX_ENVELOPE) throw invalid(`spec.proposedContent.envelope is longer than ${MAX_ENVELOPE} characters`);
  const verifiers = proposed.verifiers;
  if (!Array.isArray(verifiers) || verifiers.length === 0) throw invalid('spec.proposedContent.verifiers must be a non-empty array');
  if (verifiers.length > MAX_VERIFIERS) throw invalid(`spec.proposedContent.verifiers holds more than ${MAX_VERIFIERS} verifiers`);

  const env = parseEnvelope(text);
  const owners = matchSignatures(env, verifiers);
  const signatures = [...owners.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([signature, v]) => ({ signature, verifier: encodeBase64(v.canonical) }));
  const payloadHash = toHex(sha256(env.payload));
  const envelopeHash = toHex(sha256(new TextEncoder().encode(text)));
  const body = canonicalJsonBytes({
    apiVersion: VERSION,
    kind: KIND,
    spec: {
      envelopeHash: { algorithm: 'sha256', value: envelopeHash },
      payloadHash: { algorithm: 'sha256', value: payloadHash },
      signatures,
    },
  });
  const keys = [hashKey('sha256', payloadHash), hashKey('sha256', envelopeHash)];
  for (const v of owners.values()) keys.push(spkiKey(v.spki), ...sanKeys(v.sans));
  if (env.payloadType === IN_TOTO) keys.push(...inTotoDigestKeys(env.payload));
  return { kind: `${KIND}/${VERSION}`, body, indexKeys: [...new Set(keys)] };
}

const STD_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;

/**
 * canonicalizeStored re-canonicalizes a dsse body in the stored form (envelopeHash, payloadHash,
 * signatures; no proposedContent), as Rekor does for a search query: shapes are checked against
 * the schema, nothing is verified. Returns undefined for a proposal.
 */
function canonicalizeStored(entry: ProposedEntry): Uint8Array | undefined {
  const spec = object(entry.spec, 'spec');
  if (spec.proposedContent !== undefined) return undefined;
  const hash = (field: string) => {
    const h = object(spec[field], `spec.${field}`);
    if (h.algorithm !== 'sha256' || typeof h.value !== 'string' || h.value.length > 128) throw invalid(`spec.${field} must be {algorithm: "sha256", value: <hex>}`);
    return { algorithm: 'sha256', value: h.value };
  };
  const list = spec.signatures;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_SIGNATURES) throw invalid(`spec.signatures must hold 1 to ${MAX_SIGNATURES} signatures`);
  const signatures = list.map((s, i) => {
    const o = object(s, `spec.signatures[${i}]`);
    if (typeof o.signature !== 'string' || !STD_B64.test(o.signature) || o.signature.length > MAX_SIGNATURE * 2) {
      throw invalid(`spec.signatures[${i}].signature must be base64`);
    }
    const verifier = decodeBase64(o.verifier, `spec.signatures[${i}].verifier`, MAX_KEY);
    return { signature: o.signature, verifier: encodeBase64(verifier) };
  });
  signatures.sort((a, b) => (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));
  const envelopeHash = hash('envelopeHash');
  const payloadHash = hash('payloadHash');
  return canonicalJsonBytes({ apiVersion: VERSION, kind: KIND, spec: { envelopeHash, payloadHash, signatures } });
}

/** parseEnvelope reads the DSSE envelope JSON (github.com/secure-systems-lab/dsse envelope.md). */
function parseEnvelope(text: string): Envelope {
  // DSSE allows standard or URL-safe base64 for payload and signatures.
  const decode = (raw: unknown) => decodeBase64(raw, 'envelope.payload', MAX_ENVELOPE, true);
  const { payloadType, payload, signatures: list } = envelopeFields(text, 'spec.proposedContent.envelope', decode, MAX_SIGNATURES);
  const sigs = list.map((s, i) => {
    const sig = object(s, `envelope.signatures[${i}]`).sig;
    if (typeof sig !== 'string' || sig === '') throw invalid(`envelope.signatures[${i}].sig must be a non-empty string`);
    return { text: sig, bytes: decodeBase64(sig, `envelope.signatures[${i}].sig`, MAX_SIGNATURE, true) };
  });
  return { payloadType, payload, sigs };
}

/**
 * matchSignatures pairs signatures with verifiers as Rekor's verifyEnvelope does: verifiers are
 * taken in order until every signature string is claimed; each claims the first signature, in
 * envelope order, that it verifies, and a verifier that verifies none is an error.
 */
function matchSignatures(env: Envelope, verifiers: unknown[]): Map<string, Verifier> {
  const pae = paeOf(env.payloadType, env.payload);
  const sigBytes = env.sigs.map((s) => s.bytes);
  const pending = new Set(env.sigs.map((s) => s.text));
  const owners = new Map<string, Verifier>();
  for (let i = 0; i < verifiers.length && pending.size > 0; i++) {
    const field = `spec.proposedContent.verifiers[${i}]`;
    const raw = verifiers[i];
    if (typeof raw !== 'string' || raw === '') throw invalid(`${field} must be a non-empty base64 string`);
    const v = parseVerifier(decodeBase64(raw, field, MAX_KEY), field);
    const sig = env.sigs[firstVerified(v, pae, sigBytes)];
    if (!sig) throw invalid(`${field} verifies no signature in the envelope`);
    owners.set(sig.text, v);
    pending.delete(sig.text);
  }
  if (pending.size > 0) throw invalid('every envelope signature must be verified by one of spec.proposedContent.verifiers');
  return owners;
}
