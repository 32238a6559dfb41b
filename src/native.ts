/**
 * The optional native addon (native/prehashed.c), loaded once: ECDSA/RSA verification over a
 * digest (used by kinds/native.ts) and the append path's batched hashing (merkle/batch.ts). A
 * leaf module like errors.ts, so that merkle and kinds share one handle without importing each
 * other. `npm install` builds it; when it is missing or fails to load, or CAIRN_NO_NATIVE=1,
 * `addon` is undefined and callers use JS.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Addon is what native/prehashed.c exports. */
export interface Addon {
  verifyDigest(spki: Uint8Array, digest: Uint8Array, sig: Uint8Array, hash?: string, padding?: string): boolean;
  /** Absent from an addon built before it was added: then merkle.leafHashes falls back to JS. */
  leafHashes?(bodies: readonly Uint8Array[]): Uint8Array;
  /** Absent from an addon built before it was added: then merkle.tileNodes falls back to JS. */
  tileNodes?(hashes: Uint8Array): Uint8Array;
}

/** NATIVE_ADDON_PATH is where scripts/build-native.mjs leaves the addon (same depth from src/ and dist/). */
export const NATIVE_ADDON_PATH = join(import.meta.dirname, '..', 'native', 'build', 'Release', 'prehashed.node');

function load(): Addon | undefined {
  if (process.env.CAIRN_NO_NATIVE === '1') return undefined;
  try {
    const a = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as Partial<Addon>;
    return typeof a.verifyDigest === 'function' ? (a as Addon) : undefined;
  } catch {
    return undefined; // not built (no compiler at install time) or built for another node
  }
}

/** addon is the loaded addon, or undefined (use the pure-JS paths). */
export const addon: Addon | undefined = load();
