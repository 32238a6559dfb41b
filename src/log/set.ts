/**
 * Rekor's signed entry timestamp (SET): the log key's signature over the RFC 8785 canonical JSON
 * of an entry's {body, integratedTime, logID, logIndex} — the LogEntryAnon without verification,
 * as rekor pkg/api/entries.go signEntry marshals and canonicalizes it. Clients check it with the
 * log's public key (sigstore-js verify tlog/set.ts), so it must be byte-exact.
 */
import { canonicalJson } from '../kinds/index.js';
import type { LogKey, PublicKey } from '../note/index.js';

/** EntryTimestampFields are the four signed fields, encoded as Rekor's LogEntry carries them. */
export interface EntryTimestampFields {
  /** Base64 (standard, padded) of the canonical body. */
  body: string;
  /** Unix seconds. */
  integratedTime: number;
  /** Lowercase hex SHA-256 of the log key's SPKI DER. */
  logID: string;
  logIndex: number;
}

// Strings JSON carries as they are (nothing to escape), in one byte a character.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX = /^[0-9a-f]*$/;

/** entryTimestampPayload returns the bytes a SET signs: JCS of the four fields. */
export function entryTimestampPayload(f: EntryTimestampFields): Uint8Array {
  if (!Number.isSafeInteger(f.integratedTime) || !Number.isSafeInteger(f.logIndex)) throw new Error('set: non-integer field');
  if (BASE64.test(f.body) && HEX.test(f.logID)) {
    // The JCS of these four fields, spelled out (keys in order, integers as JSON writes them):
    // signing an upload's SET is on the hot path, and the generic encoder cost more than the hash.
    return Buffer.from(`{"body":"${f.body}","integratedTime":${f.integratedTime},"logID":"${f.logID}","logIndex":${f.logIndex}}`, 'latin1');
  }
  return Buffer.from(canonicalJson({ body: f.body, integratedTime: f.integratedTime, logID: f.logID, logIndex: f.logIndex }), 'utf8');
}

/** signEntryTimestamp returns the SET of an entry: key.sign over the payload (pure Ed25519, or ECDSA over its SHA-256, as Rekor's signer). */
export function signEntryTimestamp(key: LogKey, f: EntryTimestampFields): Uint8Array {
  return key.sign(entryTimestampPayload(f));
}

/** verifyEntryTimestamp reports whether set is a valid SET of the entry by key. */
export function verifyEntryTimestamp(key: PublicKey, f: EntryTimestampFields, set: Uint8Array): boolean {
  return key.verify(entryTimestampPayload(f), set);
}
