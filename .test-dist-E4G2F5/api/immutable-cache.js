/**
 * ImmutableCache keeps finished answers that can never change (full tiles and full entry bundles,
 * gzipped or not) in memory, least recently used first out, bounded in bytes. A CDN miss storm for
 * the same tiles then costs neither SQLite reads nor gzip work. maxBytes 0 turns it off.
 */
export class ImmutableCache {
    maxBytes;
    onLookup;
    // Map order is recency order: get re-inserts, so the first key is the least recently used.
    items = new Map();
    used = 0;
    constructor(maxBytes, onLookup = () => { }) {
        this.maxBytes = maxBytes;
        this.onLookup = onLookup;
    }
    /** bytes is the memory the cached answers hold. */
    get bytes() {
        return this.used;
    }
    /** get returns the cached answer for key, or undefined; kind labels the hit or miss in metrics. */
    get(kind, key) {
        const v = this.items.get(key);
        this.onLookup(kind, v !== undefined);
        if (v === undefined)
            return undefined;
        this.items.delete(key);
        this.items.set(key, v);
        return v;
    }
    /** set caches an answer, dropping the least recently used ones to stay within maxBytes. */
    set(key, value) {
        if (value.length > this.maxBytes / 8)
            return; // no single answer may crowd out the rest
        const old = this.items.get(key);
        if (old) {
            this.used -= old.length;
            this.items.delete(key);
        }
        this.items.set(key, value);
        this.used += value.length;
        for (const [k, v] of this.items) {
            if (this.used <= this.maxBytes)
                break;
            this.items.delete(k);
            this.used -= v.length;
        }
    }
}
