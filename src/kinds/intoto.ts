/**
 * intoto v0.0.2 and v0.0.1: a DSSE envelope around an in-toto statement, as sigstore-js made for
 * attestations before 3.0 (v0.0.2) and cosign's `attest` before dsse (v0.0.1). Follows
 * sigstore/rekor pkg/types/intoto/v0.0.{1,2}/entry.go. The payload is verified and hashed, then
 * dropped; Rekor stores, as RFC 8785 bytes:
 *
 *   v0.0.2 {"apiVersion":"0.0.2","kind":"intoto","spec":{"content":{
 *            "envelope":{"payloadType":T,"signatures":[{"keyid"?:K,"publicKey":P,"sig":S}…]},
 *            "hash":<client's, over the envelope>,"payloadHash":{"algorithm":"sha256","value":hex}}}}
 *   v0.0.1 {"apiVersion":"0.0.1","kind":"intoto","spec":{"content":{
 *            "hash":{sha256 of the envelope text},"payloadHash":{sha256 of the payload}},
 *            "publicKey":base64(canonical PEM)}}
 *
 * In v0.0.2 payload, sig and publicKey are base64 of the envelope's own strings ("double base64":
 * sig and payload are base64 in the envelope already), signatures keep their order, keyid is
 * dropped when empty, and publicKey is stored as submitted, not re-encoded.
 */
import { canonicalJsonBytes } from './jcs.js';
import { decodeBase64, encodeBase64, invalid, object, toHex } from './encoding.js';
import { IN_TOTO, envelopeFields, firstVerified, inTotoDigestKeys, paeOf, sha256 } from './envelope.js';
import { MAX_KEY, MAX_SIGNATURE } from './limits.js';
import { parseVerifier, type Verifier } from './pki.js';
import { hashKey, sanKeys, spkiKey } from './search-keys.js';
import type { Admitted, EntryKind, ProposedEntry } from './kind.js';

const KIND = 'intoto';
/** MAX_PAYLOAD bounds the decoded payload, MAX_ENVELOPE the v0.0.1 envelope text (the request limit is 1 MiB). */
const MAX_PAYLOAD = 1024 * 1024;
const MAX_ENVELOPE = 1024 * 1024;
const MAX_SIGNATURES = 16;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/** intoto is the intoto kind, versions 0.0.1 and 0.0.2. */
export const intoto: EntryKind = {
  kind: KIND,
  versions: ['0.0.1', '0.0.2'],
  admit: (entry) => (entry.apiVersion === '0.0.2' ? admitV2(entry) : admitV1(entry)),
  canonicalize: (entry) => (entry.apiVersion === '0.0.2' ? storedV2(entry) : storedV1(entry)),
};

interface Signature {
  keyid: string;
  /** The envelope's signature string, and its bytes. */
  text: string;
  bytes: Uint8Array;
  /** The publicKey bytes as submitted, and what they parse to. */
  pem: Uint8Array;
  verifier: Verifier;
}

function admitV2(entry: ProposedEntry): Admitted {
  const content = object(object(entry.spec, 'spec').content, 'spec.content');
  const env = object(content.envelope, 'spec.content.envelope');
  const payloadType = env.payloadType;
  if (typeof payloadType !== 'string' || payloadType === '') throw invalid('spec.content.envelope.payloadType must be a non-empty string');
  if (typeof env.payload !== 'string' || env.payload === '') throw invalid('spec.content.envelope.payload is missing');
  // Rekor hands the envelope's payload string to the DSSE verifier, then decodes it as standard base64.
  const payloadText = decodeBase64(env.payload, 'spec.content.envelope.payload', Math.ceil(MAX_PAYLOAD / 3) * 4);
  const payload = decodeBase64(latin1(payloadText), 'spec.content.envelope.payload (the envelope payload inside)', MAX_PAYLOAD);
  if (payload.length > MAX_PAYLOAD) throw invalid(`spec.content.envelope.payload is longer than ${MAX_PAYLOAD} bytes`);
  const sigs = signaturesV2(env.signatures);
  const hash = sha256Field(content.hash, 'spec.content.hash', true)!;
  const payloadHash = toHex(sha256(payload));
  const claimed = sha256Field(content.payloadHash, 'spec.content.payloadHash', false);
  // Rekor overwrites a submitted payloadHash; a different one is a client bug worth refusing.
  if (claimed && claimed.value.toLowerCase() !== payloadHash) throw invalid(`spec.content.payloadHash does not match the payload (sha256 ${payloadHash})`);

  // Rekor's verifyEnvelope: every key claims the first signature it verifies; each must claim
  // one, and every signature string must be claimed by some key.
  const pae = paeOf(payloadType, payload);
  const bytes = sigs.map((s) => s.bytes);
  const unclaimed = new Set(sigs.map((s) => s.text));
  sigs.forEach((s, i) => {
    const j = firstVerified(s.verifier, pae, bytes);
    if (j < 0) throw invalid(`spec.content.envelope.signatures[${i}].publicKey verifies no signature over the envelope's PAE`);
    unclaimed.delete(sigs[j].text);
  });
  if (unclaimed.size > 0) throw invalid('every envelope signature must be verified by one of the signatures\' public keys');

  const body = canonicalJsonBytes({
    apiVersion: '0.0.2',
    kind: KIND,
    spec: {
      content: {
        envelope: { payloadType, signatures: sigs.map(storedSignature) },
        hash,
        payloadHash: { algorithm: 'sha256', value: payloadHash },
      },
    },
  });
  const keys = [...sigs.flatMap((s) => signerKeys(s.verifier)), hashKey('sha256', payloadHash)];
  if (payloadType === IN_TOTO) keys.push(...inTotoDigestKeys(payload));
  return { kind: `${KIND}/0.0.2`, body, indexKeys: [...new Set(keys)] };
}

function signaturesV2(list: unknown): Signature[] {
  if (!Array.isArray(list) || list.length === 0) throw invalid('spec.content.envelope.signatures must be a non-empty array');
  if (list.length > MAX_SIGNATURES) throw invalid(`spec.content.envelope.signatures holds more than ${MAX_SIGNATURES} signatures`);
  return list.map((item, i) => {
    const field = `spec.content.envelope.signatures[${i}]`;
    const s = object(item, field);
    const keyid = s.keyid ?? '';
    if (typeof keyid !== 'string') throw invalid(`${field}.keyid must be a string`);
    if (typeof s.sig !== 'string' || s.sig === '') throw invalid(`${field}.sig is missing`);
    const text = latin1(decodeBase64(s.sig, `${field}.sig`, MAX_SIGNATURE * 2));
    // DSSE allows standard or URL-safe base64 for signatures.
    const bytes = decodeBase64(text, `${field}.sig (the envelope signature inside)`, MAX_SIGNATURE, true);
    if (bytes.length === 0) throw invalid(`${field}.sig is empty`);
    if (typeof s.publicKey !== 'string' || s.publicKey === '') throw invalid(`${field}.publicKey is missing`);
    const pem = decodeBase64(s.publicKey, `${field}.publicKey`, MAX_KEY);
    return { keyid, text, bytes, pem, verifier: parseVerifier(pem, `${field}.publicKey`) };
  });
}

function storedSignature(s: { keyid: string; text: string; pem: Uint8Array }): Record<string, string> {
  const out: Record<string, string> = { publicKey: encodeBase64(s.pem), sig: Buffer.from(s.text, 'latin1').toString('base64') };
  if (s.keyid !== '') out.keyid = s.keyid; // Go's omitempty
  return out;
}

/**
 * storedV2 re-canonicalizes a v0.0.2 body in the stored form (no payload), as Rekor does for a
 * search query: shapes are checked, nothing is verified. Returns undefined for a proposal.
 */
function storedV2(entry: ProposedEntry): Uint8Array | undefined {
  const content = object(object(entry.spec, 'spec').content, 'spec.content');
  const env = object(content.envelope, 'spec.content.envelope');
  if (env.payload !== undefined && env.payload !== '') return undefined;
  if (typeof env.payloadType !== 'string') throw invalid('spec.content.envelope.payloadType must be a string');
  const list = env.signatures;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_SIGNATURES) throw invalid(`spec.content.envelope.signatures must hold 1 to ${MAX_SIGNATURES} signatures`);
  const signatures = list.map((item, i) => {
    const field = `spec.content.envelope.signatures[${i}]`;
    const s = object(item, field);
    const keyid = s.keyid ?? '';
    if (typeof keyid !== 'string') throw invalid(`${field}.keyid must be a string`);
    const text = latin1(decodeBase64(s.sig, `${field}.sig`, MAX_SIGNATURE * 2));
    return storedSignature({ keyid, text, pem: decodeBase64(s.publicKey, `${field}.publicKey`, MAX_KEY) });
  });
  const hash = sha256Field(content.hash, 'spec.content.hash', true);
  const payloadHash = sha256Field(content.payloadHash, 'spec.content.payloadHash', true);
  return canonicalJsonBytes({ apiVersion: '0.0.2', kind: KIND, spec: { content: { envelope: { payloadType: env.payloadType, signatures }, hash, payloadHash } } });
}

function admitV1(entry: ProposedEntry): Admitted {
  const spec = object(entry.spec, 'spec');
  const content = object(spec.content, 'spec.content');
  const text = content.envelope;
  if (typeof text !== 'string' || text === '') throw invalid('spec.content.envelope must be a non-empty string');
  if (text.length > MAX_ENVELOPE) throw invalid(`spec.content.envelope is longer than ${MAX_ENVELOPE} characters`);
  // Computed by the log; Rekor checks only their shape and ignores the values.
  sha256Field(content.hash, 'spec.content.hash', false, false);
  sha256Field(content.payloadHash, 'spec.content.payloadHash', false, false);
  const verifier = publicKeyV1(spec.publicKey);
  const env = parseEnvelopeV1(text);
  // One key, threshold one: some signature must verify (go-securesystemslib's envelope verifier).
  if (firstVerified(verifier, paeOf(env.payloadType, env.payload), env.sigs) < 0) {
    throw invalid('spec.publicKey verifies no signature in spec.content.envelope');
  }
  const envelopeHash = toHex(sha256(new TextEncoder().encode(text)));
  const payloadHash = toHex(sha256(env.payload));
  const body = canonicalJsonBytes({
    apiVersion: '0.0.1',
    kind: KIND,
    spec: {
      content: { hash: { algorithm: 'sha256', value: envelopeHash }, payloadHash: { algorithm: 'sha256', value: payloadHash } },
      publicKey: encodeBase64(verifier.canonical),
    },
  });
  const keys = [hashKey('sha256', envelopeHash), ...signerKeys(verifier), hashKey('sha256', payloadHash)];
  if (env.payloadType === IN_TOTO) keys.push(...inTotoDigestKeys(env.payload));
  return { kind: `${KIND}/0.0.1`, body, indexKeys: [...new Set(keys)] };
}

/** storedV1 re-canonicalizes a v0.0.1 body in the stored form (no envelope): the key is re-encoded, nothing verified. */
function storedV1(entry: ProposedEntry): Uint8Array | undefined {
  const spec = object(entry.spec, 'spec');
  const content = object(spec.content, 'spec.content');
  if (content.envelope !== undefined && content.envelope !== '') return undefined;
  const hash = sha256Field(content.hash, 'spec.content.hash', true);
  const payloadHash = sha256Field(content.payloadHash, 'spec.content.payloadHash', false);
  const publicKey = encodeBase64(publicKeyV1(spec.publicKey).canonical);
  return canonicalJsonBytes({ apiVersion: '0.0.1', kind: KIND, spec: { content: { hash, ...(payloadHash && { payloadHash }) }, publicKey } });
}

function publicKeyV1(v: unknown): Verifier {
  if (typeof v !== 'string' || v === '') throw invalid('spec.publicKey is missing');
  return parseVerifier(decodeBase64(v, 'spec.publicKey', MAX_KEY), 'spec.publicKey');
}

/** parseEnvelopeV1 reads the envelope as Go's encoding/json reads a dsse.Envelope, payload as standard base64. */
function parseEnvelopeV1(text: string): { payloadType: string; payload: Uint8Array; sigs: Uint8Array[] } {
  const decode = (raw: unknown) => decodeBase64(raw, 'envelope.payload', MAX_PAYLOAD);
  const { payloadType, payload, signatures: list } = envelopeFields(text, 'spec.content.envelope', decode, MAX_SIGNATURES);
  const sigs = list.map((s, i) => decodeBase64(object(s, `envelope.signatures[${i}]`).sig ?? '', `envelope.signatures[${i}].sig`, MAX_SIGNATURE, true));
  return { payloadType, payload, sigs };
}

/**
 * signerKeys returns a signer's search keys: its key and subjectAltNames as every kind indexes
 * them, and the sha256 of its canonical PEM as a hash key, which is how Rekor indexes intoto keys.
 */
function signerKeys(v: Verifier): string[] {
  return [spkiKey(v.spki), ...sanKeys(v.sans), hashKey('sha256', toHex(sha256(v.canonical)))];
}

/**
 * sha256Field checks a {algorithm: "sha256", value} object (the only algorithm the schemas allow;
 * value 64 hex digits unless hex is false, for values Rekor ignores) and returns it with only
 * those fields; undefined when absent and not required.
 */
function sha256Field(v: unknown, field: string, required: boolean, hex = true): { algorithm: string; value: string } | undefined {
  if (v === undefined && !required) return undefined;
  const h = object(v, field);
  if (h.algorithm !== 'sha256') throw invalid(`${field}.algorithm must be "sha256"`);
  if (typeof h.value !== 'string' || (hex && !SHA256_HEX.test(h.value))) throw invalid(`${field}.value must be ${hex ? '64 hex digits' : 'a string'}`);
  return { algorithm: 'sha256', value: h.value };
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}
