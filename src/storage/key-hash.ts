/**
 * The 8-byte search-key hash index.db stores instead of each key's text (schema/index/002-index.sql):
 * the first 8 bytes of SHA-256(salt || key), as a signed 64-bit SQLite INTEGER. Hits are re-checked
 * against the entry's stored keys, so this only has to be cheap and hard to collide on purpose.
 */
import { createHash } from 'node:crypto';

export function keyHash(salt: Uint8Array, key: string): bigint {
  return createHash('sha256').update(salt).update(key).digest().readBigInt64BE(0);
}
