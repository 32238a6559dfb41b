/**
 * C2SP checkpoints (c2sp.org/tlog-checkpoint): the note text that commits to a log's tree head.
 *
 *   <origin>\n<tree size, decimal>\n<base64 root hash>\n[<extension line>\n]...
 */
import { CairnError } from '../errors.js';
import { fromBase64, hasOnlyNoteChars, toBase64 } from './encoding.js';
import { MAX_NOTE_BYTES, splitNote, verifyNote } from './note.js';
/** ROOT_HASH_SIZE is the size of an RFC 6962 SHA-256 root hash. */
export const ROOT_HASH_SIZE = 32;
function malformed(reason) {
    return new CairnError('MALFORMED_NOTE', `malformed checkpoint: ${reason}`);
}
/** isLine reports whether s can be one non-empty checkpoint line. */
function isLine(s) {
    return s.length > 0 && !s.includes('\n') && hasOnlyNoteChars(s);
}
/**
 * formatCheckpoint returns the checkpoint body (note text, ending in a newline) for c. Throws
 * MALFORMED_NOTE if c cannot be represented: empty or multi-line origin or extension, size not a
 * non-negative safe integer, root hash not 32 bytes.
 */
export function formatCheckpoint(c) {
    if (!isLine(c.origin))
        throw malformed('origin must be one non-empty line');
    if (!Number.isSafeInteger(c.size) || c.size < 0)
        throw malformed('size must be a non-negative safe integer');
    if (c.rootHash.length !== ROOT_HASH_SIZE)
        throw malformed(`root hash must be ${ROOT_HASH_SIZE} bytes`);
    const ext = c.extensions ?? [];
    if (!ext.every(isLine))
        throw malformed('extension lines must be non-empty single lines');
    return [c.origin, String(c.size), toBase64(c.rootHash), ...ext].map((l) => l + '\n').join('');
}
/**
 * parseCheckpoint returns the checkpoint in text (a note text: lines each ending in a newline).
 * Strict: at least three lines; origin non-empty; size decimal without leading zeros (just "0" for
 * an empty tree) and a safe integer; root hash canonical base64 of exactly 32 bytes; extension lines
 * non-empty. Anything else throws MALFORMED_NOTE.
 */
export function parseCheckpoint(text) {
    if (text.length > MAX_NOTE_BYTES)
        throw malformed('too large');
    if (!text.endsWith('\n') || !hasOnlyNoteChars(text))
        throw malformed('not newline-terminated text');
    const lines = text.slice(0, -1).split('\n');
    if (lines.length < 3)
        throw malformed('fewer than three lines');
    const [origin, sizeLine, rootLine, ...extensions] = lines;
    if (origin.length === 0)
        throw malformed('empty origin');
    // ≤ 16 digits before Number() so the safe-integer test sees the exact value.
    if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeLine) || !Number.isSafeInteger(Number(sizeLine))) {
        throw malformed('bad tree size');
    }
    const rootHash = fromBase64(rootLine);
    if (rootHash === undefined || rootHash.length !== ROOT_HASH_SIZE)
        throw malformed('bad root hash');
    if (extensions.some((l) => l.length === 0))
        throw malformed('empty extension line');
    return { origin, size: Number(sizeLine), rootHash, extensions };
}
/**
 * openCheckpoint parses a signed checkpoint note and verifies it against verifiers: the note and
 * body are parsed first (MALFORMED_NOTE), then signatures are checked as openNote does
 * (BAD_SIGNATURE). The signer's name is not required to equal the origin: Rekor's differs.
 */
export function openCheckpoint(note, verifiers) {
    const split = splitNote(note);
    const checkpoint = parseCheckpoint(split.text);
    return { ...verifyNote(split, verifiers), checkpoint };
}
