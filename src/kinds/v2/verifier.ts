/**
 * Rekor v2 verification material (rekor-tiles api/proto/rekor/v2/verifier.proto) and the
 * algorithm registry rekor-tiles admits entries under (internal/algorithmregistry): a Verifier is
 * a DER public key or a DER certificate plus the PublicKeyDetails naming the signing algorithm.
 */
import { encodePem, invalid } from '../encoding.js';
import { MAX_KEY } from '../limits.js';
import { parseVerifier, type Verifier } from '../pki.js';
import type { DigestAlg } from '../prehashed.js';
import { b64, bytes, enumName, message, oneof } from './protojson.js';

/** PUBLIC_KEY_DETAILS is sigstore's PublicKeyDetails enum (protobuf-specs sigstore_common.proto). */
export const PUBLIC_KEY_DETAILS: Readonly<Record<string, number>> = {
  PUBLIC_KEY_DETAILS_UNSPECIFIED: 0,
  PKCS1_RSA_PKCS1V5: 1,
  PKCS1_RSA_PSS: 2,
  PKIX_RSA_PKCS1V5: 3,
  PKIX_RSA_PSS: 4,
  PKIX_RSA_PKCS1V15_2048_SHA256: 9,
  PKIX_RSA_PKCS1V15_3072_SHA256: 10,
  PKIX_RSA_PKCS1V15_4096_SHA256: 11,
  PKIX_RSA_PSS_2048_SHA256: 16,
  PKIX_RSA_PSS_3072_SHA256: 17,
  PKIX_RSA_PSS_4096_SHA256: 18,
  PKIX_ECDSA_P256_HMAC_SHA_256: 6,
  PKIX_ECDSA_P256_SHA_256: 5,
  PKIX_ECDSA_P384_SHA_384: 12,
  PKIX_ECDSA_P521_SHA_512: 13,
  PKIX_ED25519: 7,
  PKIX_ED25519_PH: 8,
  PKIX_ECDSA_P384_SHA_256: 19,
  PKIX_ECDSA_P521_SHA_256: 20,
  LMS_SHA256: 14,
  LMOTS_SHA256: 15,
  ML_DSA_44: 23,
  ML_DSA_65: 21,
  ML_DSA_87: 22,
};

/**
 * ALLOWED_DETAILS are rekor-tiles' AllowedClientSigningAlgorithms, each with the digest it
 * signs. rekor-tiles then checks the (key, digest) pair against the registry rather than the
 * name (so RSA-4096 passes as PKIX_RSA_PKCS1V15_2048_SHA256); keyPermits does the same.
 */
export const ALLOWED_DETAILS: Readonly<Record<string, DigestAlg>> = {
  PKIX_RSA_PKCS1V15_2048_SHA256: 'sha256',
  PKIX_RSA_PKCS1V15_3072_SHA256: 'sha256',
  PKIX_RSA_PKCS1V15_4096_SHA256: 'sha256',
  PKIX_ECDSA_P256_SHA_256: 'sha256',
  PKIX_ECDSA_P384_SHA_384: 'sha384',
  PKIX_ECDSA_P521_SHA_512: 'sha512',
  PKIX_ED25519_PH: 'sha512',
};

/** HASH_ALGORITHM_NAME is sigstore's HashAlgorithm enum name for each digest. */
export const HASH_ALGORITHM_NAME: Record<DigestAlg, string> = { sha256: 'SHA2_256', sha384: 'SHA2_384', sha512: 'SHA2_512' };

/** V2Verifier is a parsed Verifier message. */
export interface V2Verifier {
  /** The parsed key (a certificate's key for x509Certificate). */
  parsed: Verifier;
  /** The PublicKeyDetails name. */
  details: string;
  /** The digest the details sign with, once admitted by checkAlgorithm. */
  hash: DigestAlg;
  /** The DER bytes as submitted (what rekor-tiles stores). */
  raw: Uint8Array;
  /** The message in protojson form, as rekor-tiles marshals it into the stored entry. */
  json: Record<string, unknown>;
}

/**
 * parseV2Verifier reads a Verifier message, parses its key or certificate (DER; trailing bytes,
 * unsupported key types → INVALID_ENTRY) and checks its algorithm against the registry.
 */
export function parseV2Verifier(v: unknown, path: string): V2Verifier {
  const f = message(v, path, [
    ['publicKey', 'public_key'],
    ['x509Certificate', 'x509_certificate'],
    ['keyDetails', 'key_details'],
  ]);
  const [which, inner] = oneof(f, path, ['publicKey', 'x509Certificate']);
  const raw = bytes(message(inner, `${path}.${which}`, [['rawBytes', 'raw_bytes']]).rawBytes, `${path}.${which}.rawBytes`, MAX_KEY);
  if (raw.length === 0) throw invalid(`${path}.${which}.rawBytes is missing`);
  const details = enumName(f.keyDetails, `${path}.keyDetails`, PUBLIC_KEY_DETAILS);
  const pem = new TextEncoder().encode(encodePem(which === 'publicKey' ? 'PUBLIC KEY' : 'CERTIFICATE', raw));
  const parsed = parseVerifier(pem, `${path}.${which}`);
  const hash = checkAlgorithm(parsed, details, path);
  return { parsed, details, hash, raw, json: { [which]: { rawBytes: b64(raw) }, keyDetails: details } };
}

/**
 * checkAlgorithm returns the digest the verifier's key signs with under details, if rekor-tiles'
 * registry permits the pair: RSA PKCS#1 v1.5 2048/3072/4096 with SHA-256, ECDSA P-256/SHA-256,
 * P-384/SHA-384, P-521/SHA-512, and Ed25519ph (SHA-512). Anything else → INVALID_ENTRY.
 */
export function checkAlgorithm(v: Verifier, details: string, path: string): DigestAlg {
  const hash = ALLOWED_DETAILS[details];
  if (!hash) throw invalid(`${path}.keyDetails: ${details} is not an allowed signing algorithm; allowed: ${Object.keys(ALLOWED_DETAILS).join(', ')}`);
  const key = keyName(v);
  if (!PERMITTED[key]?.includes(hash)) throw invalid(`${path}: unsupported entry algorithm for ${key} key, digest ${hash} (keyDetails ${details})`);
  return hash;
}

// The registry as (key, digest) pairs, which is how rekor-tiles checks it.
const PERMITTED: Record<string, readonly DigestAlg[]> = {
  'RSA-2048': ['sha256'],
  'RSA-3072': ['sha256'],
  'RSA-4096': ['sha256'],
  'ECDSA P-256': ['sha256'],
  'ECDSA P-384': ['sha384'],
  'ECDSA P-521': ['sha512'],
  Ed25519: ['sha512'],
};

const CURVE_NAME: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

function keyName(v: Verifier): string {
  if (v.ec) return `ECDSA ${CURVE_NAME[v.ec.curve]}`;
  const k = v.key;
  if (k.asymmetricKeyType === 'ec') return `ECDSA ${CURVE_NAME[k.asymmetricKeyDetails?.namedCurve ?? ''] ?? 'unknown curve'}`;
  if (k.asymmetricKeyType === 'rsa') return `RSA-${k.asymmetricKeyDetails?.modulusLength ?? 0}`;
  if (k.asymmetricKeyType === 'ed25519') return 'Ed25519';
  return String(k.asymmetricKeyType);
}
