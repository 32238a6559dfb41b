import type { Reply } from './reply.js';

/** KeptReply is an answer the cache holds: its body is bytes. */
export type KeptReply = Reply & { body: Buffer };

/**
 * ImmutableCache keeps finished answers that can never change (full tiles and full entry bundles,
 * gzipped or not) in memory, least recently used first out, bounded in bytes of body. A CDN miss
 * storm for the same tiles then costs neither SQLite reads nor gzip work, and the dispatcher
 * writes a kept answer without calling its handler (Route.cached). maxBytes 0 turns it off.
 */
export class ImmutableCache {
  // Map order is recency order: get re-inserts, so the first key is the least recently used.
  private readonly items = new Map<string, KeptReply>();
  private used = 0;

  constructor(
    readonly maxBytes: number,
    private readonly onLookup: (kind: string, hit: boolean) => void = () => {},
  ) {}

  /** bytes is the memory the cached answers' bodies hold. */
  get bytes(): number {
    return this.used;
  }

  /** get returns the cached answer for key, or undefined; kind labels the hit or miss in metrics. */
  get(kind: string, key: string): KeptReply | undefined {
    const v = this.items.get(key);
    this.onLookup(kind, v !== undefined);
    if (v === undefined) return undefined;
    this.items.delete(key);
    this.items.set(key, v);
    return v;
  }

  /**
   * hit returns the cached answer for key counting a hit, or undefined counting nothing: for a
   * look before the handler, which looks again and counts the miss.
   */
  hit(kind: string, key: string): KeptReply | undefined {
    return this.items.has(key) ? this.get(kind, key) : undefined;
  }

  /** set caches an answer, dropping the least recently used ones to stay within maxBytes. */
  set(key: string, value: KeptReply): void {
    if (value.body.length > this.maxBytes / 8) return; // no single answer may crowd out the rest
    const old = this.items.get(key);
    if (old) {
      this.used -= old.body.length;
      this.items.delete(key);
    }
    this.items.set(key, value);
    this.used += value.body.length;
    for (const [k, v] of this.items) {
      if (this.used <= this.maxBytes) break;
      this.items.delete(k);
      this.used -= v.body.length;
    }
  }
}
