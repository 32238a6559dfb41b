/**
 * Signature verification over a digest the client supplies (hashedrekord signs the artifact's
 * hash, not the artifact). node:crypto always hashes its input, so ECDSA goes to OpenSSL through
 * the optional native addon (native.ts) or else @noble/curves, Ed25519ph to @noble/curves, and the
 * RSA paths undo the signature with crypto.publicDecrypt and check the encoding themselves.
 * Semantics follow Go's crypto (what Rekor runs): see each function.
 */
import { constants, createHash, publicDecrypt, type KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { eddsa } from '@noble/curves/abstract/edwards.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { INTEGER, SEQUENCE, children, isPositiveInteger, positiveInteger, readTlv } from './der.js';
import { invalid } from './encoding.js';
import { nativeVerifyDigest, nativeVerifyEcdsa } from './native.js';
import { spkiBitString, spkiOf, type Verifier } from './pki.js';

/** DigestAlg names the digests entries may carry. */
export type DigestAlg = 'sha256' | 'sha384' | 'sha512';

/** DIGEST_SIZE is each digest's length in bytes. */
export const DIGEST_SIZE: Record<DigestAlg, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** VerifyOptions select the RSA padding; hashedrekord and dsse use Rekor's PKCS#1 v1.5. */
export interface VerifyOptions {
  rsaPadding?: 'pkcs1' | 'pss';
}

/**
 * verifyDigest reports whether sig is key's signature over digest, a hash-alg digest:
 * - ECDSA (P-256/P-384/P-521): sig DER or IEEE P1363 r||s, as Go's sigstore verifier accepts;
 *   high-S allowed (OpenSSL signs with either); digest truncated to the curve order (FIPS 186-4).
 * - RSA: PKCS#1 v1.5 (default) or PSS with MGF1(alg) and any salt length (Go's PSSSaltLengthAuto).
 * - Ed25519: Ed25519ph (RFC 8032 §5.1) over a SHA-512 digest, as Rekor verifies hashedrekord.
 * A key type/digest combination no scheme covers throws INVALID_ENTRY; a bad signature is false.
 */
export function verifyDigest(key: KeyObject, hash: DigestAlg, digest: Uint8Array, sig: Uint8Array, opts: VerifyOptions = {}): boolean {
  if (digest.length !== DIGEST_SIZE[hash]) throw invalid(`digest is ${digest.length} bytes, not a ${hash} digest`);
  switch (key.asymmetricKeyType) {
    case 'ec':
      return verifyEcdsaSignature(key, digest, sig);
    case 'rsa':
      return opts.rsaPadding === 'pss' ? verifyRsaPss(key, hash, digest, sig) : verifyRsaPkcs1(key, hash, digest, sig);
    case 'ed25519':
      if (hash !== 'sha512') throw invalid(`Ed25519 keys sign a sha512 digest (Ed25519ph), not ${hash}`);
      return verifyEd25519ph(key, digest, sig);
    default:
      throw invalid(`unsupported key type ${key.asymmetricKeyType}`);
  }
}

const CURVE = { prime256v1: p256, secp384r1: p384, secp521r1: p521 } as const;
/** CurveName is a named curve as KeyObject.asymmetricKeyDetails spells it. */
export type CurveName = keyof typeof CURVE;

function verifyEcdsaSignature(key: KeyObject, digest: Uint8Array, sig: Uint8Array): boolean {
  const name = key.asymmetricKeyDetails?.namedCurve as CurveName | undefined;
  const spki = spkiOf(key);
  const point = spkiBitString(spki);
  if (!name || !(name in CURVE) || !point) throw invalid(`unsupported EC key ${name ?? ''}`);
  return verifyEcdsaPoint(name, point, digest, sig, spki);
}

/**
 * verifyWith is verifyDigest for parsed verification material: a bare EC key in canonical form
 * is checked from its curve and point, so no KeyObject is built (OpenSSL 3's key decoder costs
 * more than the verification); an off-curve point never verifies. Every kind verifies through it.
 */
export function verifyWith(v: Verifier, hash: DigestAlg, digest: Uint8Array, sig: Uint8Array): boolean {
  if (!v.ec) return verifyDigest(v.key, hash, digest, sig);
  if (digest.length !== DIGEST_SIZE[hash]) throw invalid(`digest is ${digest.length} bytes, not a ${hash} digest`);
  return verifyEcdsaPoint(v.ec.curve, v.ec.point, digest, sig, v.spki);
}

/** verifyEcdsaPoint checks sig under the key whose canonical SPKI is spki, and whose curve and point are these. */
function verifyEcdsaPoint(curve: CurveName, point: Uint8Array, digest: Uint8Array, sig: Uint8Array, spki: Uint8Array): boolean {
  // A strict DER signature is already what ecdsaDer would re-encode its (r, s) to, and the SPKI
  // what ecSpki would build: hand both over as they are (OpenSSL refuses r or s not below the
  // order, as verifyEcdsa does), without the BigInt round trip (~5 us an upload).
  if (nativeVerifyDigest && isDerSignature(sig)) return nativeVerifyDigest(spki, digest, sig);
  const rs = ecdsaSignatureValues(sig);
  return rs !== undefined && verifyEcdsa(curve, point, digest, rs[0], rs[1]);
}

/**
 * verifyEcdsa is the one ECDSA primitive: (r, s) over digest under an uncompressed point on a
 * named curve; OpenSSL through the native addon when it is built, verifyEcdsaNoble otherwise.
 */
export function verifyEcdsa(curve: CurveName, point: Uint8Array, digest: Uint8Array, r: bigint, s: bigint): boolean {
  const c = CURVE[curve];
  const n = c.Point.Fn.ORDER;
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  // OpenSSL via the optional addon (native.ts) when built: ~25x noble, which alone cannot keep up
  // with Rekor upload rates. It gets the same (r, s), so ecdsaSignatureValues alone still decides
  // which signature encodings pass.
  if (nativeVerifyEcdsa) return nativeVerifyEcdsa(curve, point, digest, r, s);
  return verifyEcdsaNoble(curve, point, digest, r, s);
}

/** verifyEcdsaNoble is verifyEcdsa in pure JS (@noble/curves), the path without the addon. */
export function verifyEcdsaNoble(curve: CurveName, point: Uint8Array, digest: Uint8Array, r: bigint, s: bigint): boolean {
  const c = CURVE[curve];
  const n = c.Point.Fn.ORDER;
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  const size = c.Point.Fn.BYTES;
  const compact = new Uint8Array(2 * size);
  compact.set(toBytes(r, size), 0);
  compact.set(toBytes(s, size), size);
  try {
    return c.verify(compact, digest, point, { prehash: false, lowS: false, format: 'compact' });
  } catch {
    return false;
  }
}

/** isDerSignature reports whether ecdsaSignatureValues reads sig as DER and accepts it. */
function isDerSignature(sig: Uint8Array): boolean {
  const seq = readTlv(sig, 0);
  if (seq?.tag !== SEQUENCE || seq.end !== sig.length) return false;
  const parts = children(sig, seq);
  return parts !== undefined && parts.length === 2 && isPositiveInteger(sig, parts[0]) && isPositiveInteger(sig, parts[1]);
}

/**
 * ecdsaSignatureValues returns (r, s) from sig the way sigstore's ECDSAVerifier reads it: if sig
 * parses as ASN.1 it must be strict DER SEQUENCE { r, s } (Go's VerifyASN1); otherwise it is
 * IEEE P1363 r||s, an even length of at most 132 bytes split in halves.
 */
export function ecdsaSignatureValues(sig: Uint8Array): [bigint, bigint] | undefined {
  const seq = readTlv(sig, 0);
  const parts = seq?.tag === SEQUENCE ? children(sig, seq) : undefined;
  if (seq && parts && parts.length >= 2 && parts[0].tag === INTEGER && parts[1].tag === INTEGER) {
    if (seq.end !== sig.length || parts.length !== 2) return undefined;
    const r = positiveInteger(sig, parts[0]);
    const s = positiveInteger(sig, parts[1]);
    return r !== undefined && s !== undefined ? [r, s] : undefined;
  }
  if (sig.length === 0 || sig.length > 132 || sig.length % 2 !== 0) return undefined;
  const h = sig.length / 2;
  return [fromBytes(sig.subarray(0, h)), fromBytes(sig.subarray(h))];
}

// RFC 8017 §9.2 note 1: DER DigestInfo prefixes.
const DIGEST_INFO: Record<DigestAlg, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/** verifyRsaPkcs1 checks RSASSA-PKCS1-v1_5 (RFC 8017 §8.2.2) over a digest, as Go's VerifyPKCS1v15. */
function verifyRsaPkcs1(key: KeyObject, hash: DigestAlg, digest: Uint8Array, sig: Uint8Array): boolean {
  if (sig.length !== modulusBytes(key)) return false;
  let recovered: Buffer;
  try {
    // OpenSSL checks the 00 01 FF…FF 00 type-1 padding (at least 8 FF) and returns the rest.
    recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, sig);
  } catch {
    return false;
  }
  return recovered.equals(Buffer.concat([Buffer.from(DIGEST_INFO[hash], 'hex'), digest]));
}

/** verifyRsaPss is EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with MGF1 over the same hash, any salt length. */
function verifyRsaPss(key: KeyObject, hash: DigestAlg, digest: Uint8Array, sig: Uint8Array): boolean {
  const k = modulusBytes(key);
  if (sig.length !== k) return false;
  let m: Buffer;
  try {
    m = publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, sig);
  } catch {
    return false;
  }
  const emBits = (key.asymmetricKeyDetails?.modulusLength ?? 0) - 1;
  const emLen = Math.ceil(emBits / 8);
  if (m.length !== k || (emLen < k && m[0] !== 0)) return false;
  const em = m.subarray(k - emLen);
  const hLen = digest.length;
  if (emLen < hLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const db = Buffer.from(em.subarray(0, emLen - hLen - 1));
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topMask = 0xff >> (8 * emLen - emBits);
  if ((db[0] & ~topMask) !== 0) return false;
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  db[0] &= topMask;
  // DB = PS (zeros) || 0x01 || salt; the salt length is whatever the zeros leave.
  let i = 0;
  while (i < db.length && db[i] === 0) i++;
  if (i === db.length || db[i] !== 0x01) return false;
  const salt = db.subarray(i + 1);
  const h2 = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  return h2.equals(h);
}

function mgf1(hash: DigestAlg, seed: Uint8Array, len: number): Buffer {
  const out: Buffer[] = [];
  for (let c = 0, n = 0; n < len; c++) {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(c);
    const block = createHash(hash).update(seed).update(counter).digest();
    out.push(block);
    n += block.length;
  }
  return Buffer.concat(out).subarray(0, len);
}

function modulusBytes(key: KeyObject): number {
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}

// Ed25519ph = Ed25519 with dom2(phflag=1, context="") over PH(M) = SHA-512(M); the digest we hold
// already is PH(M), so the prehash step is the identity.
const ed25519phOverDigest = eddsa(ed25519.Point, sha512, {
  domain: (data: Uint8Array, ctx: Uint8Array, phflag: boolean) => {
    const prefix = new TextEncoder().encode('SigEd25519 no Ed25519 collisions');
    const out = new Uint8Array(prefix.length + 2 + ctx.length + data.length);
    out.set(prefix, 0);
    out.set([phflag ? 1 : 0, ctx.length], prefix.length);
    out.set(ctx, prefix.length + 2);
    out.set(data, prefix.length + 2 + ctx.length);
    return out;
  },
  prehash: (m: Uint8Array) => m,
  zip215: false,
});

function verifyEd25519ph(key: KeyObject, digest: Uint8Array, sig: Uint8Array): boolean {
  const pub = spkiBitString(spkiOf(key));
  if (!pub || sig.length !== 64) return false;
  try {
    return ed25519phOverDigest.verify(sig, digest, pub);
  } catch {
    return false;
  }
}

function toBytes(v: bigint, size: number): Uint8Array {
  return Uint8Array.from(Buffer.from(v.toString(16).padStart(size * 2, '0'), 'hex'));
}

function fromBytes(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b).toString('hex'));
}
