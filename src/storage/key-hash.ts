/**
 * The search-key hash index.db stores instead of each key's text (schema/index/003-index.sql): a
 * 53-bit salted hash of the key, a JavaScript number (no BigInt) and a 7-byte SQLite INTEGER.
 * Not cryptographic on purpose: the index worker hashes every key of every entry, and SHA-256 there
 * cost ~7 µs an entry of its CPU and a third of append/s with 3 keys (bench/append.ts). Hits are
 * re-checked against the entry's stored keys, so a collision, chosen or not, costs a lookup and is
 * never an answer; the per-index.db secret salt keeps collisions from being chosen in advance.
 */
export function keyHash(salt: Uint8Array, key: string): number {
  let a = (salt[0] | (salt[1] << 8) | (salt[2] << 16) | (salt[3] << 24)) ^ 0x811c9dc5;
  let b = (salt[4] | (salt[5] << 8) | (salt[6] << 16) | (salt[7] << 24)) ^ 0x2545f491;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  // Final mixing, so that keys differing only at their end differ in every output bit.
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35) ^ b;
  b = Math.imul(b ^ (b >>> 16), 0x7feb352d) ^ (a >>> 7);
  return (b >>> 11) * 0x100000000 + (a >>> 0);
}
