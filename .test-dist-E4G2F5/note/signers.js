/**
 * Note signers and verifiers for log keys, in the two key-ID conventions a checkpoint is served in:
 *
 *  - C2SP (c2sp.org/signed-note): Ed25519 is type 0x01 with key ID SHA-256(name || 0x0A || 0x01 ||
 *    pubkey)[:4]; ECDSA is type 0x02 (transparency-dev/witness), key ID SHA-256(SPKI DER)[:4],
 *    signature ASN.1 DER over SHA-256(text).
 *  - Rekor: key ID ("key hint") SHA-256(SPKI DER)[:4] for every key type, which sigstore-js matches
 *    against the log ID and Rekor's Go verifier requires. For ECDSA the two conventions coincide.
 *
 * Verifier keys ("vkeys", c2sp.org/signed-note) are "<name>+<hex key ID>+base64(type || key)",
 * with the key the 32 Ed25519 bytes (types 0x01, 0x04) or the SPKI DER (type 0x02).
 */
import { CairnError } from '../errors.js';
import { bytesEqual, concat, fromBase64, toBase64, toHex } from './encoding.js';
import { cosignatureVerifier } from './cosignature.js';
import { c2spKeyId, publicKeyFromEd25519, publicKeyFromSpki, SIG_TYPE_COSIGNATURE_V1, SIG_TYPE_ECDSA, SIG_TYPE_ED25519, toPublicKey, } from './keys.js';
import { isValidKeyName } from './note.js';
function checkName(name) {
    if (!isValidKeyName(name))
        throw new CairnError('CONFIG', `invalid note key name ${JSON.stringify(name)}`);
}
/** c2spNoteKeyId returns the C2SP key ID of key's note signatures under name (type 0x01 or 0x02). */
export function c2spNoteKeyId(name, key) {
    return key.type === 'ed25519' ? c2spKeyId(name, SIG_TYPE_ED25519, key.rawPublicKey) : key.keyHint;
}
/** c2spSigner returns a signer of C2SP note signatures by key under name (type 0x01 Ed25519 or 0x02 ECDSA). */
export function c2spSigner(name, key) {
    checkName(name);
    return { name, keyId: c2spNoteKeyId(name, key), sign: (text) => key.sign(text) };
}
/** rekorSigner returns a signer of Rekor-style note signatures by key under name: key ID = SHA-256(SPKI DER)[:4]. */
export function rekorSigner(name, key) {
    checkName(name);
    return { name, keyId: key.keyHint, sign: (text) => key.sign(text) };
}
/** keyFrom parses a verifier's key: 32 raw bytes are an Ed25519 key, other bytes SPKI DER, a string SPKI PEM. */
function keyFrom(key) {
    return key instanceof Uint8Array && key.length === 32 ? publicKeyFromEd25519(key) : toPublicKey(key);
}
/**
 * c2spVerifier returns the verifier of C2SP note signatures by name with key: a raw 32-byte Ed25519
 * key, SPKI DER or PEM, or a parsed key. Ed25519 keys verify type 0x01, ECDSA keys type 0x02.
 */
export function c2spVerifier(name, key) {
    checkName(name);
    const pub = keyFrom(key);
    return { name, keyId: c2spNoteKeyId(name, pub), verify: (text, sig) => pub.verify(text, sig) };
}
/** rekorVerifier returns the verifier of Rekor-style note signatures by name with key (SPKI PEM or DER, or parsed). */
export function rekorVerifier(name, key) {
    checkName(name);
    const pub = toPublicKey(key);
    return { name, keyId: pub.keyHint, verify: (text, sig) => pub.verify(text, sig) };
}
/**
 * verifierKeyString returns the vkey of key's C2SP note signatures under name:
 * "<name>+<hex key ID>+base64(0x01 || Ed25519 key)" or "…+base64(0x02 || SPKI DER)" for ECDSA.
 * (For a witness's cosignature/v1 vkey, type 0x04, see cosignerKeyString.)
 */
export function verifierKeyString(name, key) {
    checkName(name);
    const material = key.type === 'ed25519' ? concat(Uint8Array.of(SIG_TYPE_ED25519), key.rawPublicKey) : concat(Uint8Array.of(SIG_TYPE_ECDSA), key.spkiDer);
    return `${name}+${toHex(c2spNoteKeyId(name, key))}+${toBase64(material)}`;
}
/**
 * parseVerifierKey returns the verifier for vkey, "<name>+<8 lowercase hex key ID>+<base64(type ||
 * key)>", of type 0x01 (Ed25519 notes), 0x02 (ECDSA notes, SPKI DER key) or 0x04 (Ed25519
 * cosignature/v1). The key ID must be the one the key and name imply. Anything else throws
 * CairnError('CONFIG'), since vkeys come from configuration.
 */
export function parseVerifierKey(vkey) {
    const bad = (why) => new CairnError('CONFIG', `bad verifier key ${JSON.stringify(vkey)}: ${why}`);
    // The name and key ID contain no '+'; the base64 key may.
    const m = /^([^+]*)\+([^+]*)\+(.*)$/s.exec(vkey);
    if (!m)
        throw bad('want <name>+<hex key ID>+<base64 key>');
    const [, name, hexId, b64] = m;
    if (!isValidKeyName(name))
        throw bad('invalid name');
    if (!/^[0-9a-f]{8}$/.test(hexId))
        throw bad('key ID must be 8 lowercase hex digits');
    const material = fromBase64(b64);
    if (material === undefined || material.length < 2)
        throw bad('key is not canonical base64');
    const type = material[0];
    const key = material.slice(1);
    let v;
    if (type === SIG_TYPE_ED25519 || type === SIG_TYPE_COSIGNATURE_V1) {
        if (key.length !== 32)
            throw bad('Ed25519 key must be 32 bytes');
        v = type === SIG_TYPE_ED25519 ? c2spVerifier(name, key) : cosignatureVerifier(name, key);
    }
    else if (type === SIG_TYPE_ECDSA) {
        const pub = publicKeyFromSpki(key);
        if (pub.type === 'ed25519')
            throw bad('type 0x02 needs an ECDSA key');
        v = c2spVerifier(name, pub);
    }
    else {
        throw bad(`unsupported signature type 0x${type.toString(16).padStart(2, '0')}`);
    }
    if (!bytesEqual(v.keyId, Buffer.from(hexId, 'hex')))
        throw bad(`key ID should be ${toHex(v.keyId)}`);
    return v;
}
