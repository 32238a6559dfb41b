/**
 * ImmutableCache keeps finished answers that can never change (full tiles and full entry bundles,
 * gzipped or not) in memory, least recently used first out, bounded in bytes. A CDN miss storm for
 * the same tiles then costs neither SQLite reads nor gzip work. maxBytes 0 turns it off.
 */
export class ImmutableCache {
  // Map order is recency order: get re-inserts, so the first key is the least recently used.
  private readonly items = new Map<string, Buffer>();
  private used = 0;

  constructor(
    readonly maxBytes: number,
    private readonly onLookup: (kind: string, hit: boolean) => void = () => {},
  ) {}

  /** bytes is the memory the cached answers hold. */
  get bytes(): number {
    return this.used;
  }

  /** get returns the cached answer for key, or undefined; kind labels the hit or miss in metrics. */
  get(kind: string, key: string): Buffer | undefined {
    const v = this.items.get(key);
    this.onLookup(kind, v !== undefined);
    if (v === undefined) return undefined;
    this.items.delete(key);
    this.items.set(key, v);
    return v;
  }

  /** set caches an answer, dropping the least recently used ones to stay within maxBytes. */
  set(key: string, value: Buffer): void {
    if (value.length > this.maxBytes / 8) return; // no single answer may crowd out the rest
    const old = this.items.get(key);
    if (old) {
      this.used -= old.length;
      this.items.delete(key);
    }
    this.items.set(key, value);
    this.used += value.length;
    for (const [k, v] of this.items) {
      if (this.used <= this.maxBytes) break;
      this.items.delete(k);
      this.used -= v.length;
    }
  }
}
