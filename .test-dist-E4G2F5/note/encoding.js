/**
 * Byte and text helpers shared by the note modules: SHA-256, strict base64, hex, UTF-8. Internal to
 * src/note (not re-exported by index.ts).
 */
import { createHash } from 'node:crypto';
const utf8Encoder = new TextEncoder();
// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: a leading BOM stays part of the text.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** sha256 returns SHA-256 of the concatenation of parts (strings are UTF-8 encoded). */
export function sha256(...parts) {
    const h = createHash('sha256');
    for (const p of parts)
        h.update(typeof p === 'string' ? utf8Encoder.encode(p) : p);
    return new Uint8Array(h.digest());
}
/** utf8 returns the UTF-8 encoding of s. */
export function utf8(s) {
    return utf8Encoder.encode(s);
}
/** decodeUtf8 returns the text of b, or undefined if b is not valid UTF-8. */
export function decodeUtf8(b) {
    try {
        return utf8Decoder.decode(b);
    }
    catch {
        return undefined;
    }
}
/** concat returns the concatenation of parts. */
export function concat(...parts) {
    let n = 0;
    for (const p of parts)
        n += p.length;
    const out = new Uint8Array(n);
    let off = 0;
    for (const p of parts) {
        out.set(p, off);
        off += p.length;
    }
    return out;
}
/** bytesEqual reports whether a and b hold the same bytes. Not constant-time: use on public data only. */
export function bytesEqual(a, b) {
    if (a.length !== b.length)
        return false;
    for (let i = 0; i < a.length; i++)
        if (a[i] !== b[i])
            return false;
    return true;
}
/** toBase64 returns the standard, padded base64 encoding of b (RFC 4648 §4). */
export function toBase64(b) {
    return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
}
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/**
 * fromBase64 returns the bytes of s, or undefined unless s is canonical standard base64: alphabet
 * of RFC 4648 §4, padded, no whitespace, and zero padding bits (so each byte string has exactly one
 * accepted encoding; Buffer.from(s, 'base64') alone accepts all of those and more).
 */
export function fromBase64(s) {
    if (!BASE64_RE.test(s))
        return undefined;
    const b = Buffer.from(s, 'base64');
    if (b.toString('base64') !== s)
        return undefined; // non-zero padding bits
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
}
/** toHex returns the lowercase hex encoding of b. */
export function toHex(b) {
    return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}
/** hasOnlyNoteChars reports whether s is well-formed UTF-16 (no lone surrogates) with no control character but newline. */
export function hasOnlyNoteChars(s) {
    // eslint-disable-next-line no-control-regex
    return !/[\u0000-\u0009\u000b-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}
