/**
 * Verification material as Rekor's x509 "public key" reads it (sigstore/rekor pkg/pki/x509
 * NewPublicKey): a PEM PUBLIC KEY, a PEM CERTIFICATE, or a PEM chain of up to 10 certificates,
 * leaf first. parseVerifier returns the key that verifies, the canonical PEM Rekor stores
 * (CanonicalValue: Go's pem.Encode of the re-marshalled key or the certificates' DER), and the
 * leaf's subjectAltNames (Rekor's Subjects()).
 */
import { createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import { BIT_STRING, SEQUENCE, bytesOf, children, positiveInteger, whole } from './der.js';
import { encodePem, invalid, parsePem } from './encoding.js';
import { subjectAltNames, type San } from './san.js';

export type { San } from './san.js';

/** MAX_CHAIN is Rekor's limit on certificates in one PEM (UnmarshalCertificatesFromPEMLimited). */
export const MAX_CHAIN = 10;

/** SUPPORTED_KEYS names the key types admission accepts, for error messages. */
export const SUPPORTED_KEYS = 'ECDSA P-256/P-384/P-521, Ed25519, RSA 2048-4096';

const CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

/** Verifier is parsed verification material. */
export interface Verifier {
  /** The public key that verifies signatures (the leaf's key for certificates); built on first use. */
  readonly key: KeyObject;
  /** For a bare EC key: its named curve and uncompressed point, usable without building key. */
  ec?: { curve: 'prime256v1' | 'secp384r1' | 'secp521r1'; point: Uint8Array };
  /** DER SubjectPublicKeyInfo of key. */
  spki: Uint8Array;
  /** Rekor's canonical value: PEM text bytes. */
  canonical: Uint8Array;
  /** Certificates as parsed, leaf first; empty for a bare key. */
  certs: X509Certificate[];
  /** The leaf certificate's subjectAltNames; empty for a bare key. */
  sans: San[];
}

/** parseVerifier parses PEM verification material; malformed or unsupported input → INVALID_ENTRY. */
export function parseVerifier(pem: Uint8Array, field: string): Verifier {
  const blocks = parsePem(pem, field, MAX_CHAIN);
  if (blocks.length === 1 && blocks[0].type === 'PUBLIC KEY') {
    const spki = blocks[0].der;
    const canonical = utf8(encodePem('PUBLIC KEY', spki));
    const curve = canonicalEcCurve(spki);
    if (curve) {
      // Already the exact DER Go re-marshals a named-curve key to: take the point as it is and
      // build the KeyObject only if something asks for it (profiling showed OpenSSL 3's SPKI
      // decoder was the largest single cost of an upload).
      let key: KeyObject | undefined;
      return {
        get key() {
          return (key ??= publicKeyFromSpki(spki, field));
        },
        ec: { curve, point: spki.subarray(SPKI_PREFIX[curve].length / 2 - 1) }, // the prefix ends with the point's 0x04
        spki,
        canonical,
        certs: [],
        sans: [],
      };
    }
    return { key: publicKeyFromSpki(spki, field), spki, canonical, certs: [], sans: [] };
  }
  const bad = blocks.find((b) => b.type !== 'CERTIFICATE');
  if (bad) throw invalid(`${field}: cannot handle PEM type ${bad.type}; expected PUBLIC KEY or CERTIFICATE`);
  const certs = blocks.map((b, i) => parseCertificate(b.der, blocks.length > 1 ? `${field} certificate ${i}` : field));
  const leaf = parseCertificateParts(blocks[0].der, field);
  return {
    key: publicKeyFromSpki(leaf.spki, field),
    spki: leaf.spki,
    canonical: utf8(blocks.map((b) => encodePem('CERTIFICATE', b.der)).join('')),
    certs,
    sans: leaf.sans,
  };
}

/**
 * verifierParts returns the SPKI and subjectAltNames parseVerifier finds in PEM material (the
 * leaf's, for certificates), by walking the DER only: no OpenSSL parse, no key checks. For bodies
 * the log already stored, whose material parseVerifier accepted at admission: building an
 * X509Certificate and a KeyObject made a certificate entry's derivation ~450 µs instead of 22–51 µs
 * (npx tsx bench/stored-keys.ts; test/kinds/stored-keys.test.ts checks the keys are admit's).
 */
export function verifierParts(pem: Uint8Array, field: string): { spki: Uint8Array; sans: San[] } {
  const blocks = parsePem(pem, field, MAX_CHAIN);
  if (blocks.length === 1 && blocks[0].type === 'PUBLIC KEY') return { spki: blocks[0].der, sans: [] };
  if (blocks.some((b) => b.type !== 'CERTIFICATE')) throw invalid(`${field}: expected PUBLIC KEY or CERTIFICATE`);
  return parseCertificateParts(blocks[0].der, field);
}

/**
 * publicKeyFromSpki returns the key in a DER SubjectPublicKeyInfo if it is a supported type and
 * already in the canonical form Go re-marshals it to (named curve, uncompressed point, RSA with
 * NULL parameters, DER); other encodings Go either rejects or would store differently.
 */
export function publicKeyFromSpki(spki: Uint8Array, field: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    throw invalid(`${field}: public key does not parse`);
  }
  checkKeyType(key, field);
  // Go's x509 parses only uncompressed points (0x04 || X || Y); OpenSSL keeps the form it read.
  if (key.asymmetricKeyType === 'ec' && spkiBitString(spki)?.[0] !== 0x04) {
    throw invalid(`${field}: EC public key must use an uncompressed point`);
  }
  if (!isCanonicalSpki(key, spki)) {
    throw invalid(`${field}: public key is not in canonical DER form (compressed point or explicit curve parameters?)`);
  }
  SPKI.set(key, spki);
  return key;
}

// The fixed DER before the key bits of each supported SPKI (RFC 5480, RFC 8410): SEQUENCE,
// AlgorithmIdentifier with a named curve, BIT STRING header, and for EC the uncompressed-point tag.
const SPKI_PREFIX: Record<string, string> = {
  prime256v1: '3059301306072a8648ce3d020106082a8648ce3d030107034200' + '04',
  secp384r1: '3076301006072a8648ce3d020106052b81040022036200' + '04',
  secp521r1: '30819b301006072a8648ce3d020106052b81040023038186' + '00' + '04',
  ed25519: '302a300506032b6570032100',
};
const SPKI_SIZE: Record<string, number> = { prime256v1: 91, secp384r1: 120, secp521r1: 158, ed25519: 44 };
const RSA_ALGORITHM = '300d06092a864886f70d0101010500'; // rsaEncryption with NULL parameters

/**
 * isCanonicalSpki reports whether spki, which key was parsed from, is already the DER Go's
 * MarshalPKIXPublicKey (and OpenSSL's export) writes for key, without paying for an export.
 */
export function isCanonicalSpki(key: KeyObject, spki: Uint8Array): boolean {
  const name = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve ?? '' : key.asymmetricKeyType ?? '';
  if (Object.hasOwn(SPKI_PREFIX, name)) return hasFixedForm(spki, name);
  if (name !== 'rsa') return false;
  const top = whole(spki);
  const parts = top?.tag === SEQUENCE ? children(spki, top) : undefined;
  if (parts?.length !== 2 || Buffer.from(bytesOf(spki, parts[0])).toString('hex') !== RSA_ALGORITHM) return false;
  const bits = spkiBitString(spki);
  const inner = bits && whole(bits);
  const ints = inner?.tag === SEQUENCE ? children(bits!, inner) : undefined;
  return ints?.length === 2 && ints.every((t) => positiveInteger(bits!, t) !== undefined);
}

/** hasFixedForm reports whether spki is the canonical DER of a key type with a fixed-size form. */
function hasFixedForm(spki: Uint8Array, name: string): boolean {
  const prefix = SPKI_PREFIX[name];
  return spki.length === SPKI_SIZE[name] && Buffer.from(spki.buffer, spki.byteOffset, prefix.length / 2).toString('hex') === prefix;
}

/** canonicalEcCurve returns the named curve of an SPKI that is byte for byte a canonical EC key. */
function canonicalEcCurve(spki: Uint8Array): 'prime256v1' | 'secp384r1' | 'secp521r1' | undefined {
  return (['prime256v1', 'secp384r1', 'secp521r1'] as const).find((curve) => hasFixedForm(spki, curve));
}

// KeyObject.export costs as much as a signature check on a loaded machine; remember the SPKI of
// keys parsed here so verification need not export it again.
const SPKI = new WeakMap<KeyObject, Uint8Array>();

/** spkiOf returns the DER SubjectPublicKeyInfo of a public key. */
export function spkiOf(key: KeyObject): Uint8Array {
  let spki = SPKI.get(key);
  if (!spki) {
    spki = key.export({ type: 'spki', format: 'der' });
    SPKI.set(key, spki);
  }
  return spki;
}

function checkKeyType(key: KeyObject, field: string): void {
  const d = key.asymmetricKeyDetails ?? {};
  const ok =
    (key.asymmetricKeyType === 'ec' && CURVES.has(d.namedCurve ?? '')) ||
    key.asymmetricKeyType === 'ed25519' ||
    (key.asymmetricKeyType === 'rsa' &&
      (d.modulusLength ?? 0) >= 2048 &&
      (d.modulusLength ?? 0) <= 4096 &&
      // Go's crypto/rsa refuses exponents outside [2, 2^31-1].
      (d.publicExponent ?? 0n) >= 2n &&
      (d.publicExponent ?? 0n) <= 0x7fffffffn);
  if (!ok) {
    const e = d.publicExponent !== undefined && d.publicExponent > 0x7fffffffn ? `exponent ${d.publicExponent}` : undefined;
    const what = [key.asymmetricKeyType, d.namedCurve, d.modulusLength && `${d.modulusLength} bits`, e].filter(Boolean).join(' ');
    throw invalid(`${field}: unsupported public key (${what}); supported: ${SUPPORTED_KEYS}`);
  }
}

function parseCertificate(der: Uint8Array, field: string): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    throw invalid(`${field}: certificate does not parse`);
  }
  if (!cert.raw.equals(der)) throw invalid(`${field}: certificate has trailing data`);
  return cert;
}

/** parseCertificateParts finds the SPKI and subjectAltNames in a certificate's DER. */
function parseCertificateParts(der: Uint8Array, field: string): { spki: Uint8Array; sans: San[] } {
  const cert = whole(der);
  const top = cert?.tag === SEQUENCE ? children(der, cert) : undefined;
  const tbs = top?.[0]?.tag === SEQUENCE ? children(der, top[0]) : undefined;
  if (!tbs) throw invalid(`${field}: certificate does not parse`);
  // TBSCertificate (RFC 5280 §4.1): [0] version?, serial, signature, issuer, validity, subject, spki, …
  const first = tbs[0]?.tag === 0xa0 ? 1 : 0;
  const spki = tbs[first + 5];
  if (spki?.tag !== SEQUENCE) throw invalid(`${field}: certificate has no SubjectPublicKeyInfo`);
  const ext = tbs.slice(first + 6).find((t) => t.tag === 0xa3);
  return { spki: bytesOf(der, spki), sans: ext ? subjectAltNames(der, ext, field) : [] };
}

/**
 * verifyChain checks a certificate chain the way Rekor's hashedrekord does (Go x509 Verify with
 * the last certificate as the only root, any key usage, at the leaf's notBefore): each
 * certificate is issued and signed by the next, issuers are CAs, and all are valid at that time.
 * Name and path-length constraints are not checked.
 */
export function verifyChain(certs: X509Certificate[], field: string): void {
  if (certs.length < 2) return;
  const at = Date.parse(certs[0].validFrom);
  for (let i = 0; i < certs.length; i++) {
    const c = certs[i];
    if (!(Date.parse(c.validFrom) <= at && at <= Date.parse(c.validTo))) throw invalid(`${field}: certificate ${i} is not valid at the leaf's notBefore`);
    if (i === certs.length - 1) break;
    const issuer = certs[i + 1];
    if (!issuer.ca) throw invalid(`${field}: certificate ${i + 1} is not a CA`);
    if (!c.checkIssued(issuer) || !c.verify(issuer.publicKey)) throw invalid(`${field}: certificate ${i} is not signed by certificate ${i + 1}`);
  }
}

/** spkiBitString returns the public key bits of a DER SPKI (for EC: the point). */
export function spkiBitString(spki: Uint8Array): Uint8Array | undefined {
  const t = whole(spki);
  const parts = t?.tag === SEQUENCE ? children(spki, t) : undefined;
  const bits = parts?.[1];
  if (!bits || bits.tag !== BIT_STRING || bits.end - bits.start < 1 || spki[bits.start] !== 0) return undefined;
  return spki.subarray(bits.start + 1, bits.end);
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
