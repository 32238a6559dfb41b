/** Shared fixtures for the merkle tests: hex helpers and in-memory ReadNodes fakes. */
import { expect } from 'vitest';
import { nodeHash, type NodeId, type ReadNodes } from '../../src/merkle/index.js';
import { refNodeHash, refSplit, ReferenceTree } from './reference.js';

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** sameHashes reports whether two hash lists are byte-for-byte equal. */
export function sameHashes(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((h, i) => Buffer.compare(h, b[i]) === 0);
}

/**
 * CountingReader wraps a node source as a ReadNodes that records its calls and checks, like a
 * real store would, that every requested node is perfect and complete in a tree of `bound`
 * leaves (the size the operation is about). Use once() to assert one batched call.
 */
export class CountingReader {
  calls = 0;
  bound = Number.MAX_SAFE_INTEGER;

  constructor(private readonly node: (n: NodeId) => Uint8Array) {}

  readonly read: ReadNodes = (nodes) => {
    this.calls++;
    return nodes.map((n) => {
      if (!Number.isSafeInteger(n.level) || !Number.isSafeInteger(n.index) || n.level < 0 || n.index < 0) {
        throw new Error(`bad node ${n.level}/${n.index}`);
      }
      if ((n.index + 1) * 2 ** n.level > this.bound) throw new Error(`node ${n.level}/${n.index} beyond size ${this.bound}`);
      return this.node(n);
    });
  };

  /** within sets the size bound and resets the call count. */
  within(bound: number): ReadNodes {
    this.bound = bound;
    this.calls = 0;
    return this.read;
  }

  /** expectCalls asserts how many ReadNodes calls happened since within(). */
  expectCalls(n: number): void {
    expect(this.calls).toBe(n);
  }
}

/** refReader serves perfect nodes from a ReferenceTree (MTH of the node's leaf range). */
export function refReader(ref: ReferenceTree): CountingReader {
  return new CountingReader((n) => ref.mth(n.index * 2 ** n.level, (n.index + 1) * 2 ** n.level));
}

/**
 * LazyTree is a tree of up to `capacity` (a power of two) synthetic leaves whose perfect nodes
 * are computed on first use and kept in one flat buffer per level, so random proofs on trees of
 * ~2^20 leaves cost at most ~2^20 hashes in total and no per-node objects.
 */
export class LazyTree {
  private readonly bufs: Uint8Array[] = [];
  private readonly done: Uint8Array[] = [];

  constructor(readonly capacity: number) {
    for (let w = capacity; w >= 1; w /= 2) {
      this.bufs.push(new Uint8Array(w * 32));
      this.done.push(new Uint8Array(w));
    }
  }

  /** leaf returns the synthetic leaf hash of leaf i: a cheap deterministic fill, not a SHA-256. */
  static leaf(i: number): Uint8Array {
    const h = new Uint8Array(32);
    let x = (i + 0x9e3779b9) >>> 0; // test data only: i < 2^32
    for (let j = 0; j < 32; j++) {
      x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
      x = (x ^ (x >>> 12)) >>> 0;
      h[j] = x & 0xff;
    }
    return h;
  }

  /** node returns the hash of perfect node (level, index). */
  node(level: number, index: number): Uint8Array {
    const buf = this.bufs[level];
    if (!this.done[level][index]) {
      // Built with the implementation's nodeHash for speed (hash.test.ts checks it against the
      // reference); mth() below, which the tests compare against, splits ranges the RFC way.
      const h = level === 0 ? LazyTree.leaf(index) : nodeHash(this.node(level - 1, 2 * index), this.node(level - 1, 2 * index + 1));
      buf.set(h, index * 32);
      this.done[level][index] = 1;
    }
    return buf.subarray(index * 32, index * 32 + 32);
  }

  /** mth returns MTH(D[lo:hi]) by the RFC 6962 split, using perfect nodes where aligned. */
  mth(lo: number, hi: number): Uint8Array {
    const n = hi - lo;
    if (n > 0 && (n & (n - 1)) === 0 && lo % n === 0) return this.node(Math.log2(n), lo / n);
    const k = refSplit(n);
    return refNodeHash(this.mth(lo, lo + k), this.mth(lo + k, hi));
  }

  reader(): CountingReader {
    return new CountingReader((n) => this.node(n.level, n.index));
  }
}
