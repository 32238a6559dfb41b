/**
 * RFC 9162 Merkle tree verification for the browser: leaf and node hashes, and the proof
 * verification algorithms of §2.1.3.2 (inclusion) and §2.1.4.2 (consistency). Indexes are plain
 * numbers; halving is Math.floor(x / 2), never `>>`, so trees past 2^31 work.
 */
import { equal, sha256 } from './bytes.js';

/** leafHash returns SHA-256(0x00 || data) (RFC 9162 §2.1.1). */
export function leafHash(data: Uint8Array): Promise<Uint8Array> {
  return sha256(Uint8Array.of(0x00), data);
}

/** nodeHash returns SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(Uint8Array.of(0x01), left, right);
}

const odd = (x: number) => x % 2 === 1;
const half = (x: number) => Math.floor(x / 2);

function isPowerOfTwo(n: number): boolean {
  while (n > 1 && n % 2 === 0) n /= 2;
  return n === 1;
}

/** rootFromInclusionProof returns the root a proof leads to from leaf at index in a tree of size, or a reason it cannot. */
export async function rootFromInclusionProof(index: number, size: number, leaf: Uint8Array, proof: Uint8Array[]): Promise<Uint8Array | string> {
  if (!(index >= 0 && index < size)) return `log index ${index} is outside a tree of size ${size}`;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return 'the proof has more hashes than the tree has levels';
    if (odd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      while (!odd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      r = await nodeHash(r, p);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  if (sn !== 0) return 'the proof has fewer hashes than the tree has levels';
  return r;
}

/** verifyConsistency returns undefined if proof shows the tree (size1, root1) is a prefix of (size2, root2), else the reason. */
export async function verifyConsistency(size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, proof: Uint8Array[]): Promise<string | undefined> {
  if (size1 > size2) return `the first tree (${size1}) is larger than the second (${size2})`;
  if (size1 === size2) {
    if (proof.length !== 0) return 'a proof between equal sizes must be empty';
    return equal(root1, root2) ? undefined : `two different roots for tree size ${size1}`;
  }
  if (size1 === 0) return proof.length === 0 ? undefined : 'a proof from the empty tree must be empty';
  if (proof.length === 0) return 'the proof is empty';
  let path = proof;
  // size1 a power of two: its root is a node of the second tree, and the proof omits it.
  if (isPowerOfTwo(size1)) path = [root1, ...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) [fn, sn] = [half(fn), half(sn)];
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return 'the proof is too long';
    if (odd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (!odd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      sr = await nodeHash(sr, c);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  if (sn !== 0) return 'the proof is too short';
  if (!equal(fr, root1)) return 'the proof does not lead to the first root';
  if (!equal(sr, root2)) return 'the proof does not lead to the second root';
  return undefined;
}
