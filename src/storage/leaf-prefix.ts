/**
 * index.db keys each leaf by the first 6 bytes of its hash instead of all 32 (issue 16, "store
 * less": 45 → ~17.5 B an entry at 1M entries), read as a big-endian signed 48-bit integer, which
 * SQLite stores in exactly 6 bytes (its integer serial types go 4, 6, 8 bytes). A prefix names
 * candidates only: each is re-checked against the full leaf hash in cairn.db, so a shared prefix
 * costs a lookup, never a wrong answer. At 10^9 leaves a random prefix is shared with probability
 * ~10^9 / 2^48 ≈ 4·10^-6.
 */
export const LEAF_PREFIX_BYTES = 6;

/** leafPrefix returns the first 6 bytes of a leaf hash as a signed 48-bit integer. */
export function leafPrefix(leafHash: Uint8Array): number {
  const h = leafHash;
  const hi = ((h[0] << 8) | h[1]) - (h[0] >= 0x80 ? 0x10000 : 0);
  return hi * 0x100000000 + (((h[2] << 24) | (h[3] << 16) | (h[4] << 8) | h[5]) >>> 0);
}
