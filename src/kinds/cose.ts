/**
 * cose v0.0.1: a COSE_Sign1 message (RFC 9052 §4.2) and the public key that verifies it. Follows
 * sigstore/rekor pkg/types/cose/v0.0.1/entry.go, which verifies with veraison/go-cose: ECDSA P-256
 * keys as ES256 and RSA keys as PS256, the protected header's alg matching; the signature over the
 * Sig_structure with the optional external AAD (spec.data.aad). Rekor stores, as RFC 8785 bytes,
 *
 *   {"apiVersion":"0.0.1","kind":"cose","spec":{"data":{
 *     "envelopeHash":{"algorithm":"sha256","value":hex(sha256(message))},
 *     "payloadHash":{"algorithm":"sha256","value":hex(sha256(payload))}},
 *    "publicKey":base64(canonical PEM)}}
 *
 * The message is CBOR, decoded with cbor-x; the checks go-cose's strict decoder makes that matter
 * (tagged COSE_Sign1, definite array of four, header types, no duplicate protected labels, no
 * trailing bytes) are made here. Nested tags and indefinite lengths elsewhere are tolerated.
 */
import { constants, verify as nodeVerify } from 'node:crypto';
import { Decoder } from 'cbor-x';
import { canonicalJsonBytes } from './jcs.js';
import { decodeBase64, encodeBase64, invalid, object, toHex } from './encoding.js';
import { IN_TOTO, inTotoDigestKeys, sha256 } from './envelope.js';
import { MAX_KEY } from './limits.js';
import { parseVerifier, spkiBitString, type Verifier } from './pki.js';
import { verifyEcdsa } from './prehashed.js';
import { hashKey, sanKeys, spkiKey } from './search-keys.js';
import type { Admitted, EntryKind, ProposedEntry } from './kind.js';

const KIND = 'cose';
const VERSION = '0.0.1';
const MAX_MESSAGE = 1024 * 1024;
const MAX_AAD = 64 * 1024;
/** COSE algorithm identifiers (IANA COSE Algorithms registry). */
const ES256 = -7;
const PS256 = -37;
/** Header labels (RFC 9052 §3.1). */
const ALG = 1;
const CRIT = 2;
const CONTENT_TYPE = 3;
const KID = 4;
const IV = 5;
const PARTIAL_IV = 6;
const TYPE = 16; // RFC 9596

const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });

/** cose is the cose kind. */
export const cose: EntryKind = {
  kind: KIND,
  versions: [VERSION],
  admit: admitCose,
};

interface Sign1 {
  protectedBytes: Uint8Array;
  protectedHeader: Map<unknown, unknown>;
  payload: Uint8Array;
  signature: Uint8Array;
}

function admitCose(entry: ProposedEntry): Admitted {
  const spec = object(entry.spec, 'spec');
  if (typeof spec.publicKey !== 'string' || spec.publicKey === '') throw invalid('spec.publicKey is missing');
  const verifier = parseVerifier(decodeBase64(spec.publicKey, 'spec.publicKey', MAX_KEY), 'spec.publicKey');
  if (typeof spec.message !== 'string' || spec.message === '') throw invalid('spec.message is missing');
  const message = decodeBase64(spec.message, 'spec.message', MAX_MESSAGE);
  // Rekor refuses a message without spec.data ("cose object data cannot be nil").
  const data = object(spec.data, 'spec.data');
  const aad = data.aad === undefined || data.aad === '' ? new Uint8Array(0) : decodeBase64(data.aad, 'spec.data.aad', MAX_AAD);
  // Computed by the log; Rekor checks only their shape and ignores the values.
  for (const f of ['payloadHash', 'envelopeHash']) {
    if (data[f] === undefined) continue;
    const h = object(data[f], `spec.data.${f}`);
    if (h.algorithm !== 'sha256' || typeof h.value !== 'string') throw invalid(`spec.data.${f} must be {algorithm: "sha256", value: <string>}`);
  }

  const alg = algorithmFor(verifier);
  const msg = parseSign1(message);
  const headerAlg = msg.protectedHeader.get(ALG);
  if (headerAlg === undefined) {
    // go-cose: alg MUST be in the protected header unless external data is supplied.
    if (aad.length === 0) throw invalid('spec.message: the protected header has no alg (required when spec.data.aad is empty)');
  } else if (typeof headerAlg === 'string') {
    throw invalid(`spec.message: unsupported alg ${JSON.stringify(headerAlg)}`);
  } else if (headerAlg !== alg) {
    throw invalid(`spec.message: alg ${String(headerAlg)} does not match the key (${alg === ES256 ? 'ES256, -7' : 'PS256, -37'})`);
  }
  if (!verifySign1(verifier, alg, sigStructure(msg.protectedBytes, aad, msg.payload), msg.signature)) {
    throw invalid('spec.message: signature does not verify over the Sig_structure with spec.publicKey');
  }

  const envelopeHash = toHex(sha256(message));
  const payloadHash = toHex(sha256(msg.payload));
  const body = canonicalJsonBytes({
    apiVersion: VERSION,
    kind: KIND,
    spec: {
      data: { envelopeHash: { algorithm: 'sha256', value: envelopeHash }, payloadHash: { algorithm: 'sha256', value: payloadHash } },
      publicKey: encodeBase64(verifier.canonical),
    },
  });
  const keys = [spkiKey(verifier.spki), ...sanKeys(verifier.sans), hashKey('sha256', envelopeHash), hashKey('sha256', payloadHash)];
  if (msg.protectedHeader.get(CONTENT_TYPE) === IN_TOTO) keys.push(...inTotoDigestKeys(msg.payload, false));
  return { kind: `${KIND}/${VERSION}`, body, indexKeys: [...new Set(keys)] };
}

/** algorithmFor returns the COSE algorithm Rekor verifies a key with: ES256 for P-256, PS256 for RSA. */
function algorithmFor(v: Verifier): number {
  if (v.ec?.curve === 'prime256v1') return ES256;
  const type = v.ec ? 'ec' : v.key.asymmetricKeyType;
  if (type === 'rsa') return PS256;
  if (type === 'ec' && v.key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return ES256;
  throw invalid('spec.publicKey: cose entries take ECDSA P-256 (ES256) or RSA (PS256) keys');
}

/** parseSign1 decodes a COSE_Sign1_Tagged message: tag 18, then [protected, unprotected, payload, signature]. */
function parseSign1(message: Uint8Array): Sign1 {
  if (message[0] !== 0xd2 || message[1] !== 0x84) throw invalid('spec.message is not a tagged COSE_Sign1 message (expected CBOR tag 18 and an array of four)');
  const items = decodeCbor(message.subarray(1), 'spec.message');
  if (!Array.isArray(items) || items.length !== 4) throw invalid('spec.message is not a COSE_Sign1 array of four');
  const [protectedBytes, unprotected, payload, signature] = items as unknown[];
  if (!(protectedBytes instanceof Uint8Array)) throw invalid('spec.message: protected header must be a byte string');
  if (!(unprotected instanceof Map)) throw invalid('spec.message: unprotected header must be a map');
  if (payload === null) throw invalid('spec.message: detached payloads are not supported (the payload is nil)');
  if (!(payload instanceof Uint8Array)) throw invalid('spec.message: payload must be a byte string');
  if (!(signature instanceof Uint8Array) || signature.length === 0) throw invalid('spec.message: signature must be a non-empty byte string');
  const protectedHeader = parseProtected(protectedBytes);
  checkHeader(unprotected, false);
  if ((protectedHeader.has(IV) && unprotected.has(PARTIAL_IV)) || (protectedHeader.has(PARTIAL_IV) && unprotected.has(IV))) {
    throw invalid('spec.message: IV and Partial IV must not both be present');
  }
  return { protectedBytes, protectedHeader, payload, signature };
}

function parseProtected(bytes: Uint8Array): Map<unknown, unknown> {
  if (bytes.length === 0) return new Map();
  // A definite-length map; its declared size lets a duplicate label (which cbor-x would fold) be seen.
  const head = bytes[0];
  const declared = head >= 0xa0 && head <= 0xb7 ? head - 0xa0 : head === 0xb8 && bytes.length > 1 ? bytes[1] : -1;
  if (declared < 0) throw invalid('spec.message: protected header must be a definite-length map');
  const header = decodeCbor(bytes, 'spec.message protected header');
  if (!(header instanceof Map)) throw invalid('spec.message: protected header must be a map');
  if (header.size !== declared) throw invalid('spec.message: protected header has a duplicate label');
  checkHeader(header, true);
  return header;
}

/** checkHeader applies go-cose's header parameter rules (RFC 9052 §3.1) that Rekor's decoder enforces. */
function checkHeader(h: Map<unknown, unknown>, isProtected: boolean): void {
  const bad = (why: string) => invalid(`spec.message: ${isProtected ? 'protected' : 'unprotected'} header: ${why}`);
  for (const [label, value] of h) {
    if (!isLabel(label)) throw bad('labels must be integers or text');
    switch (label) {
      case ALG:
        if (!isInt(value) && typeof value !== 'string') throw bad('alg must be an integer or text');
        break;
      case CRIT:
        if (!isProtected) throw bad('crit is only allowed in the protected header');
        if (!Array.isArray(value) || value.length === 0 || !value.every((l) => isLabel(l) && h.has(l))) throw bad('crit must be a non-empty array of labels present in the header');
        break;
      case CONTENT_TYPE:
      case TYPE:
        if (!(isInt(value) && value >= 0) && !isMediaType(value)) throw bad(`${label === TYPE ? 'typ' : 'content type'} must be an unsigned integer or text of the form type/subtype`);
        break;
      case KID:
      case IV:
      case PARTIAL_IV:
        if (!(value instanceof Uint8Array)) throw bad(`label ${label} must be a byte string`);
        break;
    }
  }
  if (h.has(IV) && h.has(PARTIAL_IV)) throw bad('IV and Partial IV must not both be present');
}

function isLabel(v: unknown): boolean {
  return isInt(v) || typeof v === 'string';
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function isMediaType(v: unknown): boolean {
  return typeof v === 'string' && v !== '' && v.trim() === v && v.split('/').length === 2;
}

function decodeCbor(bytes: Uint8Array, field: string): unknown {
  try {
    return decoder.decode(bytes); // throws on trailing bytes, as Go's cbor.Unmarshal does
  } catch {
    throw invalid(`${field} is not well-formed CBOR`);
  }
}

/**
 * sigStructure returns ToBeSigned for COSE_Sign1 (RFC 9052 §4.4): the CBOR encoding of
 * ["Signature1", protected, external_aad, payload], with the shortest argument forms (RFC 8949 §4.2.1).
 */
export function sigStructure(protectedBytes: Uint8Array, aad: Uint8Array, payload: Uint8Array): Uint8Array {
  const context = Buffer.from('Signature1', 'utf8');
  return Buffer.concat([Buffer.from([0x84]), cborHead(3, context.length), context, cborHead(2, protectedBytes.length), protectedBytes, cborHead(2, aad.length), aad, cborHead(2, payload.length), payload]);
}

function cborHead(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b; // messages are bounded far below 2^32
}

// go-cose: ES256 signatures are r||s of exactly 64 bytes; PS256 is RSASSA-PSS with SHA-256, MGF1
// SHA-256 and a 32-byte salt (RFC 8230 §2).
function verifySign1(v: Verifier, alg: number, toBeSigned: Uint8Array, sig: Uint8Array): boolean {
  if (alg === ES256) {
    const point = v.ec?.point ?? spkiBitString(v.spki);
    if (sig.length !== 64 || !point) return false;
    const r = BigInt('0x' + toHex(sig.subarray(0, 32)));
    const s = BigInt('0x' + toHex(sig.subarray(32)));
    return verifyEcdsa('prime256v1', point, sha256(toBeSigned), r, s);
  }
  try {
    return nodeVerify('sha256', toBeSigned, { key: v.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig);
  } catch {
    return false;
  }
}
