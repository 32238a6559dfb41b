/**
 * The append path's batched hashing: a whole batch's leaf hashes and a whole tile's nodes in one
 * native call each where the addon is built (src/native.ts), else the JS of hash.ts and tile.ts.
 * Same results either way (test/merkle/batch.test.ts compares them).
 */
import { addon } from '../native.js';
import { HASH_SIZE, leafHash } from './hash.js';
import { tileNodesJs } from './tile.js';
/**
 * leafHashes returns the RFC 6962 leaf hash of each body. With the addon it is one native call
 * for the whole batch: 0.48 against 2.0 µs a 350-byte body with node:crypto (bench/hash.ts), and
 * one buffer for all the hashes instead of one each (the garbage collector's work). Without it,
 * leafHash per body. The hashes are views into one buffer: do not mutate them.
 */
export function leafHashes(bodies) {
    const batch = addon?.leafHashes;
    if (!batch) {
        return bodies.map((b) => {
            if (!(b instanceof Uint8Array))
                throw new TypeError('leafHashes: each body must be a Uint8Array');
            return leafHash(b);
        });
    }
    const all = batch(bodies);
    const out = new Array(bodies.length);
    for (let i = 0; i < bodies.length; i++)
        out[i] = all.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
    return out;
}
/** hasNativeLeafHashes reports whether leafHashes runs natively (benchmarks, tests). */
export function hasNativeLeafHashes() {
    return typeof addon?.leafHashes === 'function';
}
/**
 * tileNodes returns the nodes above a tile's 1..256 hashes in tileNodesJs's layout (what
 * ExpandedTile takes). With the addon it is one native call for the tile's up to 255 node
 * hashes, instead of a node:crypto call (and a buffer) each; without it, tileNodesJs.
 */
export function tileNodes(hashes) {
    const native = addon?.tileNodes;
    return native ? native(hashes) : tileNodesJs(hashes);
}
/** hasNativeTileNodes reports whether tileNodes runs natively (benchmarks, tests). */
export function hasNativeTileNodes() {
    return typeof addon?.tileNodes === 'function';
}
