/**
 * A second, independent tlog-tiles reader for tests, written from shared/specs/tlog-tiles.md and
 * RFC 6962 §2.1 alone: it shares no code with src/merkle or src/client. (No JS tlog-tiles client
 * exists on npm to test against; a search found only Go and Rust ones.)
 *
 *  - paths: tile/<L>/<N>[.p/<W>], N as zero-padded 3-digit elements, all but the last "x"-prefixed
 *  - level-l tile n holds MTH(D[(n*256+i)*256^l : (n*256+i+1)*256^l]) for i = 0..width-1
 *  - the partial tile at level l of a size-s tree has floor(s/256^l) mod 256 hashes
 *  - bundles are big-endian uint16 length-prefixed entries
 */
import { createHash } from 'node:crypto';

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export const specLeafHash = (entry: Uint8Array): Uint8Array => sha256(Uint8Array.of(0), entry);

/** specIndex encodes N per the spec: 1234067 → x001/x234/067. */
export function specIndex(n: number): string {
  const groups: string[] = [];
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? 'x' + g : g)).join('/');
}

/** specTilePath names tile n of level l (or the entry bundle n when l is 'entries') with width w. */
export function specTilePath(l: number | 'entries', n: number, w = 256): string {
  return `tile/${l}/${specIndex(n)}${w === 256 ? '' : `.p/${w}`}`;
}

/** specWidth is the width of tile n at level l in a tree of size s (0: the tree has no such tile). */
export function specWidth(s: number, l: number, n: number): number {
  const count = Math.floor(s / 256 ** l);
  if ((n + 1) * 256 <= count) return 256;
  return n === Math.floor(count / 256) ? count % 256 : 0;
}

/** specBundle splits a bundle into entries. */
export function specBundle(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; ) {
    const len = data[at] * 256 + data[at + 1];
    out.push(data.subarray(at + 2, at + 2 + len));
    at += 2 + len;
  }
  return out;
}

/**
 * SpecReader computes MTH(D[lo:hi]) of a size-s tree from served tiles: RFC 6962's recursion,
 * cut short wherever the range is exactly one tile hash (aligned, 256^l leaves).
 */
export class SpecReader {
  private readonly tiles = new Map<string, Promise<Uint8Array>>();
  fetched = 0;

  constructor(private readonly fetchPath: (path: string) => Promise<Uint8Array>, readonly size: number) {}

  private tile(l: number, n: number): Promise<Uint8Array> {
    const w = specWidth(this.size, l, n);
    if (w === 0) throw new Error(`tree of size ${this.size} has no tile ${l}/${n}`);
    const path = specTilePath(l, n, w);
    let t = this.tiles.get(path);
    if (!t) {
      this.fetched++;
      t = this.fetchPath(path).then((b) => {
        if (b.length !== w * 32) throw new Error(`${path}: ${b.length} bytes, want ${w * 32}`);
        return b;
      });
      this.tiles.set(path, t);
    }
    return t;
  }

  /** levelHash returns MTH(D[i*256^l : (i+1)*256^l]). */
  async levelHash(l: number, i: number): Promise<Uint8Array> {
    const t = await this.tile(l, Math.floor(i / 256));
    const at = (i % 256) * 32;
    return t.subarray(at, at + 32);
  }

  async mth(lo: number, hi: number): Promise<Uint8Array> {
    const n = hi - lo;
    if (n === 0) return sha256();
    for (let l = 0; 256 ** l <= n; l++) if (256 ** l === n && lo % n === 0) return this.levelHash(l, lo / n);
    let k = 1;
    while (k * 2 < n) k *= 2;
    const [a, b] = await Promise.all([this.mth(lo, lo + k), this.mth(lo + k, hi)]);
    return sha256(Uint8Array.of(1), a, b);
  }

  root(): Promise<Uint8Array> {
    return this.mth(0, this.size);
  }
}
