/**
 * The optional native addon (native/prehashed.c), loaded once: ECDSA/RSA verification over a
 * digest (used by kinds/native.ts) and the append path's batched hashing (merkle/batch.ts). A
 * leaf module like errors.ts, so that merkle and kinds share one handle without importing each
 * other. `npm install` builds it; when it is missing or fails to load, or CAIRN_NO_NATIVE=1,
 * `addon` is undefined and callers use JS.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
/** NATIVE_ADDON_PATH is where scripts/build-native.mjs leaves the addon (same depth from src/ and dist/). */
export const NATIVE_ADDON_PATH = join(import.meta.dirname, '..', 'native', 'build', 'Release', 'prehashed.node');
function load() {
    if (process.env.CAIRN_NO_NATIVE === '1')
        return undefined;
    try {
        const a = createRequire(import.meta.url)(NATIVE_ADDON_PATH);
        return typeof a.verifyDigest === 'function' ? a : undefined;
    }
    catch {
        return undefined; // not built (no compiler at install time) or built for another node
    }
}
/** addon is the loaded addon, or undefined (use the pure-JS paths). */
export const addon = load();
