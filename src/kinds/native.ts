/**
 * The optional native addon (native/prehashed.c): ECDSA and RSA verification over a digest the
 * caller already has, through the OpenSSL inside node. node:crypto cannot do this (it always
 * hashes its input) and pure-JS ECDSA is ~5x slower. `npm install` builds it; when it is missing
 * or fails to load, or CAIRN_NO_NATIVE=1, nativeVerifyDigest is undefined and callers use JS.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

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
