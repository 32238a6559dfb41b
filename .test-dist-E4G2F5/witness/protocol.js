/**
 * The wire format of tlog-witness add-checkpoint (shared/specs/tlog-witness.md), both directions:
 *
 *   old <size>\n  <base64 hash>\n × 0..63  \n  <signed checkpoint note>
 *
 * and the 409 body, "<size>\n" with Content-Type text/x.tlog.size.
 */
import { CairnError } from '../errors.js';
/** MAX_PROOF_LINES is the most consistency proof lines a client may send. */
export const MAX_PROOF_LINES = 63;
/** SIZE_CONTENT_TYPE is the media type of a 409 response body. */
export const SIZE_CONTENT_TYPE = 'text/x.tlog.size';
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// Sixteen digits at most, so Number() sees the exact value before the safe-integer test.
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;
function bad(why) {
    return new CairnError('BAD_REQUEST', `malformed add-checkpoint request: ${why}`);
}
/** parseDecimal returns s as a safe integer if it is a canonical decimal (no sign, no leading zero), else undefined. */
export function parseDecimal(s) {
    if (!DECIMAL.test(s))
        return undefined;
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : undefined;
}
/** parseHash returns the 32 bytes of a canonical standard base64 line, else undefined. */
function parseHash(line) {
    if (line.length !== 44 || !/^[A-Za-z0-9+/]{43}=$/.test(line))
        return undefined;
    const b = Buffer.from(line, 'base64');
    // Re-encoding catches non-zero padding bits, which would make two spellings of one hash.
    return b.length === 32 && b.toString('base64') === line ? new Uint8Array(b) : undefined;
}
/**
 * parseAddCheckpoint parses an add-checkpoint request body. Anything the spec calls malformed
 * throws BAD_REQUEST (400): not UTF-8, bad old-size line, a proof line that is not one base64
 * SHA-256 hash, more than 63 proof lines, no blank line. The note after the blank line is returned
 * as is, for the caller to parse. A non-empty proof with old size 0 is not malformed: the spec
 * answers it with 422.
 */
export function parseAddCheckpoint(body) {
    let s;
    try {
        s = decoder.decode(body);
    }
    catch {
        throw bad('not UTF-8');
    }
    let pos = 0;
    const nextLine = () => {
        const nl = s.indexOf('\n', pos);
        if (nl < 0)
            throw bad('missing newline');
        const line = s.slice(pos, nl);
        pos = nl + 1;
        return line;
    };
    const first = nextLine();
    const oldSize = first.startsWith('old ') ? parseDecimal(first.slice(4)) : undefined;
    if (oldSize === undefined)
        throw bad('first line must be "old <size>"');
    const proof = [];
    for (;;) {
        const line = nextLine();
        if (line === '')
            break;
        if (proof.length === MAX_PROOF_LINES)
            throw bad(`more than ${MAX_PROOF_LINES} consistency proof lines`);
        const h = parseHash(line);
        if (!h)
            throw bad('consistency proof line is not a base64 SHA-256 hash');
        proof.push(h);
    }
    return { oldSize, proof, note: s.slice(pos) };
}
/** formatAddCheckpoint returns the add-checkpoint request body for a signed checkpoint note. */
export function formatAddCheckpoint(oldSize, proof, note) {
    if (!Number.isSafeInteger(oldSize) || oldSize < 0)
        throw new Error(`witness: bad old size ${oldSize}`);
    if (proof.length > MAX_PROOF_LINES)
        throw new Error('witness: consistency proof too long');
    return `old ${oldSize}\n${proof.map((h) => Buffer.from(h).toString('base64') + '\n').join('')}\n${note}`;
}
/** parseSizeBody returns the tree size in a 409 body ("<size>\n"), else undefined. */
export function parseSizeBody(body) {
    return body.endsWith('\n') ? parseDecimal(body.slice(0, -1)) : undefined;
}
