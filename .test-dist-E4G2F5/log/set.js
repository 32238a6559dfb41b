/**
 * Rekor's signed entry timestamp (SET): the log key's signature over the RFC 8785 canonical JSON
 * of an entry's {body, integratedTime, logID, logIndex} — the LogEntryAnon without verification,
 * as rekor pkg/api/entries.go signEntry marshals and canonicalizes it. Clients check it with the
 * log's public key (sigstore-js verify tlog/set.ts), so it must be byte-exact.
 */
import { canonicalJson } from '../kinds/index.js';
/** entryTimestampPayload returns the bytes a SET signs: JCS of the four fields. */
export function entryTimestampPayload(f) {
    if (!Number.isSafeInteger(f.integratedTime) || !Number.isSafeInteger(f.logIndex))
        throw new Error('set: non-integer field');
    return Buffer.from(canonicalJson({ body: f.body, integratedTime: f.integratedTime, logID: f.logID, logIndex: f.logIndex }), 'utf8');
}
/** signEntryTimestamp returns the SET of an entry: key.sign over the payload (pure Ed25519, or ECDSA over its SHA-256, as Rekor's signer). */
export function signEntryTimestamp(key, f) {
    return key.sign(entryTimestampPayload(f));
}
/** verifyEntryTimestamp reports whether set is a valid SET of the entry by key. */
export function verifyEntryTimestamp(key, f, set) {
    return key.verify(entryTimestampPayload(f), set);
}
