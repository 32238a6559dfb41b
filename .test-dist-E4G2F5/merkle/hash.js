/**
 * RFC 6962 §2.1 hashing with SHA-256: the only place the 0x00 (leaf) and 0x01 (node) domain
 * separation prefixes appear.
 *
 * Implementation choice, measured with bench/hash.ts (Node 20.20, shared 2-core box, median of
 * 7 runs of ≥200 ms each):
 *   65-byte node input:   node:crypto hash() one-shot ≈ 0.58–1.20 M ops/s, createHash ≈ 0.57–0.82 M,
 *                         @noble/hashes sha256 ≈ 0.46 M  (noble ≈ 0.57–0.80× node:crypto)
 *   301-byte leaf input:  node:crypto hash() ≈ 0.61 M ops/s, createHash ≈ 0.51–0.54 M,
 *                         @noble/hashes ≈ 0.30 M  (noble ≈ 0.56–0.60×)
 *   whole nodeHash(l, r): scratch buffer + hash() ≈ 0.58 M, createHash with 3 updates ≈ 0.57 M,
 *                         scratch + noble ≈ 0.41 M
 * so node:crypto wins; the one-shot crypto.hash() over a reused scratch buffer is never slower
 * than createHash and avoids a Hash object per call. All functions are synchronous, and the
 * scratch buffers are never visible outside a single call.
 */
import { createHash, hash } from 'node:crypto';
/** HASH_SIZE is the byte length of every tree hash (SHA-256). */
export const HASH_SIZE = 32;
/** EMPTY_ROOT is MTH({}) = SHA-256() of the empty string (RFC 6962 §2.1). Do not mutate. */
export const EMPTY_ROOT = digest(new Uint8Array(0));
const LEAF_PREFIX = 0x00; // RFC 6962 §2.1: MTH({d(0)}) = SHA-256(0x00 || d(0))
const NODE_PREFIX = 0x01; // RFC 6962 §2.1: MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
const SCRATCH_LEAF_MAX = 4096;
const leafScratch = new Uint8Array(1 + SCRATCH_LEAF_MAX);
const nodeScratch = new Uint8Array(1 + 2 * HASH_SIZE);
nodeScratch[0] = NODE_PREFIX;
/** digest returns SHA-256(data) as a plain Uint8Array (not a Buffer) over its own 32-byte memory. */
function digest(data) {
    const b = hash('sha256', data, 'buffer');
    return new Uint8Array(b.buffer, b.byteOffset, HASH_SIZE);
}
/** leafHash returns the RFC 6962 leaf hash SHA-256(0x00 || data). */
export function leafHash(data) {
    if (data.length > SCRATCH_LEAF_MAX) {
        const b = createHash('sha256').update(new Uint8Array([LEAF_PREFIX])).update(data).digest();
        return new Uint8Array(b.buffer, b.byteOffset, HASH_SIZE);
    }
    leafScratch[0] = LEAF_PREFIX;
    leafScratch.set(data, 1);
    return digest(leafScratch.subarray(0, 1 + data.length));
}
/** nodeHash returns the RFC 6962 interior node hash SHA-256(0x01 || left || right). */
export function nodeHash(left, right) {
    if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
        throw new Error(`merkle: nodeHash of ${left.length}- and ${right.length}-byte inputs`);
    }
    nodeScratch.set(left, 1);
    nodeScratch.set(right, 1 + HASH_SIZE);
    return digest(nodeScratch);
}
/**
 * nodeHashOfPair returns nodeHash of the two adjacent hashes at buf[offset : offset+64], without
 * slicing them out (used to build tiles from contiguous hash arrays).
 */
export function nodeHashOfPair(buf, offset) {
    nodeScratch.set(buf.subarray(offset, offset + 2 * HASH_SIZE), 1);
    return digest(nodeScratch);
}
/** bytesEqual reports whether a and b hold the same bytes. Tree hashes are public: no constant time needed. */
export function bytesEqual(a, b) {
    if (a.length !== b.length)
        return false;
    for (let i = 0; i < a.length; i++)
        if (a[i] !== b[i])
            return false;
    return true;
}
