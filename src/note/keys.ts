/**
 * Key material: the log's private key (PKCS#8 PEM) and public keys (SPKI), with the identifiers
 * derived from them. Signing and verification use node:crypto (OpenSSL), which bench/sign.ts
 * measures at 16-36x the speed of @noble/curves for Ed25519 and ECDSA P-256.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { CairnError } from '../errors.js';
import { sodiumSigner } from './ed25519.js';
import { bytesEqual, concat, fromBase64, sha256, utf8 } from './encoding.js';

/** KeyType is a type of log signing key. */
export type KeyType = 'ed25519' | 'ecdsa-p256';

/** PublicKeyType is a type of public key Cairn verifies: the log's own types plus larger ECDSA curves. */
export type PublicKeyType = KeyType | 'ecdsa-p384' | 'ecdsa-p521';

/** ECDSA hash for verifyWithSpki; checkpoints and Rekor use SHA-256 for every curve (signed-note type 0x02). */
export type EcdsaHash = 'sha256' | 'sha384' | 'sha512';

/** PublicKey is a parsed SPKI public key and the identifiers derived from it. */
export interface PublicKey {
  readonly type: PublicKeyType;
  /** SPKI PEM ("-----BEGIN PUBLIC KEY-----"), as served by Rekor's /api/v1/log/publicKey. */
  readonly publicKeyPem: string;
  /** DER SubjectPublicKeyInfo, canonical encoding. */
  readonly spkiDer: Uint8Array;
  /** logId is SHA-256(SPKI DER): Rekor's logID. */
  readonly logId: Uint8Array;
  /** keyHint is logId[0:4]: the key ID of Rekor checkpoint signatures. */
  readonly keyHint: Uint8Array;
  /** rawPublicKey is the 32-byte Ed25519 key (RFC 8032) or the uncompressed EC point (0x04 || X || Y). */
  readonly rawPublicKey: Uint8Array;
  /** verify reports whether sig signs msg: pure Ed25519, or ASN.1 DER ECDSA over SHA-256(msg). */
  verify(msg: Uint8Array, sig: Uint8Array): boolean;
}

/** LogKey is the log's signing key. */
export interface LogKey extends PublicKey {
  readonly type: KeyType;
  /** sign returns a signature of msg: pure Ed25519, or ASN.1 DER ECDSA P-256 over SHA-256(msg) (as Rekor signs). */
  sign(msg: Uint8Array): Uint8Array;
}

// c2sp.org/signed-note, "Signature types".
/** SIG_TYPE_ED25519 is the signed-note signature type of Ed25519 note signatures. */
export const SIG_TYPE_ED25519 = 0x01;
/** SIG_TYPE_ECDSA is the signed-note signature type of ECDSA (SHA-256) note signatures, as in transparency-dev/witness. */
export const SIG_TYPE_ECDSA = 0x02;
/** SIG_TYPE_COSIGNATURE_V1 is the signed-note signature type of Ed25519 cosignature/v1 (c2sp.org/tlog-cosignature). */
export const SIG_TYPE_COSIGNATURE_V1 = 0x04;

/** c2spKeyId returns SHA-256(name || 0x0A || sigType || publicKey)[:4], the C2SP key ID (c2sp.org/signed-note). */
export function c2spKeyId(name: string, sigType: number, publicKey: Uint8Array): Uint8Array {
  return sha256(utf8(name), Uint8Array.of(0x0a, sigType), publicKey).slice(0, 4);
}

const CURVES: Record<string, PublicKeyType> = {
  prime256v1: 'ecdsa-p256',
  secp384r1: 'ecdsa-p384',
  secp521r1: 'ecdsa-p521',
};

/** keyTypeOf returns the PublicKeyType of k, or a description of the unsupported type. */
function keyTypeOf(k: KeyObject): PublicKeyType | string {
  if (k.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (k.asymmetricKeyType === 'ec') {
    const curve = k.asymmetricKeyDetails?.namedCurve ?? 'unknown curve';
    return CURVES[curve] ?? `ec (${curve})`;
  }
  return String(k.asymmetricKeyType);
}

function isPublicKeyType(t: string): t is PublicKeyType {
  return t === 'ed25519' || t === 'ecdsa-p256' || t === 'ecdsa-p384' || t === 'ecdsa-p521';
}

/** pemBlock returns the DER inside the single PEM block of s, with its label; undefined if s is not exactly one block. */
function pemBlock(s: string): { label: string; der: Uint8Array } | undefined {
  const m = /^\s*-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END \1-----\s*$/.exec(s);
  if (!m) return undefined;
  const der = fromBase64(m[2].replace(/\r?\n/g, ''));
  return der && der.length > 0 ? { label: m[1], der } : undefined;
}

/** toPem returns der as a PEM block with the given label and 64-character lines. */
function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** publicKeyFromKeyObject returns the PublicKey of k, whose type must already be known to be supported. */
function publicKeyFromKeyObject(k: KeyObject, type: PublicKeyType): PublicKey {
  const spkiDer = new Uint8Array(k.export({ format: 'der', type: 'spki' }));
  const jwk = k.export({ format: 'jwk' });
  const rawPublicKey =
    type === 'ed25519'
      ? new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'))
      : concat(Uint8Array.of(0x04), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url'));
  const logId = sha256(spkiDer);
  const hash = type === 'ed25519' ? null : 'sha256';
  return {
    type,
    publicKeyPem: toPem('PUBLIC KEY', spkiDer),
    spkiDer,
    logId,
    keyHint: logId.slice(0, 4),
    rawPublicKey,
    verify: (msg, sig) => safeVerify(hash, msg, k, sig),
  };
}

function safeVerify(hash: string | null, msg: Uint8Array, k: KeyObject, sig: Uint8Array): boolean {
  try {
    return verify(hash, msg, k, sig);
  } catch {
    return false; // malformed signature encodings are failures, not errors
  }
}

/**
 * publicKeyFromSpki returns the public key encoded by der, a canonical DER SubjectPublicKeyInfo of
 * an Ed25519 or ECDSA P-256/P-384/P-521 key. Anything else (trailing bytes, compressed points,
 * explicit curve parameters, RSA) throws CairnError('CONFIG').
 */
export function publicKeyFromSpki(der: Uint8Array): PublicKey {
  let k: KeyObject;
  try {
    k = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch {
    throw new CairnError('CONFIG', 'public key is not a DER SubjectPublicKeyInfo');
  }
  const type = keyTypeOf(k);
  if (!isPublicKeyType(type)) {
    throw new CairnError('CONFIG', `unsupported public key type ${type}: want ed25519 or ECDSA P-256, P-384, P-521`);
  }
  const pub = publicKeyFromKeyObject(k, type);
  // Canonical means what Go's x509.MarshalPKIXPublicKey writes: no trailing bytes, and for EC the
  // uncompressed point (OpenSSL round-trips compressed points, which would change the logID).
  const raw = pub.rawPublicKey;
  if (!bytesEqual(pub.spkiDer, der) || !bytesEqual(der.subarray(der.length - raw.length), raw)) {
    throw new CairnError('CONFIG', 'public key is not in canonical SPKI DER form');
  }
  return pub;
}

/** publicKeyFromPem returns the public key in pem, a single "PUBLIC KEY" (SPKI) PEM block; else CairnError('CONFIG'). */
export function publicKeyFromPem(pem: string): PublicKey {
  const block = pemBlock(pem);
  if (!block || block.label !== 'PUBLIC KEY') {
    throw new CairnError('CONFIG', 'public key must be one PEM block labelled PUBLIC KEY (SPKI)');
  }
  return publicKeyFromSpki(block.der);
}

// RFC 8410 SubjectPublicKeyInfo prefix for a raw 32-byte Ed25519 key.
const ED25519_SPKI_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00);

/** publicKeyFromEd25519 returns the public key whose RFC 8032 encoding is raw (32 bytes); else CairnError('CONFIG'). */
export function publicKeyFromEd25519(raw: Uint8Array): PublicKey {
  if (raw.length !== 32) throw new CairnError('CONFIG', `Ed25519 public key must be 32 bytes, not ${raw.length}`);
  return publicKeyFromSpki(concat(ED25519_SPKI_PREFIX, raw));
}

/** toPublicKey returns key parsed: a PEM string, SPKI DER bytes, or an already parsed key. */
export function toPublicKey(key: string | Uint8Array | PublicKey): PublicKey {
  if (typeof key === 'string') return publicKeyFromPem(key);
  if (key instanceof Uint8Array) return publicKeyFromSpki(key);
  return key;
}

/**
 * verifyWithSpki reports whether sig is a valid signature of msg by key (SPKI PEM or DER):
 * pure Ed25519, or ASN.1 DER ECDSA over hash(msg) with hash SHA-256 by default for every curve, as
 * Rekor and signed-note type 0x02 use. An unparseable or unsupported key throws CairnError('CONFIG').
 */
export function verifyWithSpki(key: string | Uint8Array, msg: Uint8Array, sig: Uint8Array, hash: EcdsaHash = 'sha256'): boolean {
  const pub = toPublicKey(key);
  if (pub.type === 'ed25519' || hash === 'sha256') return pub.verify(msg, sig);
  return safeVerify(hash, msg, createPublicKey({ key: Buffer.from(pub.spkiDer), format: 'der', type: 'spki' }), sig);
}

/** generateKey returns a new private key of the given type as PKCS#8 PEM. */
export function generateKey(type: KeyType): string {
  if (type === 'ed25519') {
    return generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }
  if (type === 'ecdsa-p256') {
    return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }
  throw new CairnError('CONFIG', `unsupported key type ${String(type)}: want ed25519 or ecdsa-p256`);
}

const PEM_ADVICE: Record<string, string> = {
  'ENCRYPTED PRIVATE KEY': 'it is encrypted; Cairn needs an unencrypted key (openssl pkcs8 -topk8 -nocrypt)',
  'EC PRIVATE KEY': 'it is a SEC1 EC key; convert it with: openssl pkcs8 -topk8 -nocrypt -in key.pem',
  'OPENSSH PRIVATE KEY': 'it is an OpenSSH key; Cairn needs PKCS#8 PEM (openssl genpkey -algorithm ed25519)',
  'PUBLIC KEY': 'it is a public key',
};

/**
 * loadPrivateKey returns the log key in pem, one unencrypted PKCS#8 "PRIVATE KEY" PEM block holding
 * an Ed25519 or ECDSA P-256 key. Anything else throws CairnError('CONFIG') saying what was found.
 */
export function loadPrivateKey(pem: string): LogKey {
  const block = pemBlock(pem);
  if (!block) throw new CairnError('CONFIG', 'private key is not a single PEM block');
  if (block.label !== 'PRIVATE KEY') {
    const advice = PEM_ADVICE[block.label] ?? `its PEM label is ${block.label}`;
    throw new CairnError('CONFIG', `private key must be PKCS#8 ("BEGIN PRIVATE KEY"): ${advice}`);
  }
  let priv: KeyObject;
  try {
    priv = createPrivateKey({ key: Buffer.from(block.der), format: 'der', type: 'pkcs8' });
  } catch {
    throw new CairnError('CONFIG', 'private key is not a valid PKCS#8 key');
  }
  const type = keyTypeOf(priv);
  if (type !== 'ed25519' && type !== 'ecdsa-p256') {
    throw new CairnError('CONFIG', `unsupported private key type ${type}: Cairn signs with ed25519 or ecdsa-p256`);
  }
  const pub = publicKeyFromKeyObject(createPublicKey(priv), type);
  const hash = type === 'ed25519' ? null : 'sha256';
  return { ...pub, type, sign: sodiumSigner(priv) ?? ((msg) => new Uint8Array(sign(hash, msg, priv))) };
}
