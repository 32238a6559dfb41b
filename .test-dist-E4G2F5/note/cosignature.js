/**
 * Ed25519 checkpoint cosignatures, cosignature/v1 (c2sp.org/tlog-cosignature, signature type 0x04):
 * a witness's timestamped statement that a checkpoint is the largest consistent tree head it has
 * seen for the origin. The signature line carries keyID || u64 big-endian timestamp || Ed25519 sig,
 * where the Ed25519 message is "cosignature/v1\ntime <t>\n" followed by the whole checkpoint body.
 */
import { CairnError } from '../errors.js';
import { parseCheckpoint } from './checkpoint.js';
import { concat, decodeUtf8, toBase64, toHex, utf8 } from './encoding.js';
import { c2spKeyId, publicKeyFromEd25519, SIG_TYPE_COSIGNATURE_V1 } from './keys.js';
import { formatSignatureLine, isValidKeyName, parseSignatureLine, sameKey } from './note.js';
/** COSIGNATURE_V1_HEADER is the first line of every cosignature/v1 signed message. */
export const COSIGNATURE_V1_HEADER = 'cosignature/v1\n';
/** COSIGNATURE_V1_SIZE is the size of a cosignature/v1 signature after the key ID: timestamp (8) + Ed25519 (64). */
export const COSIGNATURE_V1_SIZE = 8 + 64;
/** cosignatureKeyId returns SHA-256(name || 0x0A || 0x04 || publicKey)[:4] (c2sp.org/tlog-cosignature). */
export function cosignatureKeyId(name, ed25519PublicKey) {
    return c2spKeyId(name, SIG_TYPE_COSIGNATURE_V1, ed25519PublicKey);
}
function checkTime(time) {
    // The spec allows up to 2^63-1; Cairn keeps Unix seconds as safe integers (year 285 million).
    if (!Number.isSafeInteger(time) || time < 0)
        throw new CairnError('BAD_REQUEST', `bad cosignature time ${time}`);
}
/**
 * cosignatureMessage returns the bytes a cosignature/v1 signs: "cosignature/v1\n", "time <t>\n",
 * then the whole checkpoint body, extension lines included (tlog-cosignature, "Ed25519 signed
 * message"). checkpointText must parse as a checkpoint (MALFORMED_NOTE otherwise).
 */
export function cosignatureMessage(checkpointText, time) {
    return signedMessage(utf8(checkpointText), time);
}
/** signedMessage is cosignatureMessage over the exact bytes of a note text. */
function signedMessage(text, time) {
    checkTime(time);
    const s = decodeUtf8(text);
    if (s === undefined)
        throw new CairnError('MALFORMED_NOTE', 'checkpoint is not UTF-8');
    parseCheckpoint(s);
    return concat(utf8(`${COSIGNATURE_V1_HEADER}time ${time}\n`), text);
}
/** cosignatureTimestamp returns the timestamp of a cosignature/v1 signature (bytes after the key ID); else MALFORMED_NOTE. */
export function cosignatureTimestamp(sig) {
    if (sig.length !== COSIGNATURE_V1_SIZE)
        throw new CairnError('MALFORMED_NOTE', 'cosignature has the wrong size');
    const t = new DataView(sig.buffer, sig.byteOffset, 8).getBigUint64(0);
    if (t > BigInt(Number.MAX_SAFE_INTEGER))
        throw new CairnError('MALFORMED_NOTE', 'cosignature timestamp out of range');
    return Number(t);
}
function ed25519Key(key) {
    if (key.type !== 'ed25519')
        throw new CairnError('CONFIG', `cosignature/v1 needs an ed25519 key, not ${key.type}`);
    return key;
}
/**
 * cosignatureSigner returns a NoteSigner that cosigns checkpoint texts as name, timestamped with
 * now() (Unix seconds; injected so tests drive time). signNote with it throws MALFORMED_NOTE if the
 * text is not a checkpoint.
 */
export function cosignatureSigner(name, key, now = () => Math.floor(Date.now() / 1000)) {
    ed25519Key(key);
    if (!isValidKeyName(name))
        throw new CairnError('CONFIG', `invalid cosigner name ${JSON.stringify(name)}`);
    return {
        name,
        keyId: cosignatureKeyId(name, key.rawPublicKey),
        sign(text) {
            const time = now();
            const msg = signedMessage(text, time);
            const ts = new Uint8Array(8);
            new DataView(ts.buffer).setBigUint64(0, BigInt(time));
            return concat(ts, key.sign(msg));
        },
    };
}
/**
 * cosignatureVerifier returns a NoteVerifier for cosignature/v1 signatures by name with the given
 * Ed25519 key (32 raw bytes or a parsed key). Its verify fails for any text that is not a checkpoint.
 */
export function cosignatureVerifier(name, ed25519PublicKey) {
    if (!isValidKeyName(name))
        throw new CairnError('CONFIG', `invalid cosigner name ${JSON.stringify(name)}`);
    const pub = ed25519PublicKey instanceof Uint8Array ? publicKeyFromEd25519(ed25519PublicKey) : ed25519PublicKey;
    if (pub.type !== 'ed25519')
        throw new CairnError('CONFIG', `cosignature/v1 needs an ed25519 key, not ${pub.type}`);
    return {
        name,
        keyId: cosignatureKeyId(name, pub.rawPublicKey),
        verify(text, sig) {
            try {
                return pub.verify(signedMessage(text, cosignatureTimestamp(sig)), sig.subarray(8));
            }
            catch {
                return false;
            }
        },
    };
}
/** cosign returns the signature line (ending in a newline) of name's cosignature of checkpointText at time. */
export function cosign(checkpointText, key, name, time) {
    const signer = cosignatureSigner(name, key, () => time);
    return formatSignatureLine(name, signer.keyId, signer.sign(utf8(checkpointText)));
}
/**
 * verifyCosignature returns the timestamp of line, a cosignature/v1 signature line (newline
 * optional) by name with the given Ed25519 key over checkpointText. Throws MALFORMED_NOTE for an
 * unparseable line and BAD_SIGNATURE if the line is by another key or does not verify.
 */
export function verifyCosignature(checkpointText, line, name, ed25519PublicKey) {
    const sig = parseSignatureLine(line.endsWith('\n') ? line.slice(0, -1) : line);
    const v = cosignatureVerifier(name, ed25519PublicKey);
    if (!sameKey(sig, v))
        throw new CairnError('BAD_SIGNATURE', 'cosignature is not by this cosigner');
    if (!v.verify(utf8(checkpointText), sig.signature))
        throw new CairnError('BAD_SIGNATURE', 'cosignature does not verify');
    return cosignatureTimestamp(sig.signature);
}
/** cosignerKeyString returns the vkey "<name>+<hex key ID>+base64(0x04 || key)" of an Ed25519 cosigner. */
export function cosignerKeyString(name, ed25519PublicKey) {
    const v = cosignatureVerifier(name, ed25519PublicKey);
    const raw = ed25519PublicKey instanceof Uint8Array ? ed25519PublicKey : ed25519PublicKey.rawPublicKey;
    return `${name}+${toHex(v.keyId)}+${toBase64(concat(Uint8Array.of(SIG_TYPE_COSIGNATURE_V1), raw))}`;
}
