import { randomBytes } from 'node:crypto';
/**
 * TailIndex answers "which entry has this leaf hash" and "which entries carry this search key"
 * for the entries index.db has not reached yet (KeyIndex's tail: a contiguous run of log indexes
 * that grows at the end as batches are taken and shrinks at the front as index.db catches up).
 *
 * Why typed arrays and not Maps: every submission is looked up and added here on the event loop.
 * The Map per index it replaces built a string per leaf and an array per key, and its tables and
 * strings were what each young-generation GC had to copy; here leaf hashes and chain links sit
 * in flat typed arrays (bench/tail-index.ts: 1.9 against 3.3 µs an entry in isolation, more in
 * bench/append.ts where the GC work shows).
 *
 * Both indexes are hash chains: heads[bucket] is the newest item in that bucket, next[item] the
 * one before it. Items are numbered in the order added, so a chain runs newest to oldest and a
 * walk stops at the first item that has been dropped from the front. Dropped items are
 * reclaimed by a rebuild once they outnumber the live ones.
 */
export class TailIndex {
    seed;
    /** Log index of the entry at slot 0 of the arrays below (the first live one is `first`). */
    base;
    /** Slots [start, end) hold live entries. */
    start = 0;
    end = 0;
    hashes = new Uint8Array(0);
    leafNext = new Int32Array(0);
    leafHeads = new Int32Array(0);
    /** Per entry slot: its search keys (compared exactly on a search) and its first key item. */
    keyLists = [];
    firstKey = new Int32Array(0);
    /** Key items [keyStart, keyEnd): one per (entry, key), with the key's 32-bit hash. */
    keyStart = 0;
    keyEnd = 0;
    keyEntry = new Int32Array(0);
    keyHash = new Int32Array(0);
    keyNext = new Int32Array(0);
    keyHeads = new Int32Array(0);
    /**
     * @param first log index of the first entry to be added
     * @param seed of the key hash; random by default, so nobody can pick keys that all land in
     *   one chain (tests fix it to make keys collide)
     */
    constructor(first, seed = randomBytes(4).readInt32LE(0)) {
        this.seed = seed;
        this.base = first;
        this.rebuild(0, 0);
    }
    /** first is the log index of the oldest entry held. */
    get first() {
        return this.base + this.start;
    }
    /** size is the number of entries held. */
    get size() {
        return this.end - this.start;
    }
    /** add appends the entry with log index first + size. */
    add(leafHash, keys) {
        if (this.end === this.firstKey.length || this.keyEnd + keys.length > this.keyEntry.length) {
            this.rebuild(this.size + 1, this.keyEnd - this.keyStart + keys.length);
        }
        const slot = this.end++;
        this.hashes.set(leafHash, slot * 32);
        const b = word0(leafHash, 0) & (this.leafHeads.length - 1);
        this.leafNext[slot] = this.leafHeads[b];
        this.leafHeads[b] = slot;
        this.keyLists[slot] = keys;
        this.firstKey[slot] = this.keyEnd;
        for (const k of keys)
            this.linkKey(slot, this.hash(k));
    }
    /** leafIndex returns the log index of the held entry with this leaf hash. */
    leafIndex(leafHash) {
        const h = this.hashes;
        for (let s = this.leafHeads[word0(leafHash, 0) & (this.leafHeads.length - 1)]; s >= this.start; s = this.leafNext[s]) {
            const at = s * 32;
            let i = 0;
            while (i < 32 && h[at + i] === leafHash[i])
                i++;
            if (i === 32)
                return this.base + s;
        }
        return undefined;
    }
    /** search returns the log indexes below `below` of held entries carrying key, ascending. */
    search(key, below) {
        const h = this.hash(key);
        const out = [];
        for (let k = this.keyHeads[h & (this.keyHeads.length - 1)]; k >= this.keyStart; k = this.keyNext[k]) {
            if (this.keyHash[k] !== h)
                continue;
            const slot = this.keyEntry[k];
            const index = this.base + slot;
            // Newest first; an entry listing a key twice is reported once.
            if (index < below && out[out.length - 1] !== index && this.keyLists[slot].includes(key))
                out.push(index);
        }
        return out.reverse();
    }
    /** truncate drops the entries with log index >= size (their transaction failed). */
    truncate(size) {
        const endSlot = Math.max(this.start, size - this.base);
        while (this.end > endSlot) {
            const slot = --this.end;
            const b = word0(this.hashes, slot * 32) & (this.leafHeads.length - 1);
            this.leafHeads[b] = this.leafNext[slot];
            while (this.keyEnd > this.firstKey[slot]) {
                const k = --this.keyEnd;
                this.keyHeads[this.keyHash[k] & (this.keyHeads.length - 1)] = this.keyNext[k];
            }
            this.keyLists[slot] = EMPTY;
        }
    }
    /** dropBelow drops the entries with log index < to (index.db holds them now). */
    dropBelow(to) {
        const slot = Math.min(this.end, Math.max(this.start, to - this.base));
        for (let s = this.start; s < slot; s++)
            this.keyLists[s] = EMPTY;
        this.start = slot;
        this.keyStart = slot < this.end ? this.firstKey[slot] : this.keyEnd;
        // Reclaim once the dropped outnumber the live: each entry is moved O(1) times on average.
        if (this.start > 1024 && this.start > this.size)
            this.rebuild(this.size, this.keyEnd - this.keyStart);
    }
    linkKey(slot, h) {
        const k = this.keyEnd++;
        const b = h & (this.keyHeads.length - 1);
        this.keyEntry[k] = slot;
        this.keyHash[k] = h;
        this.keyNext[k] = this.keyHeads[b];
        this.keyHeads[b] = k;
    }
    /** rebuild moves the live entries to slot 0 of arrays with room for twice what is needed, and relinks the chains. */
    rebuild(entries, keyItems) {
        const cap = Math.max(1024, pow2AtLeast(2 * entries));
        const keyCap = Math.max(1024, pow2AtLeast(2 * keyItems));
        const live = this.size;
        const old = { keyHash: this.keyHash, keyEnd: this.keyEnd, firstKey: this.firstKey, start: this.start };
        const hashes = new Uint8Array(cap * 32);
        hashes.set(this.hashes.subarray(this.start * 32, this.end * 32));
        const lists = this.keyLists.slice(this.start, this.end);
        this.base += this.start;
        this.hashes = hashes;
        this.keyLists = lists;
        this.leafNext = new Int32Array(cap);
        this.leafHeads = new Int32Array(cap).fill(-1);
        this.firstKey = new Int32Array(cap);
        this.keyEntry = new Int32Array(keyCap);
        this.keyHash = new Int32Array(keyCap);
        this.keyNext = new Int32Array(keyCap);
        this.keyHeads = new Int32Array(keyCap).fill(-1);
        this.start = this.end = this.keyStart = this.keyEnd = 0;
        for (let slot = 0; slot < live; slot++) {
            this.end++;
            const b = word0(hashes, slot * 32) & (cap - 1);
            this.leafNext[slot] = this.leafHeads[b];
            this.leafHeads[b] = slot;
            this.firstKey[slot] = this.keyEnd;
            const from = old.firstKey[old.start + slot];
            const to = slot + 1 < live ? old.firstKey[old.start + slot + 1] : old.keyEnd;
            for (let k = from; k < to; k++)
                this.linkKey(slot, old.keyHash[k]);
        }
    }
    hash(key) {
        return keyHash(this.seed, key);
    }
}
/**
 * keyHash is a seeded 32-bit hash of the key's UTF-16 code units, as a signed integer: MurmurHash3's
 * block mixing over two code units at a time, and its finalizer. Why not FNV-1a a unit at a
 * time (what it replaces): half the rounds for the same keys, each reading every unit, so the
 * random seed still decides every bucket.
 */
export function keyHash(seed, key) {
    const n = key.length;
    let h = seed ^ n;
    let i = 0;
    for (; i + 1 < n; i += 2) {
        let k = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16);
        k = Math.imul(k, 0xcc9e2d51);
        k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
        h ^= k;
        h = (h << 13) | (h >>> 19);
        h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    if (i < n) {
        const k = Math.imul(key.charCodeAt(i), 0xcc9e2d51);
        h ^= Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
}
const EMPTY = [];
/** word0 is the first 32 bits of a leaf hash: SHA-256 output, so already uniformly spread. */
function word0(h, at) {
    return h[at] | (h[at + 1] << 8) | (h[at + 2] << 16) | (h[at + 3] << 24);
}
function pow2AtLeast(n) {
    let p = 1;
    while (p < n)
        p *= 2;
    return p;
}
