/**
 * Proof verification as a client runs it: pure, no reader, every failure a CairnError BAD_PROOF.
 * The algorithms are RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), which walk the
 * binary expansions of the sizes instead of recursing; "right-shift" below is floor(x / 2),
 * never >>, so sizes up to 2^53 work.
 */
import { CairnError } from '../errors.js';
import { isOdd, isPow2, isSafeIndex } from './bits.js';
import { bytesEqual, EMPTY_ROOT, HASH_SIZE, nodeHash } from './hash.js';
function fail(message) {
    throw new CairnError('BAD_PROOF', message);
}
function checkHashes(what, hashes) {
    for (const h of hashes)
        if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE)
            fail(`${what}: not a ${HASH_SIZE}-byte hash`);
}
/**
 * rootFromInclusionProof returns the root of the size-`size` tree implied by leafHash sitting at
 * `index` with this audit path. Throws CairnError BAD_PROOF if index >= size, the proof has the
 * wrong length for (index, size), or any hash is not 32 bytes.
 */
export function rootFromInclusionProof(leafHash, index, size, proof) {
    if (!isSafeIndex(index) || !isSafeIndex(size))
        fail('index and size must be non-negative safe integers');
    if (index >= size)
        fail(`index ${index} is not below tree size ${size}`);
    checkHashes('leaf hash', [leafHash]);
    checkHashes('inclusion proof', proof);
    let fn = index;
    let sn = size - 1;
    let r = leafHash;
    for (const p of proof) {
        if (sn === 0)
            fail('inclusion proof too long');
        if (isOdd(fn) || fn === sn) {
            r = nodeHash(p, r);
            // Skip the levels where this node is the right edge's only child (no sibling to hash).
            while (!isOdd(fn) && fn !== 0) {
                fn = Math.floor(fn / 2);
                sn = Math.floor(sn / 2);
            }
        }
        else {
            r = nodeHash(r, p);
        }
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
    }
    if (sn !== 0)
        fail('inclusion proof too short');
    return r;
}
/**
 * verifyInclusion checks that leafHash is at `index` in the size-`size` tree with this root.
 * Throws CairnError BAD_PROOF on any mismatch or malformed input.
 */
export function verifyInclusion(leafHash, index, size, proof, root) {
    checkHashes('root', [root]);
    if (!bytesEqual(rootFromInclusionProof(leafHash, index, size, proof), root))
        fail('inclusion proof does not lead to the root');
}
/**
 * verifyConsistency checks that the size-m tree with root rootM is a prefix of the size-n tree
 * with root rootN (RFC 9162 §2.1.4.2). m == n needs an empty proof and equal roots; m == 0 needs
 * an empty proof and rootM == EMPTY_ROOT. Throws CairnError BAD_PROOF on any failure.
 */
export function verifyConsistency(m, n, proof, rootM, rootN) {
    if (!isSafeIndex(m) || !isSafeIndex(n))
        fail('sizes must be non-negative safe integers');
    if (m > n)
        fail(`first size ${m} exceeds second size ${n}`);
    checkHashes('roots', [rootM, rootN]);
    checkHashes('consistency proof', proof);
    if (m === 0 && !bytesEqual(rootM, EMPTY_ROOT))
        fail('the root of the empty tree is SHA-256("")');
    if (m === n || m === 0) {
        if (proof.length !== 0)
            fail('consistency proof must be empty');
        if (m === n && !bytesEqual(rootM, rootN))
            fail('roots of equal sizes differ');
        return;
    }
    if (proof.length === 0)
        fail('consistency proof is empty');
    // Step 2: when m is a power of two, the old root is itself a node of the new tree's path.
    const path = isPow2(m) ? [rootM, ...proof] : proof;
    let fn = m - 1;
    let sn = n - 1;
    while (isOdd(fn)) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
    }
    let fr = path[0];
    let sr = path[0];
    for (let i = 1; i < path.length; i++) {
        const c = path[i];
        if (sn === 0)
            fail('consistency proof too long');
        if (isOdd(fn) || fn === sn) {
            fr = nodeHash(c, fr);
            sr = nodeHash(c, sr);
            while (!isOdd(fn) && fn !== 0) {
                fn = Math.floor(fn / 2);
                sn = Math.floor(sn / 2);
            }
        }
        else {
            sr = nodeHash(sr, c);
        }
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
    }
    if (sn !== 0)
        fail('consistency proof too short');
    if (!bytesEqual(fr, rootM))
        fail('consistency proof does not lead to the first root');
    if (!bytesEqual(sr, rootN))
        fail('consistency proof does not lead to the second root');
}
