/**
 * C2SP signed notes (c2sp.org/signed-note): text signed by one or more keys. A note is its text
 * (ending in a newline), a blank line, then signature lines "— <name> base64(keyID || sig)\n".
 * The parser is strict and bounded, and never returns part of a note it rejects.
 */
import { CairnError } from '../errors.js';
import { bytesEqual, decodeUtf8, fromBase64, hasOnlyNoteChars, toBase64, toHex, utf8 } from './encoding.js';
/** MAX_SIGNATURES bounds the signature lines of a note (the spec requires at least 16; sumdb/note uses 100). */
export const MAX_SIGNATURES = 100;
/** MAX_NOTE_BYTES bounds the size of a note: 100 post-quantum signatures of ~5 kB fit. */
export const MAX_NOTE_BYTES = 1 << 20;
const SIG_PREFIX = '\u2014 '; // em dash, space
function malformed(reason) {
    return new CairnError('MALFORMED_NOTE', `malformed note: ${reason}`);
}
/** isValidKeyName reports whether name is a valid key name: non-empty, no Unicode space, no '+', no control character. */
export function isValidKeyName(name) {
    return name.length > 0 && !/[\p{White_Space}+]/u.test(name) && hasOnlyNoteChars(name);
}
/** noteString returns msg as text after checking size, UTF-8 validity and characters; else MALFORMED_NOTE. */
function noteString(msg) {
    let s;
    if (typeof msg === 'string') {
        // UTF-8 is never shorter than UTF-16 code units, so the first test is a cheap lower bound.
        if (msg.length > MAX_NOTE_BYTES || Buffer.byteLength(msg, 'utf8') > MAX_NOTE_BYTES)
            throw malformed('too large');
        s = msg;
    }
    else {
        if (msg.length > MAX_NOTE_BYTES)
            throw malformed('too large');
        s = decodeUtf8(msg);
        if (s === undefined)
            throw malformed('invalid UTF-8');
    }
    if (!hasOnlyNoteChars(s))
        throw malformed('control character or invalid UTF-8');
    return s;
}
/** parseSignatureLine returns the signature in line ("— name base64", no newline); else MALFORMED_NOTE. */
export function parseSignatureLine(line) {
    if (!line.startsWith(SIG_PREFIX) || !hasOnlyNoteChars(line) || line.includes('\n')) {
        throw malformed('bad signature line');
    }
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const raw = space < 0 ? undefined : fromBase64(rest.slice(space + 1));
    if (!isValidKeyName(name))
        throw malformed('bad key name');
    if (raw === undefined || raw.length < 5)
        throw malformed('bad signature encoding');
    return { name, keyId: raw.slice(0, 4), signature: raw.slice(4), line };
}
/** formatSignatureLine returns the signature line "— name base64(keyId || sig)\n". */
export function formatSignatureLine(name, keyId, sig) {
    if (!isValidKeyName(name))
        throw new CairnError('CONFIG', `invalid note key name ${JSON.stringify(name)}`);
    if (keyId.length !== 4)
        throw new Error('note: key ID must be 4 bytes');
    const raw = new Uint8Array(4 + sig.length);
    raw.set(keyId);
    raw.set(sig, 4);
    return `${SIG_PREFIX}${name} ${toBase64(raw)}\n`;
}
/**
 * splitNote returns the text and signatures of msg without verifying any, e.g. to append
 * cosignatures. The text is everything up to and including the newline before the last blank line.
 * Throws MALFORMED_NOTE unless msg is a well-formed note with 1..MAX_SIGNATURES signature lines.
 */
export function splitNote(msg) {
    const s = noteString(msg);
    const split = s.lastIndexOf('\n\n');
    if (split < 0)
        throw malformed('no blank line before signatures');
    const text = s.slice(0, split + 1);
    const block = s.slice(split + 2);
    if (block.length === 0 || !block.endsWith('\n'))
        throw malformed('signatures must end in a newline');
    const lines = block.slice(0, -1).split('\n');
    if (lines.length > MAX_SIGNATURES)
        throw malformed('too many signatures');
    return { text, signatures: lines.map(parseSignatureLine) };
}
const keyOf = (name, keyId) => `${name}+${toHex(keyId)}`;
/**
 * verifyNote checks the signatures of a split note against verifiers (c2sp.org/signed-note,
 * "Signatures"): lines whose name and key ID match no verifier are kept unverified; a line that
 * matches one MUST verify (with any verifier of that name and ID), else the whole note is rejected
 * with BAD_SIGNATURE; if no known key signed, BAD_SIGNATURE.
 */
export function verifyNote(note, verifiers) {
    const known = new Map();
    for (const v of verifiers) {
        const k = keyOf(v.name, v.keyId);
        known.set(k, [...(known.get(k) ?? []), v]);
    }
    const text = utf8(note.text);
    const verified = [];
    const unverified = [];
    const seenLines = new Set();
    const signedBy = new Set();
    for (const sig of note.signatures) {
        if (seenLines.has(sig.line))
            continue; // an identical line was already checked
        seenLines.add(sig.line);
        const k = keyOf(sig.name, sig.keyId);
        const candidates = known.get(k);
        if (!candidates) {
            unverified.push(sig);
            continue;
        }
        if (!candidates.some((v) => safeVerify(v, text, sig.signature))) {
            throw new CairnError('BAD_SIGNATURE', `note signature by known key ${k} does not verify`);
        }
        if (!signedBy.has(k))
            verified.push(sig);
        signedBy.add(k);
    }
    if (verified.length === 0)
        throw new CairnError('BAD_SIGNATURE', 'note has no signature from a known key');
    return { text: note.text, verified, unverified };
}
function safeVerify(v, text, sig) {
    try {
        return v.verify(text, sig) === true;
    }
    catch {
        return false; // a verifier that throws has not verified anything
    }
}
/**
 * openNote parses msg and verifies its signatures against verifiers: splitNote then verifyNote.
 * Throws MALFORMED_NOTE for a malformed note and BAD_SIGNATURE as verifyNote describes.
 */
export function openNote(msg, verifiers) {
    return verifyNote(splitNote(msg), verifiers);
}
/**
 * signNote returns text signed by signers, in order: text, a blank line, one signature line per
 * signer. text must end in a newline and contain no control character but newline.
 */
export function signNote(text, signers) {
    if (!text.endsWith('\n'))
        throw malformed('text must end in a newline');
    noteString(text);
    if (signers.length === 0 || signers.length > MAX_SIGNATURES) {
        throw malformed(`a note needs 1 to ${MAX_SIGNATURES} signatures`);
    }
    const bytes = utf8(text);
    let out = text + '\n';
    for (const s of signers)
        out += formatSignatureLine(s.name, s.keyId, s.sign(bytes));
    noteString(out); // still within MAX_NOTE_BYTES
    return out;
}
/**
 * appendSignatures returns note with extra signature lines appended after its own, skipping lines
 * it already has. lines is either a block of newline-terminated lines (a tlog-witness add-checkpoint
 * response body) or a list of single lines (trailing newline optional). Nothing is verified.
 */
export function appendSignatures(note, lines) {
    const s = noteString(note);
    const split = splitNote(s);
    let list;
    if (typeof lines === 'string') {
        if (!lines.endsWith('\n'))
            throw malformed('signature lines must end in a newline');
        list = lines.slice(0, -1).split('\n');
    }
    else {
        list = lines.map((l) => (l.endsWith('\n') ? l.slice(0, -1) : l));
    }
    const have = new Set(split.signatures.map((sig) => sig.line));
    let out = s;
    for (const line of list) {
        parseSignatureLine(line);
        if (have.has(line))
            continue;
        have.add(line);
        out += line + '\n';
    }
    splitNote(out); // bounds: size and MAX_SIGNATURES
    return out;
}
/** sameKey reports whether a and b have the same name and key ID. */
export function sameKey(a, b) {
    return a.name === b.name && bytesEqual(a.keyId, b.keyId);
}
