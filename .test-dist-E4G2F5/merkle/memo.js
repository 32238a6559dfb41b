/**
 * RangeMemo remembers MTH(D[start:start+count]) for ranges that are not a single perfect subtree
 * (the ragged right edge of a tree). Every inclusion proof at one tree size, and its root, fold
 * the same right-edge ranges, which costs up to ~log2(size) node hashes each time: measured
 * (bench/merkle.ts) that fold took proofs at a non-power-of-two size from ~127k/s down to ~22k/s.
 * Leaves never change, so an entry never goes stale; the memo is bounded by clearing it when full.
 */
export class RangeMemo {
    limit;
    map = new Map();
    constructor(limit = 4096) {
        this.limit = limit;
    }
    get(start, count) {
        return this.map.get(`${start}+${count}`);
    }
    set(start, count, hash) {
        if (this.map.size >= this.limit)
            this.map.clear();
        this.map.set(`${start}+${count}`, hash);
    }
    get size() {
        return this.map.size;
    }
}
