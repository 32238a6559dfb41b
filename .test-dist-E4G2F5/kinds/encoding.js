/**
 * Bounded, fail-closed decoders for the text encodings entries carry: base64, hex, PEM. Every
 * failure is a CairnError INVALID_ENTRY naming the field, so callers need no try/catch.
 */
import { CairnError } from '../errors.js';
const STD_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_B64 = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?$/;
const HEX = /^[0-9a-fA-F]*$/;
/** invalid returns the INVALID_ENTRY error every kind throws for malformed input. */
export function invalid(message) {
    return new CairnError('INVALID_ENTRY', message);
}
/** object returns v as a JSON object or throws INVALID_ENTRY naming field. */
export function object(v, field) {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
        throw invalid(`${field} must be an object`);
    return v;
}
/**
 * decodeBase64 returns the bytes of s, padded standard base64 (RFC 4648 §4) or, with urlSafe,
 * also padded URL-safe base64 (§5), as DSSE allows. Stricter than Go's decoder: no line breaks
 * and no non-zero trailing bits, so every accepted string is the canonical encoding of its bytes.
 */
export function decodeBase64(s, field, maxBytes, urlSafe = false) {
    if (typeof s !== 'string')
        throw invalid(`${field} must be a base64 string`);
    if (s.length > Math.ceil(maxBytes / 3) * 4)
        throw invalid(`${field} is longer than ${maxBytes} bytes`);
    const std = STD_B64.test(s);
    if (!std && !(urlSafe && URL_B64.test(s)))
        throw invalid(`${field} is not valid base64`);
    const bytes = Buffer.from(s, std ? 'base64' : 'base64url');
    // Buffer ignores non-zero pad bits; re-encoding catches them.
    if (bytes.toString(std ? 'base64' : 'base64url') !== (std ? s : s.replace(/=+$/, ''))) {
        throw invalid(`${field} is not canonical base64`);
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}
/** encodeBase64 returns padded standard base64, the form Go's encoding/json gives []byte. */
export function encodeBase64(b) {
    return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
}
/** decodeHex returns the bytes of an even-length hex string of either case. */
export function decodeHex(s, field) {
    if (s.length % 2 !== 0 || !HEX.test(s))
        throw invalid(`${field} is not a hex string`);
    return new Uint8Array(Buffer.from(s, 'hex'));
}
/** toHex returns lowercase hex. */
export function toHex(b) {
    return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}
// Like Go's pem.Decode: spaces and tabs may end the BEGIN line and sit inside the base64 body.
const PEM_BLOCK = /^-----BEGIN ([A-Z0-9 ]{1,64})-----[ \t]*\r?\n([A-Za-z0-9+/=\r\n \t]*?)-----END \1-----/;
/**
 * parsePem returns the PEM blocks (RFC 7468) of text, which may hold at most maxBlocks blocks
 * separated by whitespace. Leading and trailing whitespace is ignored, as Rekor trims it;
 * anything else outside a block, and PEM headers, are refused.
 */
export function parsePem(bytes, field, maxBlocks) {
    let text;
    try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).trim();
    }
    catch {
        throw invalid(`${field} is not UTF-8 PEM text`);
    }
    const blocks = [];
    while (text.length > 0) {
        if (blocks.length === maxBlocks)
            throw invalid(`${field} holds more than ${maxBlocks} PEM blocks`);
        const m = PEM_BLOCK.exec(text);
        if (!m)
            throw invalid(`${field} is not PEM: expected -----BEGIN …----- … -----END …-----`);
        const body = m[2].replace(/[\r\n \t]/g, '');
        const der = decodeBase64(body, `${field} PEM body`, bytes.length);
        if (der.length === 0)
            throw invalid(`${field} has an empty PEM block`);
        blocks.push({ type: m[1], der });
        text = text.slice(m[0].length).trimStart();
    }
    if (blocks.length === 0)
        throw invalid(`${field} is empty`);
    return blocks;
}
/**
 * encodePem returns the PEM text Go's pem.Encode writes for a header-less block: 64-column
 * base64 lines, each line and the END line ending in "\n". Rekor stores keys in this form.
 */
export function encodePem(type, der) {
    const b64 = encodeBase64(der);
    let out = `-----BEGIN ${type}-----\n`;
    for (let i = 0; i < b64.length; i += 64)
        out += b64.slice(i, i + 64) + '\n';
    return out + `-----END ${type}-----\n`;
}
