/**
 * RangeMemo remembers MTH(D[start:start+count]) for ranges that are not a single perfect subtree
 * (the ragged right edge of a tree). Every inclusion proof at one tree size, and its root, fold
 * the same right-edge ranges, which costs up to ~log2(size) node hashes each time: measured
 * (bench/merkle.ts) that fold took proofs at a non-power-of-two size from ~127k/s down to ~22k/s.
 * Leaves never change, so an entry never goes stale; the memo is bounded by clearing it when full.
 */
export class RangeMemo {
  private readonly map = new Map<string, Uint8Array>();

  constructor(private readonly limit = 4096) {}

  get(start: number, count: number): Uint8Array | undefined {
    return this.map.get(`${start}+${count}`);
  }

  set(start: number, count: number, hash: Uint8Array): void {
    if (this.map.size >= this.limit) this.map.clear();
    this.map.set(`${start}+${count}`, hash);
  }

  get size(): number {
    return this.map.size;
  }
}
