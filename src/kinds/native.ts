/**
 * The optional native addon (native/prehashed.c): ECDSA and RSA verification over a digest the
 * caller already has, through the OpenSSL inside node. node:crypto cannot do this (it always
 * hashes its input) and pure-JS ECDSA is ~5x slower. `npm install` builds it; when it is missing
 * or fails to load, or CAIRN_NO_NATIVE=1, nativeVerifyDigest is undefined and callers use JS.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { HASH_SIZE, leafHash, tileNodes as jsTileNodes } from '../merkle/index.js';

/** Hash names OpenSSL knows (lowercase, as node:crypto spells them). */
export type NativeHash = 'sha256' | 'sha384' | 'sha512';

export interface NativeVerifyOptions {
  /** The digest's hash. Optional for ECDSA (then the digest is used as is); required for RSA. */
  hash?: NativeHash;
  /** RSA only: PKCS#1 v1.5 (default) or PSS with MGF1 over the same hash and any salt length. */
  padding?: 'pkcs1' | 'pss';
}

/**
 * Verifies a DER signature over `digest` with an SPKI DER public key (EC P-256/384/521 or RSA).
 * Accepts high-S ECDSA signatures, like OpenSSL. Returns false for anything that does not verify
 * or does not parse; throws TypeError only for arguments that are not Uint8Arrays.
 */
export type NativeVerifyDigest = (spkiDer: Uint8Array, digest: Uint8Array, derSignature: Uint8Array, opts?: NativeVerifyOptions) => boolean;

interface Addon {
  verifyDigest(spki: Uint8Array, digest: Uint8Array, sig: Uint8Array, hash?: string, padding?: string): boolean;
  /** Absent from an addon built before it was added: then leafHashes falls back to JS. */
  leafHashes?(bodies: readonly Uint8Array[]): Uint8Array;
  /** Absent from an addon built before it was added: then tileNodes falls back to JS. */
  tileNodes?(hashes: Uint8Array): Uint8Array;
}

/** Where scripts/build-native.mjs leaves the addon (same depth from src/ and dist/). */
export const NATIVE_ADDON_PATH = join(import.meta.dirname, '..', '..', 'native', 'build', 'Release', 'prehashed.node');

function load(): Addon | undefined {
  if (process.env.CAIRN_NO_NATIVE === '1') return undefined;
  try {
    const addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as Partial<Addon>;
    return typeof addon.verifyDigest === 'function' ? (addon as Addon) : undefined;
  } catch {
    return undefined; // not built (no compiler at install time) or built for another node
  }
}

const addon = load();

/** The native verifier, or undefined when the addon is unavailable (use the pure-JS path). */
export const nativeVerifyDigest: NativeVerifyDigest | undefined = addon
  ? (spkiDer, digest, derSignature, opts) => addon.verifyDigest(spkiDer, digest, derSignature, opts?.hash, opts?.padding)
  : undefined;

/**
 * leafHashes returns the RFC 6962 leaf hash of each body. With the addon it is one native call
 * for the whole batch: 0.48 against 2.0 µs a 350-byte body with node:crypto (bench/hash.ts), and
 * one buffer for all the hashes instead of one each (the garbage collector's work). Without it,
 * merkle.leafHash per body. The hashes are views into one buffer: do not mutate them.
 */
export function leafHashes(bodies: readonly Uint8Array[]): Uint8Array[] {
  const batch = addon?.leafHashes;
  if (!batch) {
    return bodies.map((b) => {
      if (!(b instanceof Uint8Array)) throw new TypeError('leafHashes: each body must be a Uint8Array');
      return leafHash(b);
    });
  }
  const all = batch(bodies);
  const out: Uint8Array[] = new Array(bodies.length);
  for (let i = 0; i < bodies.length; i++) out[i] = all.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  return out;
}

/** hasNativeLeafHashes reports whether leafHashes runs natively (benchmarks, tests). */
export function hasNativeLeafHashes(): boolean {
  return typeof addon?.leafHashes === 'function';
}

/**
 * tileNodes returns the nodes above a tile's 1..256 hashes in merkle.tileNodes's layout (what
 * merkle.ExpandedTile takes). With the addon it is one native call for the tile's up to 255
 * node hashes, instead of a node:crypto call (and a buffer) each; without it, merkle.tileNodes.
 */
export function tileNodes(hashes: Uint8Array): Uint8Array {
  const native = addon?.tileNodes;
  return native ? native(hashes) : jsTileNodes(hashes);
}

/** hasNativeTileNodes reports whether tileNodes runs natively (benchmarks, tests). */
export function hasNativeTileNodes(): boolean {
  return typeof addon?.tileNodes === 'function';
}

/** The named curves of the ECDSA fast path, as KeyObject.asymmetricKeyDetails names them. */
export type NativeCurve = 'prime256v1' | 'secp384r1' | 'secp521r1';

// DER AlgorithmIdentifier { id-ecPublicKey, namedCurve } per curve (RFC 5480).
const EC_ALG_ID: Record<NativeCurve, Uint8Array> = {
  prime256v1: Buffer.from('301306072a8648ce3d020106082a8648ce3d030107', 'hex'),
  secp384r1: Buffer.from('301006072a8648ce3d020106052b81040022', 'hex'),
  secp521r1: Buffer.from('301006072a8648ce3d020106052b81040023', 'hex'),
};

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  const out = new Uint8Array(1 + len.length + n);
  out.set([tag, ...len]);
  let at = 1 + len.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** ecSpki wraps an EC point (SEC 1 encoding) as SPKI DER, the shape the addon parses fastest. */
export function ecSpki(curve: NativeCurve, point: Uint8Array): Uint8Array {
  if (!Object.hasOwn(EC_ALG_ID, curve)) return new Uint8Array(0); // the addon rejects empty
  return tlv(0x30, EC_ALG_ID[curve], tlv(0x03, new Uint8Array([0]), point));
}

/** ecdsaDer encodes (r, s) as DER Ecdsa-Sig-Value; empty (never valid) unless both are positive. */
export function ecdsaDer(r: bigint, s: bigint): Uint8Array {
  if (r <= 0n || s <= 0n) return new Uint8Array(0);
  const int = (x: bigint) => {
    const hex = x.toString(16);
    const b = Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex');
    return tlv(0x02, b[0] & 0x80 ? new Uint8Array([0, ...b]) : b);
  };
  return tlv(0x30, int(r), int(s));
}

/**
 * ECDSA over a digest from already-parsed parts (the shape of prehashed.ts's verifyEcdsa), or
 * undefined without the addon. Re-encoding (r, s) as canonical DER means the caller's signature
 * parser alone decides which encodings are acceptable; OpenSSL only does the arithmetic.
 */
export const nativeVerifyEcdsa: ((curve: NativeCurve, point: Uint8Array, digest: Uint8Array, r: bigint, s: bigint) => boolean) | undefined = addon
  ? (curve, point, digest, r, s) => addon.verifyDigest(ecSpki(curve, point), digest, ecdsaDer(r, s))
  : undefined;
