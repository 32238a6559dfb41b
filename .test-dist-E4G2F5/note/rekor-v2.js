/**
 * How Rekor v2 (rekor-tiles pkg/note) names a log's key: the full 32-byte hash whose first four
 * bytes key its checkpoint signatures, which is also the logId.keyId of its entries and of its
 * TransparencyLogInstance in a sigstore TrustedRoot.
 */
import { SIG_TYPE_ED25519 } from './keys.js';
import { sha256, utf8 } from './encoding.js';
/**
 * rekorV2LogId returns SHA-256(origin || 0x0A || 0x01 || key) for an Ed25519 key (the C2SP
 * signed-note key hash, untruncated), and SHA-256(SPKI DER) for ECDSA keys, which rekor-tiles
 * keys the way Rekor v1 does because signed-note defines no ECDSA type.
 */
export function rekorV2LogId(origin, key) {
    if (key.type === 'ed25519')
        return sha256(utf8(origin), Uint8Array.of(0x0a, SIG_TYPE_ED25519), key.rawPublicKey);
    return key.logId;
}
/**
 * rekorV2UsesC2spNote reports whether the log's C2SP note (rather than its Rekor one) is the
 * checkpoint rekor-tiles would sign with this key: true for Ed25519, whose C2SP key ID is
 * rekorV2LogId's prefix; for ECDSA the Rekor note's key hint is.
 */
export function rekorV2UsesC2spNote(key) {
    return key.type === 'ed25519';
}
