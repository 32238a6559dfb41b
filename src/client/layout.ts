/**
 * Which tiles and bundles a tree of a given size has, and how wide each is. Shared by the server,
 * the exporter and the clients, so all three agree on what "the tile at this size" means.
 */
import { TILE_WIDTH } from '../merkle/index.js';

/** hashesAtLevel returns how many hashes tile level `level` holds in a tree of `size` leaves: floor(size / 256^level). */
export function hashesAtLevel(size: number, level: number): number {
  // 256^level is a power of two, so the division is exact in floating point for any level.
  return Math.floor(size / TILE_WIDTH ** level);
}

/**
 * tileWidthAt returns the width tile (level, index) has in a tree of `size` leaves: 256 when full,
 * 1..255 when it is the partial right edge, 0 when the tree does not reach it. Entry bundles are
 * level 0.
 */
export function tileWidthAt(size: number, level: number, index: number): number {
  const have = hashesAtLevel(size, level) - index * TILE_WIDTH;
  return have <= 0 ? 0 : Math.min(TILE_WIDTH, have);
}
