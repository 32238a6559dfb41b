/**
 * A reference Merkle tree written straight from the recursive definitions of RFC 6962 §2.1:
 * MTH (§2.1), PATH (§2.1.1) and PROOF/SUBPROOF (§2.1.2), over an array of leaf data. It hashes
 * with node:crypto directly (not src/merkle/hash.ts) so that it checks the hashing too. Clarity
 * over speed, except for an MTH memo so exhaustive tests stay fast.
 */
import { createHash } from 'node:crypto';

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** refLeafHash is MTH({d}) = SHA-256(0x00 || d). */
export function refLeafHash(d: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(0), d);
}

/** refNodeHash is SHA-256(0x01 || left || right). */
export function refNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(1), left, right);
}

/** refSplit is k, the largest power of two smaller than n (n > 1). */
export function refSplit(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** ReferenceTree is a growing list of leaves with the RFC's MTH, PATH and PROOF over any prefix. */
export class ReferenceTree {
  readonly leafHashes: Uint8Array[] = [];
  private readonly memo = new Map<string, Uint8Array>();

  /** push appends a leaf by its data. */
  push(data: Uint8Array): void {
    this.leafHashes.push(refLeafHash(data));
  }

  /** pushHash appends a leaf by its leaf hash. */
  pushHash(h: Uint8Array): void {
    this.leafHashes.push(h);
  }

  get size(): number {
    return this.leafHashes.length;
  }

  /** mth is MTH(D[lo:hi]). */
  mth(lo: number, hi: number): Uint8Array {
    const n = hi - lo;
    if (n < 0 || hi > this.leafHashes.length) throw new Error(`reference: bad range ${lo}..${hi}`);
    if (n === 0) return sha256(); // MTH({}) = SHA-256()
    if (n === 1) return this.leafHashes[lo]; // MTH({d(0)}) = SHA-256(0x00 || d(0))
    const key = `${lo},${hi}`;
    let h = this.memo.get(key);
    if (!h) {
      const k = refSplit(n);
      h = refNodeHash(this.mth(lo, lo + k), this.mth(lo + k, hi)); // SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
      this.memo.set(key, h);
    }
    return h;
  }

  /** path is PATH(m, D[lo:hi]) (RFC 6962 §2.1.1). */
  path(m: number, lo: number, hi: number): Uint8Array[] {
    const n = hi - lo;
    if (n === 1) return []; // PATH(0, {d(0)}) = {}
    const k = refSplit(n);
    if (m < k) return [...this.path(m, lo, lo + k), this.mth(lo + k, hi)];
    return [...this.path(m - k, lo + k, hi), this.mth(lo, lo + k)];
  }

  /** inclusion is PATH(m, D[0:n]). */
  inclusion(m: number, n: number): Uint8Array[] {
    return this.path(m, 0, n);
  }

  /** subproof is SUBPROOF(m, D[lo:hi], b) (RFC 6962 §2.1.2). */
  subproof(m: number, lo: number, hi: number, b: boolean): Uint8Array[] {
    const n = hi - lo;
    if (m === n) return b ? [] : [this.mth(lo, hi)];
    const k = refSplit(n);
    if (m <= k) return [...this.subproof(m, lo, lo + k, b), this.mth(lo + k, hi)];
    return [...this.subproof(m - k, lo + k, hi, false), this.mth(lo, lo + k)];
  }

  /** consistency is PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true), and {} for m = 0. */
  consistency(m: number, n: number): Uint8Array[] {
    if (m === 0) return [];
    return this.subproof(m, 0, n, true);
  }
}

/** A leaf range [start, end) as bigints, for planning checks far beyond 2^32. */
export type BigRange = [bigint, bigint];

function bigSplit(n: bigint): bigint {
  let k = 1n;
  while (k * 2n < n) k *= 2n;
  return k;
}

/** refInclusionRanges is the leaf range of each PATH(m, D[0:n]) element, leaf side first, in bigint. */
export function refInclusionRanges(m: bigint, n: bigint, lo = 0n): BigRange[] {
  if (n === 1n) return [];
  const k = bigSplit(n);
  if (m < k) return [...refInclusionRanges(m, k, lo), [lo + k, lo + n]];
  return [...refInclusionRanges(m - k, n - k, lo + k), [lo, lo + k]];
}

/** refConsistencyRanges is the leaf range of each PROOF(m, D[0:n]) element, in bigint. */
export function refConsistencyRanges(m: bigint, n: bigint, lo = 0n, b = true): BigRange[] {
  if (m === 0n && b) return [];
  if (m === n) return b ? [] : [[lo, lo + n]];
  const k = bigSplit(n);
  if (m <= k) return [...refConsistencyRanges(m, k, lo, b), [lo + k, lo + n]];
  return [...refConsistencyRanges(m - k, n - k, lo + k, false), [lo, lo + k]];
}
