/**
 * What the verify and monitor commands read from files and flags: log keys, signed checkpoints and
 * proofs. Lenient about the container (a proof may come as Rekor JSON or one hash per line),
 * strict about the content.
 */
import { existsSync, readFileSync } from 'node:fs';
import { CairnError } from '../errors.js';
import { HASH_SIZE } from '../merkle/index.js';
import { openCheckpoint, parseCheckpoint, splitNote } from '../note/index.js';
import { parseLogKey } from './keys.js';
/** readLogKey takes a --key value: a vkey string, or a file holding a vkey or an SPKI PEM. */
export function readLogKey(arg) {
    const text = existsSync(arg) ? readFileSync(arg, 'utf8') : arg;
    return parseLogKey(text);
}
/**
 * openSignedCheckpoint verifies a checkpoint note with key in either convention Cairn signs: C2SP
 * (tlog-tiles /checkpoint) or Rekor (signedTreeHead, inclusion proofs).
 */
export function openSignedCheckpoint(note, key) {
    const origin = parseCheckpoint(splitNote(note).text).origin;
    return openCheckpoint(note, [...key.c2sp(origin), ...key.rekor(origin)]);
}
function hash(s, where) {
    if (typeof s === 'string') {
        if (/^[0-9a-fA-F]{64}$/.test(s))
            return new Uint8Array(Buffer.from(s, 'hex'));
        const b = Buffer.from(s, 'base64');
        if (/^[A-Za-z0-9+/]{43}=$/.test(s) && b.length === HASH_SIZE)
            return new Uint8Array(b);
    }
    throw new CairnError('BAD_REQUEST', `${where}: not a hash (64 hex digits or base64 of 32 bytes)`);
}
/**
 * parseProof reads a proof: a JSON array of hashes; a JSON object with "hashes" (Rekor's
 * InclusionProof or ConsistencyProof, whose logIndex/treeSize are kept), or a Rekor entry response
 * carrying verification.inclusionProof; or text with one hex or base64 hash per line.
 */
export function parseProof(text) {
    const t = text.trim();
    if (t.startsWith('[') || t.startsWith('{')) {
        let v;
        try {
            v = JSON.parse(t);
        }
        catch (e) {
            throw new CairnError('BAD_REQUEST', `proof file is not valid JSON: ${e.message}`);
        }
        if (Array.isArray(v))
            return { hashes: v.map((h, i) => hash(h, `proof[${i}]`)) };
        let o = v;
        const keys = Object.keys(o);
        // A Rekor GET /api/v1/log/entries/{uuid} response: { "<uuid>": { …, verification: { inclusionProof } } }.
        if (keys.length === 1 && typeof o[keys[0]] === 'object') {
            const ip = o[keys[0]].verification?.inclusionProof;
            if (ip && typeof ip === 'object')
                o = ip;
        }
        if (!Array.isArray(o.hashes))
            throw new CairnError('BAD_REQUEST', 'proof JSON has no "hashes" array');
        const num = (x) => (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? x : undefined);
        return { hashes: o.hashes.map((h, i) => hash(h, `hashes[${i}]`)), logIndex: num(o.logIndex), treeSize: num(o.treeSize) };
    }
    const lines = t === '' ? [] : t.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
    return { hashes: lines.map((l, i) => hash(l, `proof line ${i + 1}`)) };
}
