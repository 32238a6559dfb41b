/**
 * Proof verification as a client runs it: pure, no reader, every failure a CairnError BAD_PROOF.
 * The algorithms are RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), which walk the
 * binary expansions of the sizes instead of recursing; "right-shift" below is floor(x / 2),
 * never >>, so sizes up to 2^53 work.
 */
import { CairnError } from '../errors.js';
import { isOdd, isPow2, isSafeIndex } from './bits.js';
import { bytesEqual, EMPTY_ROOT, HASH_SIZE, nodeHash } from './hash.js';

function fail(message: string): never {
  throw new CairnError('BAD_PROOF', message);
}

function checkHashes(what: string, hashes: readonly Uint8Array[]): void {
  for (const h of hashes) if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) fail(`${what}: not a ${HASH_SIZE}-byte hash`);
}

/**
 * walkPath runs RFC 9162's walk over proof from node fn of the size-(sn + 1) tree's last level:
 * step(p, left) hashes p in on the left (fn is a right child or the right edge) or on the right;
 * where fn is the right edge's only child the levels without a sibling are skipped. Fails when
 * the proof is longer or shorter than the walk.
 */
function walkPath(fn: number, sn: number, proof: readonly Uint8Array[], what: string, step: (p: Uint8Array, left: boolean) => void): void {
  for (const p of proof) {
    if (sn === 0) fail(`${what} proof too long`);
    const left = isOdd(fn) || fn === sn;
    step(p, left);
    if (left) {
      while (!isOdd(fn) && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) fail(`${what} proof too short`);
}

/**
 * rootFromInclusionProof returns the root of the size-`size` tree implied by leafHash sitting at
 * `index` with this audit path. Throws CairnError BAD_PROOF if index >= size, the proof has the
 * wrong length for (index, size), or any hash is not 32 bytes.
 */
export function rootFromInclusionProof(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[]): Uint8Array {
  if (!isSafeIndex(index) || !isSafeIndex(size)) fail('index and size must be non-negative safe integers');
  if (index >= size) fail(`index ${index} is not below tree size ${size}`);
  checkHashes('leaf hash', [leafHash]);
  checkHashes('inclusion proof', proof);
  let r = leafHash;
  walkPath(index, size - 1, proof, 'inclusion', (p, left) => (r = left ? nodeHash(p, r) : nodeHash(r, p)));
  return r;
}

/**
 * verifyInclusion checks that leafHash is at `index` in the size-`size` tree with this root.
 * Throws CairnError BAD_PROOF on any mismatch or malformed input.
 */
export function verifyInclusion(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): void {
  checkHashes('root', [root]);
  if (!bytesEqual(rootFromInclusionProof(leafHash, index, size, proof), root)) fail('inclusion proof does not lead to the root');
}

/**
 * verifyConsistency checks that the size-m tree with root rootM is a prefix of the size-n tree
 * with root rootN (RFC 9162 §2.1.4.2). m == n needs an empty proof and equal roots; m == 0 needs
 * an empty proof and rootM == EMPTY_ROOT. Throws CairnError BAD_PROOF on any failure.
 */
export function verifyConsistency(m: number, n: number, proof: readonly Uint8Array[], rootM: Uint8Array, rootN: Uint8Array): void {
  if (!isSafeIndex(m) || !isSafeIndex(n)) fail('sizes must be non-negative safe integers');
  if (m > n) fail(`first size ${m} exceeds second size ${n}`);
  checkHashes('roots', [rootM, rootN]);
  checkHashes('consistency proof', proof);
  if (m === 0 && !bytesEqual(rootM, EMPTY_ROOT)) fail('the root of the empty tree is SHA-256("")');
  if (m === n || m === 0) {
    if (proof.length !== 0) fail('consistency proof must be empty');
    if (m === n && !bytesEqual(rootM, rootN)) fail('roots of equal sizes differ');
    return;
  }
  if (proof.length === 0) fail('consistency proof is empty');
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
  walkPath(fn, sn, path.slice(1), 'consistency', (c, left) => {
    if (left) fr = nodeHash(c, fr);
    sr = left ? nodeHash(c, sr) : nodeHash(sr, c);
  });
  if (!bytesEqual(fr, rootM)) fail('consistency proof does not lead to the first root');
  if (!bytesEqual(sr, rootN)) fail('consistency proof does not lead to the second root');
}
