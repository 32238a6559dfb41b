/**
 * What the sequencer reads from storage for a batch before its synchronous build step (the one
 * async step of sequencing, over an async driver): each leaf's stored index, for dedup, and the
 * right-edge tiles of the tree the batch extends. The build step then stages, hashes, signs and
 * hands the batch to the driver without waiting on anything.
 */
import { ExpandedTile, TILE_WIDTH, bytesEqual } from '../merkle/index.js';
import type { LogStorage } from '../storage/index.js';
import { all, andThen, isPromise, type Awaitable } from './awaitable.js';
import { tileKey, type TileCache, type TileKey } from './tile-cache.js';

/**
 * Prepared is what a batch needs from storage before its build step: each leaf's stored index
 * (dedup), and the right-edge tiles of the tree it extends (which it grows and whose nodes its
 * root and proofs read). With SQLite it is all there in the same tick.
 */
export interface Prepared {
  lookups: (number | undefined)[];
  edges: Map<TileKey, ExpandedTile>;
  /** The tip size and failure count it was prepared at: a batch failing meanwhile voids it. */
  size: number;
  failures: number;
}

/**
 * prepareBatch looks up every leaf hash (leaves of batches in flight are staged, so the lookups
 * see them too) and reads the edge tiles of a tree of size leaves, the newest version of each:
 * from pending (batches in flight), else the cache or the driver.
 */
export function prepareBatch(
  storage: LogStorage,
  tiles: TileCache<boolean>,
  pending: ReadonlyMap<TileKey, ExpandedTile>,
  hashes: readonly Uint8Array[],
  size: number,
  failures: number,
): Awaitable<Prepared> {
  const lookups = all(hashes.map((h) => storage.leafIndex(h)));
  const keys: TileKey[] = [];
  const edge: Awaitable<ExpandedTile | undefined>[] = [];
  for (let level = 0, n = size; n > 0; level++, n = Math.floor(n / TILE_WIDTH)) {
    if (n % TILE_WIDTH === 0) continue; // no partial tile at this level
    const index = Math.floor(n / TILE_WIDTH);
    const k = tileKey(level, index);
    keys.push(k);
    edge.push(pending.get(k) ?? tiles.edge(level, index));
  }
  // Read together: the tiles are awaited after the lookups, so if those fail first (a cut
  // connection fails both) the tiles' failure must already be handled, or it ends the process.
  const edgeTiles = all(edge);
  if (isPromise(edgeTiles)) edgeTiles.then(undefined, () => {});
  return andThen(lookups, (l) =>
    andThen(edgeTiles, (ts) => {
      const edges = new Map<TileKey, ExpandedTile>();
      ts.forEach((t, i) => t && edges.set(keys[i], t));
      return { lookups: l, edges, size, failures };
    }),
  );
}

/**
 * BatchLeaves finds a leaf that came earlier in the same batch: keyed by its first four bytes
 * (a number, so no string is built per leaf), checked in full on a hit.
 */
export class BatchLeaves {
  private readonly first = new Map<number, number>();
  private readonly all: { hash: Uint8Array; index: number }[] = [];

  add(hash: Uint8Array, index: number): void {
    const k = prefix(hash);
    if (!this.first.has(k)) this.first.set(k, this.all.length);
    this.all.push({ hash, index });
  }

  /** find returns the index of an earlier leaf with this hash, if any. */
  find(hash: Uint8Array): number | undefined {
    const at = this.first.get(prefix(hash));
    if (at === undefined) return undefined;
    if (bytesEqual(this.all[at].hash, hash)) return this.all[at].index;
    // Four equal bytes of different leaves: rare enough to look through the whole batch.
    return this.all.find((l) => bytesEqual(l.hash, hash))?.index;
  }
}

function prefix(h: Uint8Array): number {
  return ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
}
