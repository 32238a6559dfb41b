/**
 * CompactRange is the right edge of a tree of `size` leaves: the hashes of its rootNodes(size),
 * which is all an appender needs to extend the tree and compute each new root. A test-only second
 * way to compute roots (the server builds tiles instead): test/merkle/integrate.test.ts checks the
 * roots of integrate's tiles against it, as Tessera's TestIntegrate does.
 */
import { EMPTY_ROOT, HASH_SIZE, bits, nodeHash, rootNodes, type NodeId, type ReadNodes } from '../../src/merkle/index.js';

const { countOnes, isSafeIndex, trailingZeros } = bits;

/** CompactRange holds the perfect-subtree hashes of leaves [0, size), largest first. */
export class CompactRange {
  private sizeNow: number;
  private readonly edge: Uint8Array[];

  /**
   * The constructor takes a size and the hashes of rootNodes(size) in order (see fromReader).
   * It throws (a bug) if their number or length does not fit.
   */
  constructor(size = 0, hashes: readonly Uint8Array[] = []) {
    if (!isSafeIndex(size) || hashes.length !== countOnes(size) || hashes.some((h) => h.length !== HASH_SIZE)) {
      throw new Error(`merkle: ${hashes.length} hashes do not make a compact range of size ${size}`);
    }
    this.sizeNow = size;
    this.edge = [...hashes];
  }

  /** fromReader returns the compact range of a stored tree of `size` leaves, with one read. */
  static fromReader(size: number, read: ReadNodes): CompactRange {
    const nodes = rootNodes(size);
    return new CompactRange(size, nodes.length === 0 ? [] : read(nodes));
  }

  /** size returns the number of leaves covered. */
  get size(): number {
    return this.sizeNow;
  }

  /** hashes returns a copy of the rootNodes(size) hashes, largest subtree first. */
  get hashes(): Uint8Array[] {
    return [...this.edge];
  }

  /**
   * append adds one leaf hash. If visit is given it is called with every node that becomes
   * complete: the leaf itself, then each parent it completes, lowest first.
   */
  append(leafHash: Uint8Array, visit?: (node: NodeId, hash: Uint8Array) => void): void {
    if (leafHash.length !== HASH_SIZE) throw new Error(`merkle: leaf hash of ${leafHash.length} bytes`);
    const size = this.sizeNow + 1;
    let h = leafHash;
    visit?.({ level: 0, index: size - 1 }, h);
    // The new leaf completes one parent per trailing zero bit of the new size.
    const merges = trailingZeros(size);
    for (let level = 1; level <= merges; level++) {
      h = nodeHash(this.edge.pop()!, h);
      visit?.({ level, index: size / 2 ** level - 1 }, h);
    }
    this.edge.push(h);
    this.sizeNow = size;
  }

  /** root returns MTH of leaves [0, size): the right-to-left fold of the edge, EMPTY_ROOT for 0. */
  root(): Uint8Array {
    if (this.edge.length === 0) return EMPTY_ROOT.slice();
    let h = this.edge[this.edge.length - 1];
    for (let i = this.edge.length - 2; i >= 0; i--) h = nodeHash(this.edge[i], h);
    return h;
  }
}
