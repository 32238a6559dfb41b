/**
 * Signature verification through the optional native addon (src/native.ts): ECDSA and RSA over a
 * digest the caller already has, through the OpenSSL inside node. node:crypto cannot do this (it
 * always hashes its input) and pure-JS ECDSA is ~5x slower. Without the addon nativeVerifyDigest
 * is undefined and callers use JS.
 */
import { addon as loaded } from '../native.js';
// A local const: TypeScript keeps its narrowing inside the closures below.
const addon = loaded;
/** The native verifier, or undefined when the addon is unavailable (use the pure-JS path). */
export const nativeVerifyDigest = addon
    ? (spkiDer, digest, derSignature, opts) => addon.verifyDigest(spkiDer, digest, derSignature, opts?.hash, opts?.padding)
    : undefined;
// DER AlgorithmIdentifier { id-ecPublicKey, namedCurve } per curve (RFC 5480).
const EC_ALG_ID = {
    prime256v1: Buffer.from('301306072a8648ce3d020106082a8648ce3d030107', 'hex'),
    secp384r1: Buffer.from('301006072a8648ce3d020106052b81040022', 'hex'),
    secp521r1: Buffer.from('301006072a8648ce3d020106052b81040023', 'hex'),
};
function tlv(tag, ...parts) {
    const n = parts.reduce((a, p) => a + p.length, 0);
    const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
    const out = new Uint8Array(1 + len.length + n);
    out.set([tag, ...len]);
    let at = 1 + len.length;
    for (const p of parts) {
        out.set(p, at);
        at += p.length;
    }
    return out;
}
/** ecSpki wraps an EC point (SEC 1 encoding) as SPKI DER, the shape the addon parses fastest. */
export function ecSpki(curve, point) {
    if (!Object.hasOwn(EC_ALG_ID, curve))
        return new Uint8Array(0); // the addon rejects empty
    return tlv(0x30, EC_ALG_ID[curve], tlv(0x03, new Uint8Array([0]), point));
}
/** ecdsaDer encodes (r, s) as DER Ecdsa-Sig-Value; empty (never valid) unless both are positive. */
export function ecdsaDer(r, s) {
    if (r <= 0n || s <= 0n)
        return new Uint8Array(0);
    const int = (x) => {
        const hex = x.toString(16);
        const b = Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex');
        return tlv(0x02, b[0] & 0x80 ? new Uint8Array([0, ...b]) : b);
    };
    return tlv(0x30, int(r), int(s));
}
/**
 * ECDSA over a digest from already-parsed parts (the shape of prehashed.ts's verifyEcdsa), or
 * undefined without the addon. Re-encoding (r, s) as canonical DER means the caller's signature
 * parser alone decides which encodings are acceptable; OpenSSL only does the arithmetic.
 */
export const nativeVerifyEcdsa = addon
    ? (curve, point, digest, r, s) => addon.verifyDigest(ecSpki(curve, point), digest, ecdsaDer(r, s))
    : undefined;
